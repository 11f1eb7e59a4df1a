"""Enqueueing tasks once the work they follow is committed."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, **kwargs) -> None:
    """Enqueue `task(**kwargs)` when the current transaction commits (at once outside one).

    A task that cannot be enqueued (the task backend down or misconfigured) is logged, never raised:
    the caller's work is committed by then and its answer must not become a 500. The record the task
    would process stays as it was (an SMS QUEUED, a job pending) for housekeeping to queue again.
    """

    def enqueue():
        try:
            task.enqueue(**kwargs)
        except Exception:  # whatever the backend raises: the caller's answer must not depend on it
            logger.exception("task %s(%s) could not be enqueued; housekeeping will queue it again", task.name, kwargs)

    transaction.on_commit(enqueue)
