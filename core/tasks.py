"""Enqueueing tasks once the work they follow is committed."""

import logging

import django_tasks_db.backend
from django.db import DEFAULT_DB_ALIAS, DatabaseError, router, transaction
from django.tasks import TaskResultStatus
from django.tasks.signals import task_enqueued
from django_tasks_db.backend import TaskResult
from django_tasks_db.compat import normalize_json
from django_tasks_db.utils import normalize_uuid

from core.rows import table

logger = logging.getLogger(__name__)


class DatabaseBackend(django_tasks_db.backend.DatabaseBackend):
    """django-tasks-db's backend (TASKS_BACKEND), whose enqueue writes the task's row through core.rows.

    Every code sent enqueues its SMS: the ORM's insert of this 15-column row was a seventh of such a
    request's Python time. The row is the library's own (its model, defaults and pre_save receiver);
    its workers run it as any other.
    """

    def enqueue(self, task, args, kwargs):
        """The library's enqueue, with the new row's result made once and from the task given: the
        library makes it twice, each time importing the task again by its path and copying it with the
        row's options (60 µs an enqueue)."""
        self.validate_task(task)
        row = self._task_to_db_task(task, args, kwargs)
        task_result = TaskResult(
            db_result=row,
            task=task,
            id=normalize_uuid(row.id),
            status=TaskResultStatus.READY,
            enqueued_at=row.enqueued_at,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=row.args_kwargs["args"],
            kwargs=row.args_kwargs["kwargs"],
            backend=self.alias,
            errors=[],
            worker_ids=row.worker_ids,
        )
        object.__setattr__(task_result, "_return_value", None)  # as the library's: none until it runs
        task_enqueued.send(type(self), task_result=task_result)
        return task_result

    def _task_to_db_task(self, task, args, kwargs):
        from django_tasks_db.models import DBTaskResult

        result = table(DBTaskResult).new(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        table(DBTaskResult).insert(result)
        return result


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
