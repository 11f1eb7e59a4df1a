"""`make bench`: locust (headless) against gunicorn + PostgreSQL on loopback.

Two phases: an empty database, then one preloaded with BENCH_VERIFICATIONS verifications and
BENCH_PERSONS persons. For each endpoint it prints requests/s, p50 and p99, and their ratios to the
floor (an authenticated read of one person through the same stack). Results also go to var/bench.json.
"""

import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))  # per endpoint
ALL_TAGS = "floor,methods,lookup,initialize,complete,declaration_create,declaration_approve"
TAGS = os.environ.get("BENCH_TAGS", ALL_TAGS).split(",")  # the floor must be among them
USERS = int(os.environ.get("BENCH_USERS", "16"))
WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
PRELOAD_VERIFICATIONS = int(os.environ.get("BENCH_VERIFICATIONS", "1000000"))
PRELOAD_PERSONS = int(os.environ.get("BENCH_PERSONS", "100000"))
FLOOR = "GET /api/persons/{id} (floor)"

ENV = {
    **os.environ,
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-0123456789-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "ERROR",  # 4xx warnings are expected here and would cost time
    "SMS_BACKEND": "locmem",
    "OTP_SEND_LIMIT": "1000000",
    "OTP_RESEND_COOLDOWN_SECONDS": "0",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def django(code: str) -> str:
    """Run a snippet with Django set up against the bench database; returns its stdout."""
    script = f"import django; django.setup()\n{code}"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=ENV, capture_output=True, text=True)
    if result.returncode:
        sys.exit(result.stderr)
    return result.stdout


def prepare() -> dict:
    for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=ENV, check=True)
    out = django(
        f"""
import json
from core.services import client_create, token_issue
from core.scopes import SCOPES
from persons.models import Person, AuthenticationMethod
new = client_create(name="bench", scopes=list(SCOPES))
token = token_issue(client=new.client, scopes=list(SCOPES), expires_in=86400)
person = Person.objects.create(first_name="Bench", last_name="Floor", birth_date="1990-01-01", gender="MALE")
AuthenticationMethod.objects.create(person=person, type="OTP", phone_number="+380501234567")
from declarations.services import employee_create
doctor = employee_create(client=new.client, speciality="FAMILY_DOCTOR", last_name="Bench", declaration_limit=10**9)
patients = []  # NA persons, one per locust user: a newer request would cancel another user's
for i in range({USERS} * 2):
    patient = Person.objects.create(first_name="Bench", last_name=f"NA{{i}}", birth_date="1990-01-01", gender="MALE")
    AuthenticationMethod.objects.create(person=patient, type="NA")
    patients.append(str(patient.id))
print(json.dumps({{"token": token.value, "api_key": new.api_key, "person_id": str(person.id),
                  "employee_id": str(doctor.id), "patients": patients}}))
"""
    )
    return json.loads(out.strip().splitlines()[-1])


def preload() -> None:
    started = time.monotonic()
    django(
        f"""
from datetime import timedelta
from django.utils import timezone
from persons.models import Person
from verifications.models import Verification
now = timezone.now()
batch = 20000
for start in range(0, {PRELOAD_PERSONS}, batch):
    Person.objects.bulk_create(
        Person(first_name="Preload", last_name=f"P{{i}}", birth_date="1980-05-05", gender="FEMALE")
        for i in range(start, min(start + batch, {PRELOAD_PERSONS}))
    )
for start in range(0, {PRELOAD_VERIFICATIONS}, batch):
    Verification.objects.bulk_create(
        Verification(
            phone_number=f"+38063{{i % 10_000_000:07d}}",
            code_digest="0" * 64,
            status="VERIFIED" if i % 10 == 0 else "EXPIRED",
            code_expired_at=now - timedelta(days=1),
            created_at=now - timedelta(seconds=i),
        )
        for i in range(start, min(start + batch, {PRELOAD_VERIFICATIONS}))
    )
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE persons_person; ANALYZE verifications_verification")
"""
    )
    print(
        f"preloaded {PRELOAD_VERIFICATIONS} verifications and {PRELOAD_PERSONS} persons "
        f"in {time.monotonic() - started:.0f} s"
    )


def run_load(phase: str, data: dict) -> list[dict]:
    web = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=ENV,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        rows = [run_tag(phase, tag, data) for tag in TAGS]
    finally:
        web.terminate()
        web.wait(timeout=30)
    return rows


def run_tag(phase: str, tag: str, data: dict) -> dict:
    """One endpoint alone against the server for SECONDS; its row of locust's stats."""
    prefix = ROOT / "var" / f"bench-{phase}-{tag}"
    subprocess.run(
        [
            str(ROOT / ".venv/bin/locust"),
            "-f",
            str(ROOT / "bench/locustfile.py"),
            "--headless",
            "--tags",
            tag,
            "-u",
            str(USERS),
            "-r",
            str(USERS),
            "-t",
            f"{SECONDS}s",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        cwd=ROOT,
        check=False,
        capture_output=True,
        env={
            **ENV,
            "BENCH_TOKEN": data["token"],
            "BENCH_API_KEY": data["api_key"],
            "BENCH_PERSON_ID": data["person_id"],
            "BENCH_EMPLOYEE_ID": data["employee_id"],
            "BENCH_PATIENTS": ",".join(data["patients"]),
        },
    )
    with open(f"{prefix}_stats.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] != "Aggregated"]
    # the measured endpoint: the most called one that is not a scenario's "(setup)" call
    row = max(rows, key=lambda r: ("(setup)" not in r["Name"], int(r["Request Count"])))
    return {
        "endpoint": row["Name"],
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
    }


def report(phase: str, rows: list[dict]) -> None:
    floor = next(row for row in rows if row["endpoint"] == FLOOR)
    print(f"\n## {phase}: {USERS} users, {WORKERS} gunicorn workers, {SECONDS} s per endpoint\n")
    print("| endpoint | req/s | p50 ms | p99 ms | req/s ÷ floor | p50 ÷ floor | p99 ÷ floor | failures |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in sorted(rows, key=lambda r: r["endpoint"] != FLOOR):
        print(
            f"| {row['endpoint']} | {row['rps']:.0f} | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} "
            f"| {row['rps'] / floor['rps']:.2f} | {row['p50_ms'] / floor['p50_ms']:.2f} "
            f"| {row['p99_ms'] / floor['p99_ms']:.2f} | {row['failures']} |"
        )


def main() -> None:
    if not ENV.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("make bench needs DATABASE_URL=postgres://... (the Makefile sets one up)")
    results = {}
    data = prepare()
    results["empty"] = run_load("empty", data)
    report("empty database", results["empty"])
    preload()
    results["preloaded"] = run_load("preloaded", data)
    report(f"preloaded ({PRELOAD_VERIFICATIONS} verifications, {PRELOAD_PERSONS} persons)", results["preloaded"])
    (ROOT / "var" / "bench.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
