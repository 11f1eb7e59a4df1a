"""Does the task worker keep up with the web tier? Codes accepted per second by ONE gunicorn worker
process against SMS delivered per second by ONE `manage.py db_worker`, on loopback and PostgreSQL.

    DATABASE_URL=postgres://ehealth:ehealth@127.0.0.1:5432/ehealth_ops .venv/bin/python bench/worker_rate.py

1. gunicorn, one sync worker process, SMS_BACKEND=locmem; RATE_CLIENTS threads POST /api/verifications
   (a phone of its own each time) for RATE_SECONDS: codes accepted per second. Every accepted code leaves
   one READY task (its SMS) in django-tasks-db's table; nothing runs them yet.
2. gunicorn stopped, that queue is drained by one worker (`db_worker --batch`), then as many fresh codes
   by two workers at once, then by one worker of 4 threads (`--threads 4`): SMS delivered per second,
   from the tasks' own started_at and finished_at (the workers' start-up left out).
3. The same with an SMS gateway that takes RATE_GATEWAY_MS to answer (SMS_BACKEND=http to a server in
   this process): what one worker thread delivers is then bounded by 1 / the gateway's latency; one
   worker of 8 threads waits on 8 answers at once.

Bounded: a few thousand requests and tasks, loopback only; its own tables are emptied first. Prints one
JSON object (docs/operations-metrics.md quotes a run).
"""

import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECONDS = float(os.environ.get("RATE_SECONDS", "8"))
CLIENTS = int(os.environ.get("RATE_CLIENTS", "4"))
GATEWAY_MS = float(os.environ.get("RATE_GATEWAY_MS", "50"))
GATEWAY_TASKS = int(os.environ.get("RATE_GATEWAY_TASKS", "200"))
PORT = int(os.environ.get("RATE_PORT", "8779"))
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "worker-rate-only-secret-key-0123456789-0123456789-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "ERROR",
    "SMS_BACKEND": "locmem",
    "OTP_SEND_LIMIT": "1000000",
    "OTP_PHONE_SEND_LIMIT": "1000000",
    "OTP_RESEND_COOLDOWN_SECONDS": "0",
}
if not ENV.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("DATABASE_URL must name a PostgreSQL database (its tables are emptied)")
os.environ.update(ENV)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from core.oauth.services import client_create, token_issue  # noqa: E402
from verifications.models import FailedGuess, SmsMessage, Verification  # noqa: E402


def manage(*args: str, env=None) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env or ENV, check=True)


def empty_tables() -> None:
    DBTaskResult.objects.all().delete()
    SmsMessage.objects.all().delete()
    FailedGuess.objects.all().delete()
    Verification.objects.all().delete()


def web_rate(headers: dict) -> dict:
    command = [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{PORT}"]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=ENV)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/health/live", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        counts, stop = [], time.monotonic() + SECONDS

        def client(n: int) -> None:
            http, accepted, i = HTTPConnection("127.0.0.1", PORT, timeout=10), 0, 0
            while time.monotonic() < stop:
                i += 1
                body = json.dumps({"phone_number": f"+38067{n}{i:06d}"})
                http.request("POST", "/api/verifications", body, {**headers, "Content-Type": "application/json"})
                response = http.getresponse()
                response.read()
                accepted += response.status == 200
            counts.append(accepted)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"accepted": sum(counts), "seconds": round(elapsed, 2), "per_second": round(sum(counts) / elapsed, 1)}


def drain(workers: int, env=None, threads: int = 1) -> dict:
    """Run `workers` db_workers (of `threads` threads each) in --batch until the queue is empty; SMS per
    second from the tasks' own times."""
    tasks = DBTaskResult.objects.ready().count()
    command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0"]
    command += ["--threads", str(threads)]
    processes = [
        subprocess.Popen([*command, "--worker-id", f"rate-{n}"], cwd=ROOT, env=env or ENV) for n in range(workers)
    ]
    for process in processes:
        process.wait(timeout=600)
    span = DBTaskResult.objects.filter(status="SUCCESSFUL").aggregate(first=Min("started_at"), last=Max("finished_at"))
    seconds = (span["last"] - span["first"]).total_seconds()
    sent = SmsMessage.objects.filter(status="SENT").count()
    return {
        "workers": workers,
        "threads": threads,
        "tasks": tasks,
        "sent": sent,
        "seconds": round(seconds, 2),
        "per_second": round(sent / seconds, 1),
        "per_second_per_worker": round(sent / seconds / workers, 1),
    }


_phones = itertools.count(random.randrange(10**6))


def fill(client, count: int) -> int:
    """`count` fresh codes made in this process, as the web tier makes them: each one's SMS task READY."""
    from verifications.services import verification_initialize

    for _ in range(count):
        phone = f"+38063{next(_phones) % 10**7:07d}"
        verification_initialize(phone_number=phone, kind="verification", owner=client)
    return count


class Gateway(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(GATEWAY_MS / 1000)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "x"}')

    def log_message(self, *args):
        pass


def main() -> None:
    manage("migrate", "--no-input", "-v", "0")
    empty_tables()
    made = client_create(name=f"Worker rate {time.time()}", scopes=["otp:write", "otp:read"])
    token = token_issue(client=made.client, scopes=["otp:write", "otp:read"]).value
    headers = {"Authorization": f"Bearer {token}", "Api-key": made.api_key}

    result = {"database": connection.vendor, "cpus": os.cpu_count(), "web_one_process": web_rate(headers)}
    result["worker_locmem"] = [drain(1)]  # the queue the web tier left
    for workers, threads in ((2, 1), (1, 4)):
        empty_tables()
        fill(made.client, result["web_one_process"]["accepted"])
        result["worker_locmem"].append(drain(workers, threads=threads))

    # a gateway that takes GATEWAY_MS to answer each SMS
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    http_env = {**ENV, "SMS_BACKEND": "http", "SMS_HTTP_URL": f"http://127.0.0.1:{gateway.server_port}/sms"}
    result["gateway_ms"] = GATEWAY_MS
    result["worker_gateway"] = []
    for workers, threads in ((1, 1), (2, 1), (1, 8)):
        empty_tables()
        fill(made.client, GATEWAY_TASKS)
        result["worker_gateway"].append(drain(workers, http_env, threads))
    gateway.shutdown()
    empty_tables()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
