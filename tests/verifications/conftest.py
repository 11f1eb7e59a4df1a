import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.models import Client
from core.services import client_create
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


class Gateway:
    """A real SMS gateway on 127.0.0.1: answers `plan` statuses in turn (then 200), records what it got."""

    def __init__(self, plan=(), delay: float = 0.0):
        self.plan = list(plan)
        self.delay = delay
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                gateway.requests.append({"headers": dict(self.headers), "json": json.loads(self.rfile.read(length))})
                time.sleep(gateway.delay)
                status = gateway.plan.pop(0) if gateway.plan else 200
                body = json.dumps({"id": f"msg-{len(gateway.requests)}"} if status == 200 else {"error": "down"})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
