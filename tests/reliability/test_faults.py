"""Faults on real processes and PostgreSQL: a database restart under load, an SMS gateway that is
down for a while, a worker killed mid-task. Nothing lost, nothing doubled, never a 500.

The outage tests (marked `faults`) restart the shared PostgreSQL cluster and take a minute: they run
only with RUN_FAULT_TESTS=1 (their own `.ci/run` step). The killed-worker test runs on PostgreSQL always.
"""

import json
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import make_caller
from tests.verifications.conftest import PHONE, Gateway, own_client
from verifications.models import SmsMessage, Verification
from verifications.services import verification_initialize

from .processes import (
    FAULTS,
    db_worker,
    free_port,
    gunicorn,
    http,
    process_env,
    restart_postgres,
    wait_for_http,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
faults = pytest.mark.skipif(not FAULTS, reason="restarts PostgreSQL / takes a minute: set RUN_FAULT_TESTS=1")

LOAD_SECONDS = float(os.environ.get("FAULT_LOAD_SECONDS", "10"))
GATEWAY_DOWN_SECONDS = float(os.environ.get("FAULT_GATEWAY_DOWN_SECONDS", "30"))


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SMS_SENDING_LEASE_SECONDS = 1  # for this process's expire_requests


def outbox_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def random_phone(rng) -> str:
    return "+38050" + "".join(rng.choice("0123456789") for _ in range(7))


class DownFor:
    """A Gateway plan: 503 for the first `seconds`, then 200 (the Gateway pops it per request)."""

    def __init__(self, seconds: float):
        self.until = time.monotonic() + seconds

    def __bool__(self):
        return time.monotonic() < self.until

    def pop(self, _index):
        return 503


@pytest.mark.faults
@faults
def test_postgres_restarted_under_load(database_tasks, tmp_path):
    caller = make_caller(scopes=["otp:write", "otp:read"])
    outbox = tmp_path / "outbox.jsonl"
    env = process_env(SMS_BACKEND="file", SMS_FILE_PATH=outbox, DB_WORKER_BACKOFF_SECONDS=0.2)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {caller.token}", "Api-key": caller.api_key}
    results: list[tuple[int, str, dict, dict]] = []
    stop = threading.Event()

    def load(seed: int):
        rng = random.Random(seed)
        while not stop.is_set():
            phone = random_phone(rng)
            retry_safe = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            status, answer_headers, body = http(
                "POST", f"{base}/api/verifications", body={"phone_number": phone}, headers=retry_safe
            )
            results.append((status, phone, answer_headers, body))

    with gunicorn(port, env, tmp_path / "web.log"), db_worker(env, tmp_path / "worker.log") as worker:
        wait_for_http(f"{base}/api/health")
        threads = [threading.Thread(target=load, args=(seed,)) for seed in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS / 3)
        outage = restart_postgres()
        time.sleep(LOAD_SECONDS * 2 / 3)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert worker.poll() is None, "the worker died with the database"
        # what the outage cut off between a commit and its task is queued again by housekeeping
        time.sleep(1.1)
        call_command("expire_requests", verbosity=0)
        accepted = {phone for status, phone, _, _ in results if status == 200}
        after = http("POST", f"{base}/api/verifications", body={"phone_number": PHONE}, headers=headers)
        assert after[0] == 200, after  # afterwards everything works
        wait_until(
            lambda: SmsMessage.objects.filter(status=SmsMessage.Status.SENT).count() == Verification.objects.count(),
            timeout=60,
            what="every code's SMS",
        )
    statuses = Counter(status for status, *_ in results)
    print(f"outage {outage:.1f} s; answers {dict(statuses)}")  # the figures for the record
    assert set(statuses) <= {200, 503}, statuses  # never a 500, never a dropped connection
    assert statuses[503] > 0, "the restart was not noticed: nothing to prove"
    for status, _, answer_headers, body in results:
        if status == 503:
            assert body["error"]["type"] == "service_unavailable" and answer_headers["Retry-After"] == "5"
    sent = Counter(line["phone_number"] for line in outbox_lines(outbox))
    wrong = {phone: sent[phone] for phone in accepted if sent[phone] != 1}
    assert not wrong, f"an accepted request's SMS missing (0) or doubled: {wrong}"
    assert not SmsMessage.objects.filter(status=SmsMessage.Status.FAILED).exists()
    # no half-written request: every code has its SMS, delivered; a 503 at the commit may still have landed
    verifications = Verification.objects.count()
    assert len(accepted) + 1 <= verifications <= len(accepted) + 1 + statuses[503]
    assert SmsMessage.objects.filter(status=SmsMessage.Status.SENT).count() == verifications
    # the worker met the outage and rode it out: in its polling loop, or recording a sent SMS again
    worker_log = (tmp_path / "worker.log").read_text()
    assert "reconnecting" in worker_log or "recording it again" in worker_log


@pytest.mark.faults
@faults
def test_sms_gateway_down_for_a_while(database_tasks, tmp_path, caller):
    """Requests still 200 while the gateway is down; the SMS are retried with backoff and delivered once
    it is back."""
    with Gateway() as gateway:
        gateway.plan = DownFor(GATEWAY_DOWN_SECONDS)
        env = process_env(SMS_BACKEND="http", SMS_HTTP_URL=gateway.url, SMS_RETRY_BASE_SECONDS=1, SMS_MAX_ATTEMPTS=10)
        with db_worker(env, tmp_path / "worker.log"):
            phones = ["+380501110001", "+380501110002", "+380501110003"]
            for phone in phones:
                response = caller.post("/api/verifications", {"phone_number": phone}, format="json")
                assert response.status_code == 200
            wait_until(
                lambda: SmsMessage.objects.filter(status=SmsMessage.Status.SENT).count() == len(phones),
                timeout=GATEWAY_DOWN_SECONDS + 40,
                what="the SMS after the gateway came back",
            )
        answered = [r["json"]["phone_number"] for r in gateway.requests]
    for sms in SmsMessage.objects.all():
        assert sms.attempts > 1 and sms.sent_at is not None
    assert len(answered) == sum(s.attempts for s in SmsMessage.objects.all())
    # the 200s: one per SMS (the attempts before were refused)
    assert len(set(SmsMessage.objects.values_list("provider_id", flat=True))) == len(phones)


@pytest.mark.faults
@faults
def test_an_sms_the_gateway_never_takes_is_failed_and_shown_in_the_admin(database_tasks, tmp_path, admin_client):
    with Gateway() as gateway:
        gateway.plan = DownFor(3600)
        env = process_env(SMS_BACKEND="http", SMS_HTTP_URL=gateway.url, SMS_RETRY_BASE_SECONDS=0.2, SMS_MAX_ATTEMPTS=3)
        verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        with db_worker(env, tmp_path / "worker.log"):
            wait_until(
                lambda: SmsMessage.objects.filter(status=SmsMessage.Status.FAILED).exists(), timeout=30, what="FAILED"
            )
    sms = SmsMessage.objects.get()
    assert (sms.attempts, sms.error) == (3, "gateway answered 503")
    page = admin_client.get("/admin/verifications/smsmessage/?status__exact=FAILED").content.decode()
    assert "+38050*****67" in page and str(sms.pk) in page


def test_a_worker_killed_mid_send_is_requeued_and_sends_once(database_tasks, tmp_path):
    with Gateway(delay=30) as gateway:  # the first send hangs: the worker is killed inside it
        env = process_env(SMS_BACKEND="http", SMS_HTTP_URL=gateway.url, SMS_HTTP_TIMEOUT_SECONDS=60)
        verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        with db_worker(env, tmp_path / "worker.log") as worker:
            wait_until(lambda: len(gateway.requests) == 1, timeout=30, what="the first send")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        sms = SmsMessage.objects.get()
        assert sms.status == SmsMessage.Status.SENDING  # what the dead worker left
        gateway.delay = 0
        time.sleep(1.1)  # past the lease (1 s here)
        out = StringIO()
        call_command("expire_requests", stdout=out)
        assert "sms requeued: 1" in out.getvalue()
        with db_worker(env, tmp_path / "worker2.log", "--batch"):
            wait_until(
                lambda: SmsMessage.objects.filter(status=SmsMessage.Status.SENT).exists(), timeout=30, what="SENT"
            )
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.provider_id) == (SmsMessage.Status.SENT, 2, "msg-2")
    assert len(gateway.requests) == 2  # the cut-off try and the one that was answered
    connection.close()
