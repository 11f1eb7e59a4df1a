import re

import pytest

from verifications.sms import locmem

URL = "/api/v3/declaration_requests"


@pytest.fixture(autouse=True)
def empty_outbox(settings):
    """Each test starts with no SMS sent; several codes may go to one phone in a row."""
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1000
    settings.OTP_PHONE_SEND_LIMIT = 1000
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


def last_code(phone_number: str) -> str:
    """The code of the last SMS to the phone, read from the in-memory outbox as the patient would."""
    body = next(m["body"] for m in reversed(locmem.outbox) if m["phone_number"] == phone_number)
    return re.search(r"(\d+)$", body).group(1)


def wrong(code: str) -> str:
    return "1" * len(code) if code != "1" * len(code) else "2" * len(code)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run an API call and the SMS tasks it queues on commit, as the worker would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def doctor(caller):
    from tests.declarations.factories import EmployeeFactory

    return EmployeeFactory(client=caller.client)


@pytest.fixture
def create(caller, send, doctor):
    """POST a declaration request for the person to `doctor` (or `employee`); the response."""

    def run(person, employee=None, who=None, **extra):
        body = {"person_id": str(person.pk), "employee_id": str((employee or doctor).pk), **extra}
        return send((who or caller).post, URL, body, format="json")

    return run


def act(caller, request_id, name, body=None, method="patch"):
    return getattr(caller, method)(f"{URL}/{request_id}/actions/{name}", body, format="json")


def error(response) -> dict:
    return response.json()["error"]


def invalid(response) -> list[tuple[str, str]]:
    return [(e["entry"], r["description"]) for e in error(response)["invalid"] for r in e["rules"]]


def with_parent(person) -> dict:
    """The create body's part that lets an NA person's own NA confirm: a parent declaration of theirs."""
    from tests.declarations.factories import parent_declaration

    return {"parent_declaration_id": str(parent_declaration(person).pk)}


def chain_seed(previous: str, data_to_be_signed: dict) -> str:
    """Step 5 as the seed document states it, the test's own oracle: SHA-256 over the previous approved
    request's seed and this request's data to be signed (canonical JSON)."""
    import hashlib
    import json

    signed = json.dumps(data_to_be_signed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous + signed).encode()).hexdigest()
