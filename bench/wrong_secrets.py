"""The API's median latency idle and while wrong client secrets arrive at /oauth/token/.

    .venv/bin/python bench/wrong_secrets.py [--rate 20] [--seconds 15] [--workers 2]

Starts gunicorn on loopback with the production settings on a throwaway SQLite file, makes one client
with a token (the API's caller) and five others (the wrong secrets' targets), then times an
authenticated `GET /api/persons/{id}` one request at a time: first idle, then while another thread sends
`--rate` wrong-secret token requests a second (open loop), spread over the five client ids. Prints both medians and
their ratio. Bounded: loopback only, a fixed number of seconds per phase.
"""

import argparse
import base64
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8777


def manage(env, *args) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def request(method, path, headers=None, body=None) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def median_latency(path, headers, seconds) -> tuple[float, int]:
    latencies, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, elapsed = request("GET", path, headers)
        assert status == 200, status
        latencies.append(elapsed)
    return statistics.median(latencies) * 1000, len(latencies)


def wrong_secrets(client_ids, rate, stop, answers) -> None:
    """Open loop: a wrong secret every 1/rate s, each on its own thread, whether the last one answered
    or not (as independent attackers would); the answers' statuses are counted."""

    def one(client_id):
        basic = base64.b64encode(f"{client_id}:not-the-secret".encode()).decode()
        headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"}
        status, _ = request("POST", "/oauth/token/", headers, "grant_type=client_credentials")
        with lock:
            answers[status] = answers.get(status, 0) + 1

    lock, senders, n, started = threading.Lock(), [], 0, time.monotonic()
    while not stop.is_set():
        sender = threading.Thread(target=one, args=(client_ids[n % len(client_ids)],))
        sender.start()
        senders.append(sender)
        n += 1
        time.sleep(max(0.0, started + n / rate - time.monotonic()))
    for sender in senders:
        sender.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789-0123456789-0123456789",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SMS_BACKEND": "locmem",
        "LOG_LEVEL": "CRITICAL",
        "DATABASE_URL": f"sqlite:///{Path(tempfile.mkdtemp()) / 'wrong-secrets.sqlite3'}",
    }
    manage(env, "migrate", "-v0")
    script = (
        "import json; from core.oauth.services import client_create, token_issue; "
        "from tests.persons.factories import PersonFactory; "
        "c = client_create(name='Caller', scopes=['person:read']); "
        "others = [client_create(name=f'Target {i}', scopes=[]).client.client_id for i in range(5)]; "
        "print(json.dumps({'token': token_issue(client=c.client, scopes=['person:read']).value, "
        "'api_key': c.api_key, 'person': str(PersonFactory().pk), 'others': others}))"
    )
    made = json.loads(manage(env, "shell", "-c", script).splitlines()[-1])
    headers = {"Authorization": f"Bearer {made['token']}", "Api-key": made["api_key"]}
    path = f"/api/persons/{made['person']}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(options.workers),
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                request("GET", "/api/health/live")
                break
            except OSError:
                time.sleep(0.1)
        median_latency(path, headers, 2)  # warm-up
        idle, idle_n = median_latency(path, headers, options.seconds)
        stop, answers = threading.Event(), {}
        sender = threading.Thread(target=wrong_secrets, args=(made["others"], options.rate, stop, answers))
        sender.start()
        loaded, loaded_n = median_latency(path, headers, options.seconds)
        stop.set()
        sender.join()
    finally:
        server.terminate()
        server.wait()
    print(f"idle:  p50 {idle:.2f} ms ({idle_n} requests)")
    print(f"with {options.rate:g} wrong secrets/s: p50 {loaded:.2f} ms ({loaded_n} requests); token answers {answers}")
    print(f"ratio: {loaded / idle:.2f}x")


if __name__ == "__main__":
    main()
