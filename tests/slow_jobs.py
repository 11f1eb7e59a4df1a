"""`python -m tests.slow_jobs SECONDS COMMAND [ARGS]`: a manage.py command (the worker) whose jobs each
take SECONDS longer, spent while the job's row is locked: long enough for a test to kill the worker
midway, or to keep two workers busy at once."""

import os
import sys
import time

import django
from django.core.management import execute_from_command_line


def main() -> None:
    delay = float(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from approvals import tasks

    job_run = tasks.job_run

    def slow_job_run(*, job_id, run):
        def slow_run(job):
            time.sleep(delay)
            return run(job)

        return job_run(job_id=job_id, run=slow_run)

    tasks.job_run = slow_job_run
    execute_from_command_line(["manage.py", *sys.argv[2:]])


if __name__ == "__main__":
    main()
