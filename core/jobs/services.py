"""Writes of the core app: jobs, and the task queue's upkeep."""

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.api.errors import ApiError, error_body
from core.audit import events as audit
from core.models import Client, Job

logger = logging.getLogger(__name__)


# --- jobs (DESIGN §4.5) --------------------------------------------------------------------------


def job_create(*, client: Client, kind: str, eta_seconds: int = 5, actor: str = audit.SYSTEM) -> Job:
    """Call inside the transaction that enqueues the job's task (on commit)."""
    job = Job.objects.create(client=client, kind=kind, eta=timezone.now() + timedelta(seconds=eta_seconds))
    audit.record(entity=job, property="status", old=None, new=job.status, actor=actor)
    return job


def job_finish(*, job_id: uuid.UUID, status_code: int, response_data=None, error=None) -> bool:
    """Pending -> processed (or failed when `error` is given), once: a second worker's call changes nothing."""
    status = Job.Status.FAILED if error is not None else Job.Status.PROCESSED
    with transaction.atomic():
        updated = Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
            status=status, status_code=status_code, response_data=response_data, error=error, updated_at=timezone.now()
        )
        if updated:
            event = audit.event_for(
                entity_type=Job._meta.label_lower,
                entity_id=job_id,
                property="status",
                old=Job.Status.PENDING,
                new=status,
                actor=audit.SYSTEM,
            )
            event.save(force_insert=True)
    return updated == 1


def job_run(*, job_id, run: Callable[[Job], tuple[int, object]]) -> str:
    """The body of a job's task: `run(job)` returns (status code, response data) or raises an ApiError.

    Processed at most once: the job row stays locked from the check that it is pending until it is
    finished, in one transaction with everything `run` writes. A second worker (a duplicate task, or a
    task that housekeeping requeued while its first worker was only slow) waits for the lock, then
    finds the job finished and does nothing. A worker that dies midway rolls all of it back: the job
    is still pending and the requeued task runs it again. An ApiError is the job's answer (failed,
    with the error body the API would have sent); `run`'s writes are undone with it.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("client").filter(pk=job_id).first()
        if job is None or job.status != Job.Status.PENDING:
            return "ALREADY_DONE" if job is not None else "MISSING"
        try:
            with transaction.atomic():
                status_code, response_data = run(job)
        except ApiError as failure:
            body = error_body(failure.status, failure.message, type=failure.type, invalid=failure.invalid)
            job_finish(job_id=job.pk, status_code=failure.status, error=body)
            logger.info("job %s (%s) failed: %s", job.pk, job.kind, failure.describe())
            return Job.Status.FAILED
        job_finish(job_id=job.pk, status_code=status_code, response_data=response_data)
    logger.info("job %s (%s) processed", job.pk, job.kind)
    return Job.Status.PROCESSED


@transaction.atomic
def jobs_delete_old(*, before, limit: int) -> int:
    """Delete at most `limit` finished jobs last changed before `before`; how many."""
    ids = list(
        Job.objects.filter(updated_at__lt=before)
        .exclude(status=Job.Status.PENDING)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    _, deleted = Job.objects.filter(pk__in=ids).delete()
    return deleted.get(Job._meta.label, 0)


# --- the task queue (django-tasks-db) ------------------------------------------------------------


def task_results_requeue_stale(*, now) -> int:
    """Tasks a worker claimed (RUNNING) longer than TASK_RUNNING_LEASE_SECONDS ago go back to READY.

    A worker that is killed (SIGKILL, OOM, a lost machine) leaves its task RUNNING for ever: the
    queue only hands out READY tasks. Every task here is safe to run twice (an SMS is claimed before
    it is sent, a job is finished once), so a worker that is merely slow and overtaken does no harm;
    the lease is far longer than any task should take. How many were requeued.
    """
    stale = now - timedelta(seconds=settings.TASK_RUNNING_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(status=TaskResultStatus.RUNNING, started_at__lte=stale)
            .values_list("pk", flat=True)[:1000]
        )
        DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.RUNNING).update(status=TaskResultStatus.READY)
    for task_id in ids:
        logger.warning("task %s was RUNNING since before %s: requeued", task_id, stale.isoformat())
    return len(ids)


@transaction.atomic
def task_results_delete_finished(*, before, limit: int) -> int:
    """Delete at most `limit` finished (SUCCESSFUL or FAILED) task results that ended before `before`."""
    finished = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=before
    )
    ids = list(finished.order_by("finished_at").values_list("pk", flat=True)[:limit])
    deleted, _ = DBTaskResult.objects.filter(pk__in=ids).delete()
    return deleted
