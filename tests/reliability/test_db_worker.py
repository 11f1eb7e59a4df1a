"""Our `db_worker` waits out a lost database and carries on; a task cut off by it is queued again."""

import pytest
from django.core.management import get_commands
from django.db import OperationalError
from django_tasks_db.management.commands import db_worker as upstream
from django_tasks_db.models import DBTaskResult

from core.management.commands import db_worker
from tests.verifications.conftest import PHONE, own_client
from verifications import services
from verifications.models import SmsMessage
from verifications.services import verification_initialize
from verifications.sms import locmem

pytestmark = pytest.mark.django_db


def worker(**overrides) -> db_worker.Worker:
    options = {
        "queue_names": ["default"],
        "interval": 0,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
        "excluded_queue_names": [],
    }
    return db_worker.Worker(**{**options, **overrides})


@pytest.fixture
def sleeps(monkeypatch):
    """No real waiting; and the test's connection (which holds its transaction) is never dropped."""
    slept = []
    monkeypatch.setattr(db_worker.time, "sleep", slept.append)
    monkeypatch.setattr(db_worker, "_close_connections", lambda: None)
    monkeypatch.setattr(upstream, "close_old_connections", lambda: None)
    return slept


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_ours_is_the_db_worker_command():
    assert get_commands()["db_worker"] == "core"


def test_it_waits_with_backoff_until_the_database_answers(monkeypatch, sleeps, settings):
    settings.DB_WORKER_BACKOFF_SECONDS, settings.DB_WORKER_BACKOFF_MAX_SECONDS = 0.5, 1.5
    runs = iter([OperationalError("the database system is starting up"), None])

    def upstream_run(self):
        if (error := next(runs)) is not None:
            raise error

    answers = iter([False, False, False, True])
    monkeypatch.setattr(upstream.Worker, "run", upstream_run)
    monkeypatch.setattr(db_worker, "_database_answers", lambda: next(answers))
    worker().run()
    assert sleeps == [0.5, 1.0, 1.5, 1.5]


@pytest.fixture
def issued(database_tasks, django_capture_on_commit_callbacks):
    """A code whose SMS task is in the database queue."""
    with django_capture_on_commit_callbacks(execute=True):
        verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    assert DBTaskResult.objects.get().status == "READY"


def test_a_task_that_lost_its_database_is_queued_again_not_failed(issued, monkeypatch, sleeps):
    real, calls = services.sms_deliver, []

    def lost_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(**kwargs)

    monkeypatch.setattr(services, "sms_deliver", lost_once)
    monkeypatch.setattr(db_worker, "_database_answers", lambda: True)
    worker().run()
    task = DBTaskResult.objects.get()
    assert (task.status, len(task.worker_ids)) == ("SUCCESSFUL", 2)
    sms = SmsMessage.objects.get()
    assert (sms.status, sms.attempts) == (SmsMessage.Status.SENT, 1)
    assert len(locmem.outbox) == 1 and len(calls) == 2


def test_a_task_that_always_fails_so_is_failed_after_a_few_requeues(issued, monkeypatch, sleeps, settings):
    def always(**kwargs):
        raise OperationalError("no such table: something_missing")

    monkeypatch.setattr(services, "sms_deliver", always)
    monkeypatch.setattr(db_worker, "_database_answers", lambda: True)
    worker().run()
    task = DBTaskResult.objects.get()
    assert (task.status, len(task.worker_ids)) == ("FAILED", settings.DB_WORKER_TASK_REQUEUES + 1)
    assert SmsMessage.objects.get().status == SmsMessage.Status.QUEUED  # the SMS is not FAILED for it


def test_an_sms_whose_finish_hit_a_database_error_stays_sending_for_the_requeue(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django.utils import timezone

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    sms = SmsMessage.objects.get()
    real = services._sms_finish

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_sms_finish", lost)
    with pytest.raises(OperationalError):
        services.sms_deliver(sms_id=sms.pk)
    sms.refresh_from_db()
    assert sms.status == SmsMessage.Status.SENDING  # never FAILED for a database error
    monkeypatch.setattr(services, "_sms_finish", real)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    lease = timezone.timedelta(seconds=settings.SMS_SENDING_LEASE_SECONDS)
    SmsMessage.objects.update(updated_at=timezone.now() - lease)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_requests", verbosity=0)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (SmsMessage.Status.SENT, 2)
