"""Enqueueing tasks once the work they follow is committed."""

import logging

import django_tasks_db.backend
from django.db import DEFAULT_DB_ALIAS, DatabaseError, router, transaction

logger = logging.getLogger(__name__)


def _queue_is_this_database(task) -> bool:
    """The task queue is a table of the database the caller's transaction writes to (django-tasks-db)."""
    from django_tasks_db.models import DBTaskResult

    return (
        isinstance(task.get_backend(), django_tasks_db.backend.DatabaseBackend)
        and router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )


def enqueue_on_commit(task, **kwargs) -> None:
    """Enqueue `task(**kwargs)` when the current transaction commits (at once outside one).

    When the queue is a table of the same database (django-tasks-db), the task's row is written inside
    the caller's transaction: workers see it exactly when the work commits, a rollback takes it away,
    and the request costs one commit instead of two. Any other backend is called after the commit.

    A task that cannot be enqueued (the task backend down or misconfigured) is logged, never raised:
    the caller's answer must not become a 500 for it. The record the task would process stays as it
    was (an SMS QUEUED, a job pending) for housekeeping to queue again. A database error inside the
    caller's transaction is raised: that transaction cannot commit anyway.
    """

    def enqueue():
        try:
            task.enqueue(**kwargs)
        except DatabaseError:
            if transaction.get_connection().in_atomic_block:
                raise
            logger.exception("task %s(%s) could not be enqueued; housekeeping will queue it again", task.name, kwargs)
        except Exception:  # whatever the backend raises: the caller's answer must not depend on it
            logger.exception("task %s(%s) could not be enqueued; housekeeping will queue it again", task.name, kwargs)

    if transaction.get_connection().in_atomic_block and _queue_is_this_database(task):
        enqueue()
    else:
        transaction.on_commit(enqueue)
