"""`make bench`: the API's endpoints against the floor and against a peer, on gunicorn + PostgreSQL.

Two phases: an empty database, then one preloaded with BENCH_VERIFICATIONS verifications and
BENCH_PERSONS persons. In each, BENCH_ROUNDS rounds: in every round each scenario runs alone for
BENCH_SECONDS, driven by wrk (BENCH_DRIVER=wrk, the default: C, light on the cores it shares with the
server) or locust (BENCH_DRIVER=locust), and so does the peer, django-phone-verify's register
(bench/peer/), on the same PostgreSQL (its own database, preloaded alike) and the same gunicorn
settings; both servers stay up for the phase. Each scenario's best round is reported: on a shared
machine a busy moment only ever slows a round down, and rounds interleave all scenarios, so such a
moment does not land on one scenario alone.

Prints one table per phase: requests/s, p50 and p99 per scenario, their ratios to the floor (an
authenticated read of one person through the same stack) and to the peer. Writes var/bench.json
(everything, with the ratios and whether the targets hold) and var/bench.svg (the ratios as bars).
"""

import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chart import write_chart

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))  # per scenario and round
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DRIVER = os.environ.get("BENCH_DRIVER", "wrk")
CONNECTIONS = int(os.environ.get("BENCH_USERS", "16"))  # wrk connections, or locust users
THREADS = int(os.environ.get("BENCH_THREADS", "2"))  # wrk threads
WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
PRELOAD_VERIFICATIONS = int(os.environ.get("BENCH_VERIFICATIONS", "1000000"))
PRELOAD_PERSONS = int(os.environ.get("BENCH_PERSONS", "100000"))
# fresh records per create scenario, phase and round; more than a scenario can use in BENCH_SECONDS
POOL = int(os.environ.get("BENCH_POOL", str(max(500, SECONDS * 600))))
PEER_VENV = VAR / "peer-venv"
PEER_PORT = PORT + 1
GUNICORN_ARGS = ["--workers", str(WORKERS), "--log-level", "warning"]

FLOOR = "floor"
PEER = "peer_register"
INITIALIZE = "initialize"
# tag: the endpoint as reported, whether it writes (the targets apply), and its prepared records
SCENARIOS = {
    FLOOR: ("GET /api/persons/{id} (floor)", False, None),
    "methods": ("GET /api/persons/{id}/authentication_methods", False, None),
    "lookup": ("GET /api/verifications/{phone}", False, None),
    INITIALIZE: ("POST /api/verifications", True, None),
    "complete": ("PATCH /api/verifications/{phone}/actions/complete", True, "phones"),
    "authentication_method_request": (
        "POST /api/persons/{id}/authentication_method_requests",
        True,
        "authentication_method_request",
    ),
    "merge_request": ("POST /api/merge_requests", True, "merge_request"),
    "declaration_create": ("POST /api/v3/declaration_requests", True, "declaration_create"),
    "declaration_approve": (
        "PATCH /api/v3/declaration_requests/{id}/actions/approve",
        True,
        "declaration_approve",
    ),
    "declaration_sign": ("PATCH /api/v3/declaration_requests/{id}/actions/sign", True, "declaration_sign"),
}
PEER_ENDPOINT = "POST /api/phone/register (peer: django-phone-verify 3.3.0)"
TAGS = [tag for tag in os.environ.get("BENCH_TAGS", ",".join(SCENARIOS)).split(",") if tag]
if FLOOR not in TAGS:
    TAGS.insert(0, FLOOR)
SECRET_KEY = "bench-only-secret-key-0123456789-0123456789-0123456789"

ENV = {
    **os.environ,
    "DEBUG": "false",
    "SECRET_KEY": SECRET_KEY,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "ERROR",  # 4xx warnings are expected here and would cost time
    "SMS_BACKEND": "locmem",
    "OTP_SEND_LIMIT": "1000000",
    "OTP_PHONE_SEND_LIMIT": "1000000",
    "OTP_FAILED_LIMIT": "1000000",
    "OTP_RESEND_COOLDOWN_SECONDS": "0",
    # the sign scenario's doctors sign with certificates of a development CA made for the bench
    "SIGNATURE_BACKEND": "cms",
    "SIGNATURE_DEV_CA_DIR": str(VAR / "bench-ca"),
    "SIGNATURE_TRUSTED_CERTS": str(VAR / "bench-ca" / "ca.pem"),
    "DJANGO_SETTINGS_MODULE": "config.settings",
}
PEER_ENV = {
    **ENV,
    "DATABASE_URL": os.environ.get("BENCH_PEER_DATABASE_URL", ""),
    "DJANGO_SETTINGS_MODULE": "peer.settings",
}


def fixtures(*args) -> dict:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/fixtures.py"), *map(str, args)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(result.stderr)
    lines = result.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def manage(python: Path, cwd: Path, env: dict, *command) -> None:
    subprocess.run([str(python), "manage.py", *command], cwd=cwd, env=env, check=True)


def prepare_peer() -> None:
    """The peer's virtualenv (its phonenumberslite would replace our phonenumbers), schema and preload."""
    if not PEER_ENV["DATABASE_URL"]:
        sys.exit("BENCH_PEER_DATABASE_URL is not set (the Makefile sets one up)")
    if not (PEER_VENV / "bin/gunicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run(
        [str(PEER_VENV / "bin/pip"), "install", "--quiet", "-r", str(ROOT / "bench/peer/requirements.txt")],
        check=True,
    )
    manage(PEER_VENV / "bin/python", ROOT / "bench/peer", PEER_ENV, "migrate", "--no-input", "-v0")


def preload_peer(count: int) -> None:
    """As many old codes in the peer's table as ours has: each one's phone on +38063..."""
    script = f"""
import django; django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute('''
        INSERT INTO sms_verification
            (id, security_code, phone_number, session_token, is_verified, failed_attempts, created_at, modified_at)
        SELECT gen_random_uuid(), lpad((i % 1000000)::text, 6, '0'), '+38063' || lpad((i % 10000000)::text, 7, '0'),
               md5(i::text), i % 10 = 0, 0, now() - i * interval '1 second', now() - i * interval '1 second'
        FROM generate_series(1, {count}) AS i''')
    cursor.execute("ANALYZE sms_verification")
"""
    subprocess.run(
        [str(PEER_VENV / "bin/python"), "-c", script],
        cwd=ROOT / "bench/peer",
        env=PEER_ENV,
        check=True,
    )


class Server:
    """gunicorn with the bench's settings, for the service or for the peer."""

    def __init__(self, *, peer: bool = False):
        self.peer = peer
        self.port = PEER_PORT if peer else PORT

    def __enter__(self):
        bind = ["--bind", f"127.0.0.1:{self.port}"]
        if self.peer:
            command = [str(PEER_VENV / "bin/gunicorn"), "peer.wsgi", *GUNICORN_ARGS, *bind]
            cwd, env, ready = ROOT / "bench/peer", PEER_ENV, None
        else:
            command = [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", *GUNICORN_ARGS, *bind]
            cwd, env, ready = ROOT, ENV, "/api/health"
        self.process = subprocess.Popen(command, cwd=cwd, env=env)
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{ready or '/api/phone/register'}", timeout=1)
                break
            except urllib.error.HTTPError:  # the peer's register answers GET with 405: it is up
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)  # every worker booted, not only the first
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def load_env(data: dict, records: str | None) -> dict:
    env = {
        **ENV,
        "BENCH_TOKEN": data["token"],
        "BENCH_API_KEY": data["api_key"],
        "BENCH_PERSON_ID": data["person_id"],
        "BENCH_EMPLOYEE_ID": data["employee_id"],
        "BENCH_PHONES": data["phones_file"],
        "BENCH_THREADS": str(THREADS),
    }
    if records:
        env["BENCH_RECORDS"] = data["pools"][records] if records != "phones" else data["phones_file"]
    return env


def run_wrk(phase: str, tag: str, env: dict, port: int) -> dict:
    out = VAR / f"bench-{phase}-{tag}.json"
    out.unlink(missing_ok=True)
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{SECONDS}s",
        "--timeout",
        "10s",
        "-s",
        f"bench/wrk/{tag}.lua",
        f"http://127.0.0.1:{port}",
    ]
    subprocess.run(command, cwd=ROOT, env={**env, "BENCH_WRK_OUT": str(out)}, check=True, capture_output=True)
    result = json.loads(out.read_text())
    if result["sample"]:
        print(f"  {tag}: unexpected answers, e.g.\n    " + result["sample"].strip().replace("\n", "\n    "))
    return {
        "requests": result["requests"],
        "failures": result["failures"] + result["socket_errors"],
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
    }


def run_locust(phase: str, tag: str, env: dict, port: int) -> dict:
    prefix = VAR / f"bench-{phase}-{tag}"
    command = [
        str(ROOT / ".venv/bin/locust"),
        "-f",
        str(ROOT / "bench/locustfile.py"),
        "--headless",
        "--tags",
        tag,
        "-u",
        str(CONNECTIONS),
        "-r",
        str(CONNECTIONS),
        "-t",
        f"{SECONDS}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
    ]
    subprocess.run(command, cwd=ROOT, check=False, capture_output=True, env=env)
    with open(f"{prefix}_stats.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] != "Aggregated")
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
    }


def run_scenario(phase: str, tag: str, env: dict, port: int) -> dict:
    row = (run_wrk if DRIVER == "wrk" else run_locust)(phase, tag, env, port)
    endpoint, writes, _records = SCENARIOS.get(tag, (PEER_ENDPOINT, True, None))
    print(f"  {endpoint}: {row['rps']:.0f} req/s, p99 {row['p99_ms']:.0f} ms, {row['failures']} failures")
    return {"scenario": tag, "endpoint": endpoint, "writes": writes, **row}


def run_phase(phase: str, data: dict) -> dict:
    """Every round runs each scenario once, with fresh records; a scenario's best round is kept."""
    rounds: dict[str, list[dict]] = {}
    with Server() as ours, Server(peer=True) as peer:
        for number in range(ROUNDS):
            print(f"\n{phase}, round {number + 1} of {ROUNDS}: preparing {POOL} records per create scenario")
            pools = fixtures("pools", phase, POOL, number)
            for tag in [*TAGS, PEER]:
                env = load_env({**data, "pools": pools}, SCENARIOS[tag][2] if tag in SCENARIOS else None)
                row = run_scenario(phase, tag, env, peer.port if tag == PEER else ours.port)
                rounds.setdefault(tag, []).append(row)
    rows = []
    for runs in rounds.values():
        best = max(runs, key=lambda row: row["rps"])
        rows.append(
            {
                **best,
                "failures": sum(row["failures"] for row in runs),
                "rounds_rps": [round(row["rps"], 1) for row in runs],
            }
        )
    return with_ratios(rows)


def with_ratios(rows: list[dict]) -> dict:
    floor = next(row for row in rows if row["scenario"] == FLOOR)
    peer = next(row for row in rows if row["scenario"] == PEER)
    for row in rows:
        row["rps_to_floor"] = round(row["rps"] / floor["rps"], 2)
        row["p50_to_floor"] = round(row["p50_ms"] / floor["p50_ms"], 2)
        row["p99_to_floor"] = round(row["p99_ms"] / floor["p99_ms"], 2)
        row["rps_to_peer"] = round(row["rps"] / peer["rps"], 2)
        row["rps"], row["p50_ms"], row["p99_ms"] = (
            round(row["rps"], 1),
            round(row["p50_ms"], 1),
            round(row["p99_ms"], 1),
        )
    ours = [row for row in rows if row["scenario"] != PEER]
    writes = [row for row in ours if row["writes"]]
    initialize = next((row for row in rows if row["scenario"] == INITIALIZE), None)
    targets = {
        "writes_rps_at_least_half_the_floor": all(row["rps_to_floor"] >= 0.5 for row in writes),
        "writes_p99_at_most_twice_the_floor": all(row["p99_to_floor"] <= 2 for row in writes),
        "initialize_at_least_half_the_peer": initialize is not None and initialize["rps_to_peer"] >= 0.5,
        "initialize_at_least_the_peer": initialize is not None and initialize["rps_to_peer"] >= 1,
        "no_failures": all(row["failures"] == 0 for row in rows),
    }
    largest = max(ours, key=lambda row: row["p99_ms"])
    return {
        "rows": rows,
        "targets": targets,
        "largest_p99": {"endpoint": largest["endpoint"], "p99_ms": largest["p99_ms"]},
    }


def report(title: str, phase: dict) -> None:
    print(f"\n## {title}\n")
    print("| endpoint | req/s | p50 ms | p99 ms | req/s ÷ floor | p99 ÷ floor | req/s ÷ peer | failures |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in phase["rows"]:
        print(
            f"| {row['endpoint']} | {row['rps']:.0f} | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} "
            f"| {row['rps_to_floor']:.2f} | {row['p99_to_floor']:.2f} | {row['rps_to_peer']:.2f} | {row['failures']} |"
        )
    print(f"\ntargets: {json.dumps(phase['targets'])}; largest p99: {phase['largest_p99']}")


def main() -> None:
    if not ENV.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("make bench needs DATABASE_URL=postgres://... (the Makefile sets one up)")
    if DRIVER not in ("wrk", "locust"):
        sys.exit("BENCH_DRIVER is wrk or locust")
    if DRIVER == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk (or BENCH_DRIVER=locust)")
    started = time.monotonic()
    for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        manage(Path(sys.executable), ROOT, ENV, *command)
    prepare_peer()
    data = fixtures("base", max(THREADS, CONNECTIONS))
    results = {
        "run": {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.node()}: {os.cpu_count()} cores, shared (gunicorn, PostgreSQL and the driver on it)",
            "driver": DRIVER,
            "connections": CONNECTIONS,
            "threads": THREADS if DRIVER == "wrk" else None,
            "seconds_per_scenario_and_round": SECONDS,
            "rounds": ROUNDS,
            "gunicorn_workers": WORKERS,
            "preloaded": {"verifications": PRELOAD_VERIFICATIONS, "persons": PRELOAD_PERSONS},
        }
    }
    results["empty"] = run_phase("empty", data)
    report("empty database", results["empty"])
    print(f"\npreloading {PRELOAD_VERIFICATIONS} verifications and {PRELOAD_PERSONS} persons")
    fixtures("preload", PRELOAD_VERIFICATIONS, PRELOAD_PERSONS)
    preload_peer(PRELOAD_VERIFICATIONS)
    results["preloaded"] = run_phase("preloaded", data)
    report(f"preloaded ({PRELOAD_VERIFICATIONS} verifications, {PRELOAD_PERSONS} persons)", results["preloaded"])
    (VAR / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    write_chart(results, VAR / "bench.svg")
    print(f"\nwrote var/bench.json and var/bench.svg in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
