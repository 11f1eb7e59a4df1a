"""The SMS really leaves through `manage.py db_worker` (django-tasks-db), as in production."""

import json

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tests.workers import run_worker
from verifications.models import SmsMessage, Verification
from verifications.services import verification_complete, verification_initialize

from .conftest import PHONE, own_client

# The worker is another process: it needs committed rows in a database it can reach.
pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_db_worker_delivers_the_sms_to_the_file_outbox(database_tasks, tmp_path):
    outbox = tmp_path / "sms-outbox.jsonl"
    verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    assert DBTaskResult.objects.ready().count() == 1
    assert SmsMessage.objects.get().status == SmsMessage.Status.QUEUED

    worker = run_worker(outbox)
    assert worker.returncode == 0, worker.stderr

    [line] = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert line["phone_number"] == PHONE
    code = line["body"].removeprefix("Код авторизації дій в системі eHealth: ")
    assert code.isdigit() and len(code) == 4
    sms = SmsMessage.objects.get()
    assert (sms.status, sms.attempts, sms.code_ciphertext) == (SmsMessage.Status.SENT, 1, "")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert "sent to +38050*****67" in worker.stderr  # its log masks the phone ...
    assert code not in worker.stdout + worker.stderr  # ... and never shows the code
    assert verification_complete(phone_number=PHONE, code=code, client=own_client()).pk == verification.pk


def test_no_task_and_no_sms_when_the_transaction_rolls_back(database_tasks, tmp_path):
    with pytest.raises(RuntimeError), transaction.atomic():
        verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        raise RuntimeError("a later step of the caller failed")
    assert not DBTaskResult.objects.exists()
    worker = run_worker(tmp_path / "sms-outbox.jsonl")
    assert worker.returncode == 0, worker.stderr
    assert not (tmp_path / "sms-outbox.jsonl").exists()
    assert not Verification.objects.exists()
