"""`manage.py db_worker`: django-tasks-db's worker that rides out a database outage.

django-tasks-db's own worker exits on the first OperationalError (a restart, a failover, a dropped
connection). This one catches the connection errors, drops the connections, waits with exponential
backoff (DB_WORKER_BACKOFF_SECONDS doubling up to DB_WORKER_BACKOFF_MAX_SECONDS) until the database
answers again, and carries on. A task whose database connection was lost mid-run is not marked
FAILED: it is put back in the queue (the tasks are safe to run twice), and an SMS it was sending stays
QUEUED or SENDING for its own requeue. It is found first because `core` comes before `django_tasks_db`
in INSTALLED_APPS.

`--threads N` runs N such workers in one process, each in a thread of its own with its own database
connection, each claiming tasks as separate worker processes do (SELECT ... FOR UPDATE SKIP LOCKED):
a task waiting on the SMS gateway holds one thread, not the process. What one thread delivers is
bounded by the gateway's latency (1 / latency per second); see docs/operations-metrics.md for the
numbers. A first SIGTERM (or Ctrl-C) lets every thread finish its task; a second one ends the process.
"""

import logging
import os
import signal
import threading
import time
from argparse import ArgumentTypeError
from collections import Counter
from functools import partial

from django.conf import settings
from django.core.management import CommandError
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("django_tasks_db")

CONNECTION_ERRORS = (OperationalError, InterfaceError)


class DatabaseLost(Exception):
    def __init__(self, task_result_id=None):
        self.task_result_id = task_result_id
        super().__init__("database connection lost")


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except DatabaseError:
            connection.connection = None


def _database_answers() -> bool:
    try:
        connections["default"].ensure_connection()
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except CONNECTION_ERRORS:
        _close_connections()
        return False


class Worker(db_worker.Worker):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.requeues: Counter = Counter()

    def run(self) -> None:
        while self.running:
            try:
                super().run()
                return
            except DatabaseLost as lost:
                error, task_result_id = lost.__cause__, lost.task_result_id
            except CONNECTION_ERRORS as caught:
                error, task_result_id = caught, None
            self.startup_delay = False
            self.wait_for_database(error)
            if task_result_id is not None:
                self.requeue(task_result_id)

    def wait_for_database(self, error) -> None:
        delay = settings.DB_WORKER_BACKOFF_SECONDS
        logger.warning("database unavailable (%s); worker %s reconnecting", str(error).strip(), self.worker_id)
        _close_connections()
        while self.running:
            time.sleep(delay)
            if _database_answers():
                logger.warning("database back; worker %s carries on", self.worker_id)
                return
            delay = min(delay * 2, settings.DB_WORKER_BACKOFF_MAX_SECONDS)
            logger.warning("database still unavailable; worker %s retries in %.1f s", self.worker_id, delay)

    def requeue(self, task_result_id) -> None:
        """The task lost its database mid-run: READY again for any worker, never FAILED for it."""
        requeued = DBTaskResult.objects.filter(pk=task_result_id, status="RUNNING").update(
            status="READY", started_at=None
        )
        if requeued:
            logger.warning("task id=%s lost its database connection; queued again", task_result_id)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        set_failed = db_task_result.set_failed

        def set_failed_unless_database_lost(exc):
            # a task that keeps failing this way is failing for its own reasons: FAILED after a few
            task_id = db_task_result.pk
            if isinstance(exc, CONNECTION_ERRORS) and self.requeues[task_id] < settings.DB_WORKER_TASK_REQUEUES:
                self.requeues[task_id] += 1
                raise DatabaseLost(db_task_result.pk) from exc
            set_failed(exc)

        db_task_result.set_failed = set_failed_unless_database_lost
        super().run_task(db_task_result)


class WorkerThreads:
    """`--threads N`: N Workers in threads of this process. The signals are this object's: the library's
    Worker handles them by exiting the process, which a thread cannot do for the others."""

    def __init__(self, count: int, *, worker_id: str, **options):
        self.workers = [Worker(worker_id=f"{worker_id}-{n}", **options) for n in range(1, count + 1)]
        self.stopping = False

    def configure_signals(self) -> None:
        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self.shutdown)

    def shutdown(self, signum: int, frame) -> None:
        if self.stopping:
            logger.warning("Received %s - terminating the current tasks.", signal.strsignal(signum))
            os._exit(1)  # the threads' tasks are cut off; expire_requests queues them again after the lease
        logger.warning(
            "Received %s - shutting down gracefully after the current tasks... (press Ctrl+C again to force)",
            signal.strsignal(signum),
        )
        self.stopping = True
        for worker in self.workers:
            worker.running = False

    def run(self) -> None:
        threads = [threading.Thread(target=self._run, args=(w,), name=w.worker_id) for w in self.workers]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.5)  # short waits: the main thread takes the signals

    @staticmethod
    def _run(worker: Worker) -> None:
        try:
            worker.run()
        except SystemExit:  # the library's Worker.run may exit; for a thread that means: stop
            pass
        except BaseException:
            logger.exception("worker %s stopped", worker.worker_id)
            raise
        finally:
            connections.close_all()  # this thread's own


def _threads(value: str) -> int:
    count = int(value)
    if not 1 <= count <= 64:
        raise ArgumentTypeError("must be from 1 to 64")
    return count


class Command(db_worker.Command):
    help = "Run a database background worker (django-tasks-db) that rides out database outages"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--threads",
            type=_threads,
            default=1,
            help="Workers in threads of this process, each with its own database connection, for tasks that "
            "wait on the network (the SMS gateway). Their ids are the worker id and -1, -2, ... (default: 1)",
        )

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        threads=1,
        **options,
    ):
        """The library's handle, building this module's Worker."""
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("Warning: --reload and --batch cannot be specified together. Disabling autoreload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = (Worker if threads == 1 else partial(WorkerThreads, threads))(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if not reload:
            worker.configure_signals()
            worker.run()
            return
        if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":  # only the reloader's child handles signals
            worker.configure_signals()
        run_with_reloader(worker.run)
