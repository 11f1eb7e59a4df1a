"""Asynchronous resends through the real `manage.py db_worker`, as in production: processed once, even
with two workers, and even when a worker is killed in the middle of a job."""

import json
import os
import re
import signal
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from approvals import services
from approvals.models import Approval
from core.models import Event, Job
from tests.declarations.factories import EmployeeFactory
from tests.persons.factories import PersonFactory
from tests.workers import run_worker, start_worker, worker_log

from .conftest import body, url

# The worker is another process: it needs committed rows in a database it can reach.
pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_TASK = "approvals.tasks.approval_resend_job"
# the worker resends right after the create's code: no cooldown
RELAXED = {"OTP_RESEND_COOLDOWN_SECONDS": 0, "OTP_SEND_LIMIT": 1000, "OTP_PHONE_SEND_LIMIT": 1000}


def outbox_codes(outbox, phone_number: str) -> list[str]:
    if not outbox.exists():
        return []
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    return [re.search(r"(\d+)$", m["body"]).group(1) for m in lines if m["phone_number"] == phone_number]


def wait_for(condition, *, timeout: float = 30, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s")


def otp_sent(approval) -> int:
    return Event.objects.filter(entity_id=str(approval.pk), property="otp_sent").count()


def new_approval(caller, phone_number: str) -> Approval:
    patient = PersonFactory(primary__phone_number=phone_number)
    doctor = EmployeeFactory(client=caller.client)
    return services.approval_create(
        patient_id=patient.pk,
        granted_resources=body(doctor)["granted_resources"],
        granted_to_id=doctor.pk,
        client=caller.client,
        actor="test",
    )


def test_async_resend_end_to_end_through_the_worker(caller, database_tasks, settings, tmp_path):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    outbox, phone = tmp_path / "outbox.jsonl", "+380931234585"
    patient = PersonFactory(primary__phone_number=phone)
    doctor = EmployeeFactory(client=caller.client)
    created = caller.post(url(patient), body(doctor), format="json")
    assert created.status_code == 201, created.json()
    approval_id = created.json()["data"]["id"]

    response = caller.patch(url(patient, approval_id, "resend"))
    assert response.status_code == 202, response.json()
    href = response.json()["data"]["links"][0]["href"]
    assert caller.get(href).json()["data"]["status"] == "pending"

    worker = start_worker(outbox, **RELAXED)
    try:
        job = wait_for(lambda: (data := caller.get(href).json()["data"])["status"] != "pending" and data)
        codes = wait_for(lambda: len(codes := outbox_codes(outbox, phone)) == 2 and codes)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    output = worker_log(worker)
    assert job["status"] == "processed", (job, output)
    assert job["status_code"] == 201
    assert job["response_data"] == caller.get(url(patient, approval_id)).json()["data"]
    assert phone not in output  # the worker's log masks the phone
    # the resent code (the last SMS) activates the approval
    activated = caller.patch(url(patient, approval_id), {"code": codes[-1]}, format="json")
    assert activated.status_code == 200, activated.json()
    assert activated.json()["data"]["status"] == "active"


def test_fifty_jobs_and_two_workers_each_job_processed_exactly_once(caller, database_tasks, tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    approvals = [new_approval(caller, f"+38066{n:07d}") for n in range(50)]
    jobs = [
        services.approval_resend_start(patient_id=a.patient_id, approval_id=a.pk, client=caller.client, actor="test")
        for a in approvals
    ]
    # a short pause in each job, so both workers are busy at once
    workers = [start_worker(outbox, batch=True, worker_id=f"worker-{n}", job_delay=0.05, **RELAXED) for n in range(2)]
    for worker in workers:
        assert worker.wait(timeout=60) == 0, worker_log(worker)

    assert set(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("status", "status_code")) == {
        ("processed", 201)
    }
    assert [otp_sent(a) for a in approvals] == [2] * 50  # the create's code and exactly one resend
    results = DBTaskResult.objects.filter(task_path=JOB_TASK)
    assert results.count() == 50
    assert {(r.status, r.return_value, len(r.worker_ids)) for r in results} == {("SUCCESSFUL", "processed", 1)}
    assert {r.worker_ids[0] for r in results} == {"worker-0", "worker-1"}  # both took a share
    assert sum(len(outbox_codes(outbox, f"+38066{n:07d}")) for n in range(50)) == 100


def test_a_worker_killed_mid_job_leaves_it_for_the_next_after_the_lease(caller, database_tasks, settings, tmp_path):
    outbox, phone = tmp_path / "outbox.jsonl", "+380931234585"
    approval = new_approval(caller, phone)
    job = services.approval_resend_start(
        patient_id=approval.patient_id, approval_id=approval.pk, client=caller.client, actor="test"
    )
    doomed = start_worker(outbox, worker_id="doomed", job_delay=60, **RELAXED)
    try:
        task = wait_for(lambda: DBTaskResult.objects.filter(task_path=JOB_TASK, status="RUNNING").first())
        time.sleep(1)  # inside the job now: its row locked, the sleep holding it
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
    task.refresh_from_db()
    assert (task.status, Job.objects.get(pk=job.pk).status) == ("RUNNING", "pending")  # stuck, for ever alone

    def expire_requests() -> list[str]:
        out = StringIO()
        call_command("expire_requests", stdout=out)
        return out.getvalue().splitlines()

    settings.TASK_RUNNING_LEASE_SECONDS = 3600
    assert not any(line.startswith("tasks requeued") for line in expire_requests())  # within its lease
    settings.TASK_RUNNING_LEASE_SECONDS = 0
    assert "tasks requeued: 1" in expire_requests()

    worker = run_worker(outbox, timeout=60, **RELAXED)
    assert worker.returncode == 0, worker.stderr
    task.refresh_from_db()
    job.refresh_from_db()
    assert (job.status, job.status_code) == ("processed", 201)
    assert (task.status, task.return_value, task.worker_ids[0]) == ("SUCCESSFUL", "processed", "doomed")
    assert len(task.worker_ids) == 2
    assert otp_sent(approval) == 2  # the create's code and one resend: the killed run left nothing
    assert len(outbox_codes(outbox, phone)) == 2
