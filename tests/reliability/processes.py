"""Real processes for the fault and cluster tests: gunicorn and `db_worker` on the test database,
PostgreSQL restarts, HTTP on loopback."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

FAULTS = os.environ.get("RUN_FAULT_TESTS") == "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(**overrides) -> dict:
    """The environment of a production-like process on this test's database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # to decrypt what the other processes encrypted
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "INFO",
    }
    env.update({name: str(value) for name, value in overrides.items()})
    return env


@contextmanager
def running(command: list[str], env: dict, log_path):
    """Run a process for the block; stop it (SIGTERM, then SIGKILL) afterwards."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def gunicorn(port: int, env: dict, log_path, workers: int = 2):
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--timeout", "30", "--graceful-timeout", "5"]
    return running(command, env, log_path)


def db_worker(env: dict, log_path, *extra: str):
    command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.2"]
    return running([*command, *extra], env, log_path)


def wait_until(predicate, *, timeout: float, step: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def http(method: str, url: str, *, body=None, headers=None, timeout: float = 10.0) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) — the status 0 when nothing answered."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = {"raw": payload.decode(errors="replace")}
        return error.code, dict(error.headers), parsed
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}, None


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    wait_until(lambda: http("GET", url)[0] in (200, 503), timeout=timeout, what=url)


def _cluster() -> list[str]:
    version = sorted(os.listdir("/usr/lib/postgresql"), key=float)[-1]
    return [version, "main"]


def restart_postgres() -> float:
    """`pg_ctlcluster <version> main restart` (a second or two); how long until it answered again."""
    started = time.monotonic()
    subprocess.run(["pg_ctlcluster", *_cluster(), "restart", "-m", "fast"], check=True, capture_output=True)
    db = connection.settings_dict
    wait_until(
        lambda: subprocess.run(["pg_isready", "-q", "-h", db["HOST"], "-p", str(db["PORT"] or 5432)]).returncode == 0,
        timeout=30,
        what="PostgreSQL after the restart",
    )
    connection.close()  # this process's connection died with the server
    return time.monotonic() - started
