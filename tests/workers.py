"""The real task worker (`manage.py db_worker`) as a subprocess against the test database."""

import os
import subprocess
import sys

from django.conf import settings as django_settings
from django.db import connection

COMMAND = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"]


def worker_env(outbox, **extra) -> dict:
    """The worker's environment: production settings on the test database, SMS into `outbox`."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": django_settings.SECRET_KEY,  # to decrypt what this process encrypted
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(outbox),
        **{name: str(value) for name, value in extra.items()},
    }


def run_worker(outbox, *, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    """Run every task that is ready, then return (`--batch`)."""
    return subprocess.run(
        [*COMMAND, "--batch"],
        cwd=django_settings.BASE_DIR,
        env=worker_env(outbox, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_worker(
    outbox, *, batch: bool = False, worker_id: str = "worker", job_delay: float = 0, threads: int = 1, **env
) -> subprocess.Popen:
    """A worker in the background (polling every 0.1 s unless `batch`, each job `job_delay` seconds
    longer: tests.slow_jobs; `threads` workers in it, `--threads`); the caller stops it.

    Its output goes to `<worker_id>.log` beside the outbox (a pipe nobody reads could fill up and
    stall it); `worker_log(worker)` reads it.
    """
    command = [*COMMAND, "--interval", "0.1", "--worker-id", worker_id] + (["--batch"] if batch else [])
    command += ["--threads", str(threads)] if threads != 1 else []
    if job_delay:
        command = [sys.executable, "-m", "tests.slow_jobs", str(job_delay), *command[2:]]
    log_path = outbox.parent / f"{worker_id}.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            command, cwd=django_settings.BASE_DIR, env=worker_env(outbox, **env), stdout=log, stderr=subprocess.STDOUT
        )
    worker.log_path = log_path
    return worker


def worker_log(worker: subprocess.Popen) -> str:
    return worker.log_path.read_text()
