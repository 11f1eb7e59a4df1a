import re

import pytest

from verifications.sms import locmem

PHONE = "+380501234567"


@pytest.fixture(autouse=True)
def empty_outbox():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


def last_code(phone_number: str = PHONE) -> str:
    """The code of the last SMS sent to the phone, read from the in-memory outbox as a patient would."""
    body = next(m["body"] for m in reversed(locmem.outbox) if m["phone_number"] == phone_number)
    return re.search(r"(\d+)$", body).group(1)
