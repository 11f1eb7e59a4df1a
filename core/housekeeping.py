"""The core app's own housekeeping, found by name like every app's (core.jobs.housekeeping runs them;
core comes first in INSTALLED_APPS): `expire` requeues tasks a dead worker left RUNNING, `cleanup`
deletes old jobs, finished task results, old idempotency keys and failed client authentications."""

from datetime import timedelta

from django.conf import settings

from core.api.idempotency import idempotency_keys_delete_old
from core.jobs.housekeeping import progress
from core.jobs.services import jobs_delete_old, task_results_delete_finished, task_results_requeue_stale
from core.oauth.provider import client_failures_delete_old

CLEANUP_BATCH = 1000


def expire(now) -> dict[str, int]:
    """Tasks left RUNNING by a dead worker go back to the queue (SMS deliveries and jobs alike)."""
    requeued = task_results_requeue_stale(now=now)
    return {"tasks requeued": requeued} if requeued else {}


def cleanup(now) -> dict[str, int]:
    jobs = _in_batches(
        lambda: jobs_delete_old(before=now - timedelta(days=settings.JOB_RETENTION_DAYS), limit=CLEANUP_BATCH),
        "jobs deleted",
    )
    tasks = _in_batches(
        lambda: task_results_delete_finished(
            before=now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS), limit=CLEANUP_BATCH
        ),
        "task results deleted",
    )
    return {
        "jobs deleted": jobs,
        "task results deleted": tasks,
        "idempotency keys deleted": idempotency_keys_delete_old(now=now),
        "failed client authentications deleted": client_failures_delete_old(now=now),
    }


def _in_batches(run_batch, label: str) -> int:
    total = 0
    while True:
        done = run_batch()
        total += done
        if done < CLEANUP_BATCH:
            return total
        progress.info("%s so far: %d", label, total)
