import re

import pytest

from verifications.sms import locmem


@pytest.fixture
def relaxed_otp_limits(settings):
    """Tests send several codes to one phone in a row: no cooldown, a generous window."""
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1000
    settings.OTP_PHONE_SEND_LIMIT = 1000
    locmem.outbox.clear()


@pytest.fixture
def last_code():
    """The code of the last SMS to a phone, read from the in-memory outbox (as a person reads their phone)."""

    def read(phone_number: str) -> str:
        bodies = [sms["body"] for sms in locmem.outbox if sms["phone_number"] == phone_number]
        assert bodies, f"no SMS to {phone_number}"
        return re.search(r"(\d+)\s*$", bodies[-1]).group(1)

    return read
