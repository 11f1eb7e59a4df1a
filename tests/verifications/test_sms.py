"""SMS delivery: the backends, the task's retries against a real local HTTP gateway, and resend."""

import io
import json
import socket
import time
from datetime import timedelta

import pytest
from django.tasks import default_task_backend
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.api.errors import Conflict
from core.models import Event
from tests.conftest import ACTOR
from verifications.models import SmsMessage, Verification
from verifications.services import sms_deliver, sms_resend, verification_complete, verification_initialize
from verifications.sms import SmsDeliveryError, get_backend
from verifications.sms.console import ConsoleBackend
from verifications.sms.http import HttpBackend
from verifications.tasks import send_sms

from .conftest import PHONE, Gateway, own_client, sms_of

pytestmark = pytest.mark.django_db

BODY = "Код авторизації дій в системі eHealth: 1234"


@pytest.fixture
def http_gateway(settings):
    def configure(gateway: Gateway, *, max_attempts: int = 5, timeout: float = 2.0):
        settings.SMS_BACKEND = "http"
        settings.SMS_HTTP_URL = gateway.url
        settings.SMS_HTTP_TOKEN = "gateway-token"
        settings.SMS_HTTP_TIMEOUT_SECONDS = timeout
        settings.SMS_MAX_ATTEMPTS = max_attempts
        return gateway

    return configure


def test_backend_is_chosen_by_setting(settings):
    settings.SMS_BACKEND = "console"
    assert isinstance(get_backend(), ConsoleBackend)
    settings.SMS_BACKEND = "verifications.sms.http.HttpBackend"
    assert isinstance(get_backend(), HttpBackend)


def test_console_backend_prints(settings):
    stream = io.StringIO()
    assert ConsoleBackend(stream).send(phone_number=PHONE, body=BODY) == ""
    assert stream.getvalue() == f"SMS to {PHONE}: {BODY}\n"


def test_file_backend_appends_json_lines(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "outbox" / "sms.jsonl"
    get_backend().send(phone_number=PHONE, body=BODY)
    get_backend().send(phone_number="+380991112233", body="second")
    lines = [json.loads(line) for line in settings.SMS_FILE_PATH.read_text().splitlines()]
    assert [(m["phone_number"], m["body"]) for m in lines] == [(PHONE, BODY), ("+380991112233", "second")]
    sent_at = timezone.datetime.fromisoformat(lines[0]["sent_at"])
    assert abs((timezone.now() - sent_at).total_seconds()) < 5


def test_http_backend_posts_json_with_bearer_token(http_gateway):
    with http_gateway(Gateway()) as gateway:
        assert get_backend().send(phone_number=PHONE, body=BODY) == "msg-1"
    request = gateway.requests[0]
    assert request["json"] == {"phone_number": PHONE, "body": BODY}
    assert request["headers"]["Authorization"] == "Bearer gateway-token"
    assert request["headers"]["Content-Type"] == "application/json"


def test_http_backend_reports_errors_timeouts_and_dead_gateways(http_gateway, settings):
    with http_gateway(Gateway(plan=[503])), pytest.raises(SmsDeliveryError, match="gateway answered 503"):
        get_backend().send(phone_number=PHONE, body=BODY)
    with http_gateway(Gateway(delay=1.0), timeout=0.2):
        started = time.monotonic()
        with pytest.raises(SmsDeliveryError, match="gateway unreachable"):
            get_backend().send(phone_number=PHONE, body=BODY)
        assert time.monotonic() - started < 0.9
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.SMS_HTTP_URL = f"http://127.0.0.1:{closed.getsockname()[1]}/sms"
    with pytest.raises(SmsDeliveryError, match="gateway unreachable"):
        get_backend().send(phone_number=PHONE, body=BODY)
    settings.SMS_HTTP_URL = "file:///etc/passwd"
    with pytest.raises(SmsDeliveryError, match="SMS_HTTP_URL must be an http"):
        get_backend().send(phone_number=PHONE, body=BODY)


def test_code_sent_through_the_gateway_completes(http_gateway, django_capture_on_commit_callbacks):
    with http_gateway(Gateway()) as gateway, django_capture_on_commit_callbacks(execute=True):
        verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    body = gateway.requests[0]["json"]["body"]
    code = body.rsplit(" ", 1)[1]
    sms = sms_of(verification)
    assert (sms.status, sms.provider_id, sms.attempts) == (SmsMessage.Status.SENT, "msg-1", 1)
    assert code not in sms.body
    assert (
        verification_complete(phone_number=PHONE, code=code, client=own_client()).status == Verification.Status.VERIFIED
    )


def test_failing_gateway_is_retried_with_backoff_until_it_recovers(
    http_gateway, queue_only, django_capture_on_commit_callbacks
):
    with http_gateway(Gateway(plan=[500, 502])) as gateway:
        with django_capture_on_commit_callbacks(execute=True):
            verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        [queued] = default_task_backend.results
        assert queued.kwargs == {"sms_id": str(sms_of(verification).pk)}
        assert queued.task.run_after is None
        assert gateway.requests == []  # nothing is sent before a worker runs the task

        for attempt, (error, delay) in enumerate([("gateway answered 500", 10), ("gateway answered 502", 20)], 1):
            started = timezone.now()
            with django_capture_on_commit_callbacks(execute=True):
                send_sms.call(**default_task_backend.results[-1].kwargs)
            sms = sms_of(verification)
            assert (sms.status, sms.attempts, sms.error) == (SmsMessage.Status.QUEUED, attempt, error)
            assert sms.code_ciphertext != ""
            retry = default_task_backend.results[-1]
            assert len(default_task_backend.results) == attempt + 1
            assert retry.task.run_after == sms.next_attempt_at
            assert started + timedelta(seconds=delay) <= sms.next_attempt_at
            assert sms.next_attempt_at <= timezone.now() + timedelta(seconds=delay)

        with django_capture_on_commit_callbacks(execute=True):
            assert send_sms.call(**default_task_backend.results[-1].kwargs) == "SENT"
    sms = sms_of(verification)
    assert (sms.status, sms.attempts, sms.provider_id, sms.error) == (SmsMessage.Status.SENT, 3, "msg-3", "")
    assert (sms.code_ciphertext, sms.next_attempt_at) == ("", None)
    assert len(gateway.requests) == 3
    assert len({r["json"]["body"] for r in gateway.requests}) == 1  # the same code each time


def test_running_the_task_twice_sends_once(http_gateway, queue_only, django_capture_on_commit_callbacks):
    with http_gateway(Gateway()) as gateway:
        with django_capture_on_commit_callbacks(execute=True):
            verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        kwargs = default_task_backend.results[0].kwargs
        assert send_sms.call(**kwargs) == "SENT"
        assert send_sms.call(**kwargs) == "SENT"
    assert len(gateway.requests) == 1
    assert sms_of(verification).attempts == 1


def test_dead_gateway_fails_after_max_attempts_and_the_admin_can_resend(
    http_gateway, django_capture_on_commit_callbacks
):
    # The immediate task backend runs each retry at once: no waiting in tests.
    with http_gateway(Gateway(plan=[500, 500, 500]), max_attempts=3) as gateway:
        with django_capture_on_commit_callbacks(execute=True):
            verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        sms = sms_of(verification)
        assert (sms.status, sms.attempts, sms.error) == (SmsMessage.Status.FAILED, 3, "gateway answered 500")
        assert len(gateway.requests) == 3
        assert Event.objects.filter(entity_id=str(sms.pk), new_value="FAILED").count() == 1

        with django_capture_on_commit_callbacks(execute=True):
            sms_resend(sms_id=sms.pk, actor=ACTOR)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.provider_id) == (SmsMessage.Status.SENT, 1, "msg-4")
    assert Event.objects.filter(entity_id=str(sms.pk), new_value="QUEUED", actor=ACTOR).exists()


def test_resend_only_failed_sms_of_an_active_code(issue, settings):
    verification, _ = issue()
    sms = sms_of(verification)
    with pytest.raises(Conflict) as not_failed:
        sms_resend(sms_id=sms.pk, actor=ACTOR)
    assert not_failed.value.message == "Only a failed SMS can be resent"

    SmsMessage.objects.filter(pk=sms.pk).update(status=SmsMessage.Status.FAILED)
    Verification.objects.filter(pk=verification.pk).update(code_expired_at=timezone.now())
    with pytest.raises(Conflict) as inactive:
        sms_resend(sms_id=sms.pk, actor=ACTOR)
    assert inactive.value.message == "The code of this SMS is no longer active; start a new verification"


def test_sms_of_a_replaced_code_is_not_sent(queue_only, no_send_limits, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    sms = sms_deliver(sms_id=sms_of(first).pk)
    assert (sms.status, sms.error) == (SmsMessage.Status.FAILED, "The code is no longer active")


def test_slow_gateway_does_not_slow_the_api(caller, http_gateway, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with http_gateway(Gateway(delay=3.0)) as gateway:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = caller.post("/api/verifications", {"phone_number": PHONE}, format="json")
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 1.0
    assert gateway.requests == []
    assert SmsMessage.objects.get().status == SmsMessage.Status.QUEUED
    assert DBTaskResult.objects.get().args_kwargs == {
        "args": [],
        "kwargs": {"sms_id": str(SmsMessage.objects.get().pk)},
    }


def test_a_message_being_sent_is_not_sent_again(http_gateway, queue_only, django_capture_on_commit_callbacks):
    """A second worker (or a duplicate task) finds the message claimed (SENDING) and leaves it."""
    with http_gateway(Gateway()) as gateway:
        with django_capture_on_commit_callbacks(execute=True):
            verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        SmsMessage.objects.filter(verification=verification).update(status=SmsMessage.Status.SENDING)
        assert send_sms.call(**default_task_backend.results[0].kwargs) == "SENDING"
    assert gateway.requests == []


def test_a_send_abandoned_by_a_dead_worker_is_queued_again_after_its_lease(
    http_gateway, queue_only, django_capture_on_commit_callbacks, settings
):
    from verifications.services import sms_requeue_stale

    with http_gateway(Gateway()) as gateway:
        with django_capture_on_commit_callbacks(execute=True):
            verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        sms = sms_of(verification)
        # the worker claimed it, then died before the gateway answered
        SmsMessage.objects.filter(pk=sms.pk).update(status=SmsMessage.Status.SENDING, attempts=1)
        assert sms_requeue_stale(now=timezone.now()) == 0  # still within its lease
        later = timezone.now() + timedelta(seconds=settings.SMS_SENDING_LEASE_SECONDS + 1)
        with django_capture_on_commit_callbacks(execute=True):
            assert sms_requeue_stale(now=later) == 1
        assert send_sms.call(**default_task_backend.results[-1].kwargs) == "SENT"
    assert len(gateway.requests) == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (SmsMessage.Status.SENT, 2)


@pytest.mark.django_db(transaction=True)  # the worker's way: no transaction around the task
def test_a_sent_sms_is_recorded_through_a_database_outage(
    queue_only, no_send_limits, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The gateway took it, then the database dropped: SENT is recorded on the next try, and the message
    is not left SENDING for housekeeping to send a second time."""
    from django.db import OperationalError

    from verifications import services
    from verifications.sms import locmem

    settings.SMS_BACKEND, settings.DB_WORKER_BACKOFF_SECONDS = "locmem", 0.01
    locmem.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    real, tries = services._sms_finish, []

    def lost_once(*args, **kwargs):
        tries.append(1)
        if len(tries) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_sms_finish", lost_once)
    sms = sms_deliver(sms_id=sms_of(verification).pk)
    assert (len(tries), len(locmem.outbox)) == (2, 1)
    assert SmsMessage.objects.get(pk=sms.pk).status == SmsMessage.Status.SENT
