"""Expiry, merging, cleanup, the task-queue lease, demo data and the back office of approvals and jobs."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from approvals import merging
from approvals.models import Approval
from core.jobs.services import job_create, job_finish
from core.models import Event, Job
from declarations.models import Employee
from tests.conftest import ACTOR
from tests.persons.factories import PersonFactory

from .conftest import code_of, url

pytestmark = pytest.mark.django_db

PHONE = "+380931234585"


def command(name: str) -> list[str]:
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue().splitlines()


def task_result(status: str, *, started_ago=None, finished_ago=None) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {"sms_id": "x"}},
        task_path="verifications.tasks.send_sms",
        backend_name="default",
        run_after=get_date_max(),
        started_at=now - started_ago if started_ago is not None else None,
        finished_at=now - finished_ago if finished_ago is not None else None,
    )


def test_expire_requests_expires_new_and_active_approvals_at_expires_at(caller, patient, create):
    granted = create(patient)
    assert caller.patch(url(patient, granted), {"code": code_of(PHONE)}, format="json").status_code == 200
    pending, fresh = create(patient), create(patient)
    past = timezone.now() - timedelta(seconds=1)
    Approval.objects.filter(pk__in=[pending.pk, granted.pk]).update(expires_at=past)
    assert "approvals expired: 2" in command("expire_requests")
    statuses = dict(Approval.objects.values_list("pk", "status"))
    assert (statuses[pending.pk], statuses[granted.pk], statuses[fresh.pk]) == ("expired", "expired", "new")
    assert Event.objects.filter(entity_id=str(granted.pk), old_value="active", new_value="expired").exists()
    assert not any(line.startswith("approvals") for line in command("expire_requests"))  # quiet when idle


def test_merging_cancels_the_new_approvals_of_every_legal_entity(caller, caller_factory, patient, create):
    from tests.declarations.factories import EmployeeFactory

    from .conftest import reference

    pending, granted = create(patient), create(patient)
    assert caller.patch(url(patient, granted), {"code": code_of(PHONE)}, format="json").status_code == 200
    other = caller_factory(name="Other MIS")
    theirs = create(patient, http=other, granted_to=reference("employee", str(EmployeeFactory(client=other.client).pk)))
    someone_else = create(PersonFactory())
    assert merging.cancel_open_requests(person=patient, now=timezone.now(), actor="merge") == 2
    statuses = dict(Approval.objects.values_list("pk", "status"))
    assert statuses[pending.pk] == statuses[theirs.pk] == "cancelled"
    assert (statuses[granted.pk], statuses[someone_else.pk]) == ("active", "new")
    assert Event.objects.filter(entity_id=str(pending.pk), new_value="cancelled", actor="merge").exists()


def test_expire_requests_requeues_tasks_a_dead_worker_left_running(settings):
    settings.TASK_RUNNING_LEASE_SECONDS = 60
    stale = task_result("RUNNING", started_ago=timedelta(seconds=61))
    alive = task_result("RUNNING", started_ago=timedelta(seconds=30))
    assert "tasks requeued: 1" in command("expire_requests")
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert (stale.status, alive.status) == ("READY", "RUNNING")
    assert DBTaskResult.objects.ready().filter(pk=stale.pk).exists()
    assert not any(line.startswith("tasks") for line in command("expire_requests"))


def test_cleanup_deletes_old_finished_jobs_and_task_results(caller, settings):
    settings.JOB_RETENTION_DAYS = settings.TASK_RESULT_RETENTION_DAYS = 7
    old_done, old_pending, new_done = (job_create(client=caller.client, kind="k") for _ in range(3))
    for job in (old_done, new_done):
        job_finish(job_id=job.pk, status_code=201, response_data={})
    Job.objects.filter(pk__in=[old_done.pk, old_pending.pk]).update(updated_at=timezone.now() - timedelta(days=8))
    old_result = task_result("SUCCESSFUL", finished_ago=timedelta(days=8))
    old_failure = task_result("FAILED", finished_ago=timedelta(days=8))
    new_result = task_result("SUCCESSFUL", finished_ago=timedelta(days=1))
    waiting = task_result("READY")
    lines = command("cleanup")
    assert "jobs deleted: 1" in lines and "task results deleted: 2" in lines
    assert set(Job.objects.values_list("pk", flat=True)) == {old_pending.pk, new_done.pk}
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {new_result.pk, waiting.pk}
    assert not DBTaskResult.objects.filter(pk__in=[old_result.pk, old_failure.pk]).exists()


def test_jobs_are_audited(caller):
    job = job_create(client=caller.client, kind="approval_resend", actor=ACTOR)
    job_finish(job_id=job.pk, status_code=201, response_data={})
    events = Event.objects.filter(entity_id=str(job.pk)).order_by("created_at")
    assert [(e.old_value, e.new_value) for e in events] == [(None, "pending"), ("pending", "processed")]


def test_seed_demo_adds_a_doctor_and_an_approval_once():
    def seed():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        return json.loads(out.getvalue())

    first = seed()["approval"]
    approval = Approval.objects.get()
    assert first == {
        "id": str(approval.pk),
        "patient_id": str(approval.patient_id),
        "granted_to": str(approval.granted_to_id),
        "status": "new",
    }
    assert approval.patient.last_name == "Мельник"  # a phone of its own: the walkthroughs send nothing there
    assert approval.granted_to.client.name == "Demo MIS"
    assert seed()["approval"] == first  # idempotent
    assert (Approval.objects.count(), Employee.objects.count()) == (1, 1)


def test_admin_lists_and_shows_approvals_and_jobs_with_events(client, caller, patient, create):
    approval = create(patient)
    job = job_create(client=caller.client, kind="approval_resend")
    boss = User.objects.create_superuser("boss", password="pw")
    client.force_login(boss)
    for path in ("/admin/approvals/approval/", "/admin/approvals/approval/?status__exact=new", "/admin/core/job/"):
        assert client.get(path).status_code == 200
    page = client.get(f"/admin/approvals/approval/{approval.pk}/change/").content.decode()
    assert "+38093*****85" in page and PHONE not in page
    assert "status: — → new" in page
    assert "status: — → pending" in client.get(f"/admin/core/job/{job.pk}/change/").content.decode()
    assert client.get(f"/admin/approvals/approval/?q={patient.tax_id}").status_code == 200


def test_admin_resends_the_code(client, caller, patient, create):
    approval = create(patient)
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    response = client.post(
        "/admin/approvals/approval/",
        {"action": "resend_code", "confirmed": "yes", "_selected_action": [str(approval.pk)]},
    )
    assert response.status_code == 302
    assert Event.objects.filter(entity_id=str(approval.pk), property="otp_sent").count() == 2


def test_back_office_groups_see_approvals_and_jobs():
    from django.contrib.auth.models import Group

    clerks = set(Group.objects.get(name="read-only clerks").permissions.values_list("codename", flat=True))
    verifiers = set(Group.objects.get(name="verifiers").permissions.values_list("codename", flat=True))
    assert {"view_approval", "view_job"} <= clerks and "change_approval" not in clerks
    assert {"view_approval", "view_job", "change_approval"} <= verifiers


def test_merge_approve_finds_the_approvals_plug_in():
    from core.management.discovery import app_modules

    assert ("approvals", merging) in list(app_modules("merging"))
