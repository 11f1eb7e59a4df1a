import re
import time

import pytest

from core.models import Client
from core.oauth.services import client_create
from tests.local_http import LocalJsonService
from verifications.models import SmsMessage, Verification
from verifications.services import verification_initialize
from verifications.sms import locmem

PHONE = "+380501234567"


OWN_CLIENT_NAME = "Verifications test MIS"


def own_client() -> Client:
    """The client that owns the test's codes, as the caller of the verification endpoints would."""
    client = Client.objects.filter(name=OWN_CLIENT_NAME).first()
    return client or client_create(name=OWN_CLIENT_NAME, scopes=["otp:write", "otp:read"]).client


@pytest.fixture(autouse=True)
def empty_outbox():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


def last_code(phone_number: str = PHONE) -> str:
    """The code in the last SMS sent to the phone, read from the in-memory outbox as the patient would."""
    body = next(m["body"] for m in reversed(locmem.outbox) if m["phone_number"] == phone_number)
    return re.search(r"(\d+)$", body).group(1)


def wrong_code(code: str) -> str:
    return "1" * len(code) if code != "1" * len(code) else "2" * len(code)


@pytest.fixture
def issue(django_capture_on_commit_callbacks):
    """Issue a code (its SMS sent on commit, as in production) and return (verification, clear code)."""

    def issue(phone_number: str = PHONE, kind: str = "verification", owner=None) -> tuple[Verification, str]:
        with django_capture_on_commit_callbacks(execute=True):
            verification = verification_initialize(phone_number=phone_number, kind=kind, owner=owner or own_client())
        return verification, last_code(phone_number)

    return issue


@pytest.fixture
def no_send_limits(settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1000
    settings.OTP_PHONE_SEND_LIMIT = 1000


@pytest.fixture
def queue_only(settings):
    """Tasks are stored, not run: the test plays the worker, one attempt at a time."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def sms_of(verification: Verification) -> SmsMessage:
    return SmsMessage.objects.get(verification=verification)


class Gateway(LocalJsonService):
    """A real SMS gateway on 127.0.0.1: answers `plan` statuses in turn (then 200), records what it got."""

    def __init__(self, plan=(), delay: float = 0.0):
        super().__init__("/sms")
        self.plan = list(plan)
        self.delay = delay

    def respond(self):
        time.sleep(self.delay)
        status = self.plan.pop(0) if self.plan else 200
        return status, {"id": f"msg-{len(self.requests)}"} if status == 200 else {"error": "down"}
