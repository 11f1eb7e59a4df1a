"""Where one call's time goes, in-process: queries per call, time and CPU per call, and with
--profile the top of a pyinstrument profile.

    DATABASE_URL=postgres://... .venv/bin/python bench/profile.py [SCENARIO ...] [--calls N] [--sql] [--profile]
    DATABASE_URL=postgres://... valgrind --tool=callgrind --instr-atstart=no \
        .venv/bin/python bench/profile.py SCENARIO --calls 40 --instructions   # "I refs" / 40

Runs each scenario's request through Django's test client (the whole stack but gunicorn) against the
database of DATABASE_URL, after `python bench/fixtures.py base` has run there (`make bench` leaves
one behind). Each call's fresh records (persons, requests) are made before the clock starts. The CPU
is this process's and its PostgreSQL backend's (read from /proc: the server must run on this
machine). Needs pyinstrument (requirements-bench.txt).
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.update(
    DEBUG="false",
    SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-0123456789-0123456789"),
    SECURE_SSL_REDIRECT="false",
    LOG_LEVEL="ERROR",
    SMS_BACKEND="locmem",
    OTP_SEND_LIMIT="1000000",
    OTP_PHONE_SEND_LIMIT="1000000",
    OTP_FAILED_LIMIT="1000000",
    OTP_RESEND_COOLDOWN_SECONDS="0",
    TASKS_BACKEND=os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from pyinstrument import Profiler  # noqa: E402

from core.models import Client as ApiClient  # noqa: E402
from core.oauth.scopes import SCOPES  # noqa: E402
from core.oauth.services import token_issue  # noqa: E402
from declarations.models import Declaration, Employee  # noqa: E402
from declarations.services import declaration_request_create  # noqa: E402
from persons.models import AuthenticationMethod, Person  # noqa: E402
from verifications.models import Verification  # noqa: E402


def person(method: str = "NA") -> str:
    made = Person.objects.create(first_name="Profile", last_name="P", birth_date="1990-01-01", gender="MALE")
    phone = f"+38065{uuid.uuid4().int % 10**7:07d}" if method == "OTP" else ""
    AuthenticationMethod.objects.create(person=made, type=method, phone_number=phone)
    return str(made.pk)


def phone() -> str:
    return f"+38064{uuid.uuid4().int % 10**7:07d}"


def verified_phone(client) -> str:
    """A new phone `client` verified (seed 002), as an OTP method's phone must be."""
    number = phone()
    Verification.objects.create(
        phone_number=number,
        kind="verification",
        client=client,
        status=Verification.Status.VERIFIED,
        code_digest="0" * 64,
        code_expired_at=timezone.now(),
    )
    return number


def na_person_with_parent(doctor) -> tuple[str, str]:
    """An NA person and their active parent declaration (which lets their own NA confirm)."""
    person_id = person()
    parent = Declaration.objects.create(
        person_id=person_id,
        employee=doctor,
        legal_entity_id=doctor.legal_entity_id,
        declaration_number=f"PROFILE-{uuid.uuid4().hex[:16].upper()}",
        start_date="2026-01-01",
        end_date="2046-01-01",
    )
    return person_id, str(parent.pk)


def backend_cpu_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend so far (from /proc: the server runs here too)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def counting(wanted: bool, state: str) -> None:
    """Callgrind's instruction count on or off for this process (`--instructions`): its total, divided
    by --calls, is the instructions per call, a measure the shared machine's noise does not move."""
    if wanted:
        subprocess.run(["callgrind_control", "--instr", state, str(os.getpid())], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["floor", "initialize"], help="floor, initialize, ...")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--sql", action="store_true", help="print the statements of one call")
    parser.add_argument("--profile", action="store_true", help="print where the time goes (pyinstrument)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="under valgrind --tool=callgrind --instr-atstart=no: count only the measured calls",
    )
    args = parser.parse_args()

    api_client = ApiClient.objects.get(name="bench")
    token = token_issue(client=api_client, scopes=list(SCOPES), expires_in=3600)
    doctor = Employee.objects.get(client=api_client, last_name="Bench")
    floor_person = Person.objects.get(last_name="Floor").pk
    api_key = api_client.set_new_api_key()  # only its digest is stored: a new one for this run
    api_client.save(update_fields=["api_key_digest"])
    headers = {"Authorization": f"Bearer {token.value}", "Api-key": api_key}
    http = Client(headers=headers, SERVER_NAME="127.0.0.1")

    # name: (prepare, call): prepare makes the call's fresh records, outside the measured time
    scenarios = {
        "floor": (lambda: floor_person, lambda person_id: http.get(f"/api/persons/{person_id}")),
        "initialize": (
            phone,
            lambda number: http.post("/api/verifications", {"phone_number": number}, content_type="application/json"),
        ),
        "authentication_method_request": (
            lambda: (person("OTP"), verified_phone(api_client)),
            lambda prepared: http.post(
                f"/api/persons/{prepared[0]}/authentication_method_requests",
                {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": prepared[1]}},
                content_type="application/json",
            ),
        ),
        "merge_request": (
            lambda: (person("OTP"), person()),
            lambda pair: http.post(
                "/api/merge_requests",
                {"master_person_id": pair[0], "merge_person_id": pair[1]},
                content_type="application/json",
            ),
        ),
        "declaration_create": (
            lambda: na_person_with_parent(doctor),
            lambda prepared: http.post(
                "/api/v3/declaration_requests",
                {"person_id": prepared[0], "employee_id": str(doctor.pk), "parent_declaration_id": prepared[1]},
                content_type="application/json",
            ),
        ),
        "declaration_approve": (
            lambda: (
                declaration_request_create(
                    person_id=(prepared := na_person_with_parent(doctor))[0],
                    parent_declaration_id=prepared[1],
                    employee_id=doctor.pk,
                    client=api_client,
                    actor="bench",
                ).pk
            ),
            lambda request_id: http.patch(
                f"/api/v3/declaration_requests/{request_id}/actions/approve", {}, content_type="application/json"
            ),
        ),
    }
    for name in args.scenarios:
        prepare, call = scenarios[name]
        call(prepare())  # warm: imports, the connection, first-use caches
        prepared = prepare()
        with CaptureQueriesContext(connection) as queries:
            response = call(prepared)
        print(f"\n=== {name}: {response.status_code}, {len(queries)} queries")
        if args.sql:
            for query in queries.captured_queries:
                print("  ", query["sql"][:220])
        inputs = [prepare() for _ in range(args.calls)]
        started, python_cpu, database_cpu = time.perf_counter(), time.process_time(), backend_cpu_seconds()
        counting(args.instructions, "on")
        for prepared in inputs:
            call(prepared)
        counting(args.instructions, "off")
        per_call = [
            (value - start) / args.calls * 1000
            for value, start in (
                (time.perf_counter(), started),
                (time.process_time(), python_cpu),
                (backend_cpu_seconds(), database_cpu),
            )
        ]
        print("{:.2f} ms per call; CPU: {:.2f} ms Python, {:.2f} ms PostgreSQL".format(*per_call))
        if args.profile:
            inputs = [prepare() for _ in range(args.calls)]
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for prepared in inputs:
                call(prepared)
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)[:8000])


if __name__ == "__main__":
    main()
