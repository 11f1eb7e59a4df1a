"""gunicorn's settings for the web processes: `gunicorn config.wsgi -c config/gunicorn.py --bind ...`.

* Metrics (core.observability.metrics): with PROMETHEUS_MULTIPROC_DIR set, every worker process writes
  its HTTP counts to files in that folder, and a scrape answered by any one of them adds up all the
  files. The folder belongs to this gunicorn instance alone; it is emptied when the instance starts
  (counts of an earlier run would otherwise be added again), and a worker that exits is marked dead there.
* LOG_FORMAT=json: gunicorn's own lines (workers booting, timing out, being killed) as JSON too.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess


def _metrics_dir() -> Path | None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(folder) if folder else None


def on_starting(server):
    folder = _metrics_dir()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if _metrics_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)


if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "core.observability.logformat.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
