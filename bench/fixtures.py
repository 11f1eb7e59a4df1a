"""The records `make bench` measures against, made in-process against the bench database.

    python bench/fixtures.py base THREADS          -> JSON: token, API key, the floor's person, a doctor
    python bench/fixtures.py pools PHASE SIZE ROUND -> JSON: one file of fresh records per write scenario
    python bench/fixtures.py preload VERIFICATIONS PERSONS

Each create scenario gets records used once each (a newer request would cancel an older one of the
same person, a second merge request for a pair is a conflict): SIZE of them per round, written one a
line to var/bench-PHASE-ROUND-SCENARIO.txt, which the wrk scripts and the locustfile share out between
their threads or users.
"""

import base64
import json
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.models import Client  # noqa: E402
from core.oauth.scopes import SCOPES  # noqa: E402
from core.oauth.services import client_create, token_issue  # noqa: E402
from declarations.models import Declaration, Employee  # noqa: E402
from declarations.services import (  # noqa: E402
    declaration_request_approve,
    declaration_request_create,
    employee_create,
    signed_content,
)
from declarations.signatures import dev  # noqa: E402
from persons.models import AuthenticationMethod, Person  # noqa: E402
from persons.rules import add_years, today_utc  # noqa: E402
from verifications.models import Verification  # noqa: E402
from verifications.services import verification_initialize  # noqa: E402

VAR = ROOT / "var"
BATCH = 5000
# The approves share out over a clinic's doctors with their usual limit. Approves of one doctor take
# turns by design (the limit is counted under the doctor's lock), and one doctor approving a hundred
# declarations a second is no load the registry sees; the seed chain's lock is still one for all.
APPROVING_DOCTORS = int(os.environ.get("BENCH_DOCTORS", "50"))


def persons(count: int, *, label: str, phones_from: int | None = None) -> list[str]:
    """`count` active persons, NA unless `phones_from` gives each an OTP phone +38066... of its own."""
    made = []
    for start in range(0, count, BATCH):
        batch = Person.objects.bulk_create(
            Person(first_name="Bench", last_name=f"{label}{i}", birth_date="1990-01-01", gender="MALE")
            for i in range(start, min(start + BATCH, count))
        )
        AuthenticationMethod.objects.bulk_create(
            AuthenticationMethod(person=person, type="NA")
            if phones_from is None
            else AuthenticationMethod(person=person, type="OTP", phone_number=f"+38066{phones_from + start + n:07d}")
            for n, person in enumerate(batch)
        )
        made += [str(person.pk) for person in batch]
    return made


def base(threads: int) -> dict:
    new = client_create(name="bench", scopes=list(SCOPES))
    token = token_issue(client=new.client, scopes=list(SCOPES), expires_in=86400)
    person = Person.objects.create(first_name="Bench", last_name="Floor", birth_date="1990-01-01", gender="MALE")
    AuthenticationMethod.objects.create(person=person, type="OTP", phone_number="+380501234567")
    doctor = employee_create(client=new.client, speciality="FAMILY_DOCTOR", last_name="Bench", declaration_limit=10**9)
    for n in range(APPROVING_DOCTORS):  # each with a DRFO: the sign scenario signs as them (var/bench-ca)
        employee_create(
            client=new.client, speciality="FAMILY_DOCTOR", last_name=f"Bench-approve-{n}", tax_id=f"{2800000000 + n}"
        )
    # one phone with a code per thread (or locust user), for the wrong guesses of `complete`
    phones = [f"+38068{i:07d}" for i in range(threads)]
    for phone in phones:
        with transaction.atomic():
            verification_initialize(phone_number=phone, kind="verification", owner=new.client)
    phones_file = VAR / "bench-phones.txt"
    phones_file.write_text("\n".join(phones) + "\n")
    return {
        "token": token.value,
        "api_key": new.api_key,
        "person_id": str(person.pk),
        "employee_id": str(doctor.pk),
        "phones_file": str(phones_file),
    }


def with_parents(person_ids: list[str], doctor: Employee) -> list[tuple[str, str]]:
    """(person, their parent declaration) for each NA person: an active declaration with `doctor`, which
    lets the person's own NA confirm a new declaration request (the registry's rule)."""
    start = today_utc()
    made = []
    for first in range(0, len(person_ids), BATCH):
        made += Declaration.objects.bulk_create(
            Declaration(
                person_id=person_id,
                employee=doctor,
                legal_entity_id=doctor.legal_entity_id,
                declaration_number=f"BENCH-{uuid.uuid4().hex[:16].upper()}",
                start_date=start,
                end_date=add_years(start, 20),
            )
            for person_id in person_ids[first : first + BATCH]
        )
    return [(str(d.person_id), str(d.pk)) for d in made]


def approvable(client, approving: list[Employee], parents: list[tuple[str, str]]) -> list:
    """A NEW request of each NA person (with their parent declaration), shared out over the doctors."""
    return [
        declaration_request_create(
            person_id=person_id,
            employee_id=approving[n % len(approving)].pk,
            client=client,
            parent_declaration_id=parent_id,
            actor="bench",
        )
        for n, (person_id, parent_id) in enumerate(parents)
    ]


def signable(client, approving: list[Employee], parents: list[tuple[str, str]]) -> list[str]:
    """Lines of "<request id>,<base64 CMS>": an APPROVED request and what its doctor signs, signed
    beforehand with the doctor's certificate of the development CA (SIGNATURE_DEV_CA_DIR, which the
    bench server trusts). Made only when the scenario runs (BENCH_TAGS)."""
    if "declaration_sign" not in os.environ.get("BENCH_TAGS", "declaration_sign"):
        return []
    credentials = {doctor.pk: dev.doctor_credentials(doctor) for doctor in approving}
    lines = []
    for request in approvable(client, approving, parents):
        request = declaration_request_approve(request_id=request.pk, client=client, actor="bench")
        content = json.dumps(signed_content(request), ensure_ascii=False).encode()
        signed = dev.sign(content, *credentials[request.employee_id])
        lines.append(f"{request.pk},{base64.b64encode(signed).decode()}")
    return lines


def with_verified_phones(person_ids: list[str], *, client, phones_from: int) -> list[str]:
    """Lines of "<person>,<phone>": a new phone +38065... for each person that the client verified
    (seed 002), as a phone must be before it becomes an OTP method."""
    phones = [f"+38065{phones_from + n:07d}" for n in range(len(person_ids))]
    Verification.objects.bulk_create(
        Verification(
            phone_number=phone,
            kind="verification",
            client=client,
            status=Verification.Status.VERIFIED,
            code_digest="0" * 64,
            code_expired_at=timezone.now(),
        )
        for phone in phones
    )
    return [f"{person_id},{phone}" for person_id, phone in zip(person_ids, phones, strict=True)]


def pools(phase: str, size: int, round_number: int) -> dict:
    client = Client.objects.get(name="bench")
    # each phase and round its own +38066... phones: two per record (a master's, an amr person's)
    offset = {"empty": 0, "preloaded": 5_000_000}.get(phase, 2_500_000) + round_number * 2 * size
    label = f"{phase}-{round_number}"
    approving = list(Employee.objects.filter(client=client, last_name__startswith="Bench-approve-"))
    parent_doctor = Employee.objects.get(client=client, last_name="Bench")
    approve_persons = with_parents(persons(size, label=f"{label}-approve"), parent_doctor)
    approve_requests = approvable(client, approving, approve_persons)
    masters = persons(size, label=f"{label}-master", phones_from=offset)
    records = {
        "declaration_create": [
            f"{person},{parent}"
            for person, parent in with_parents(persons(size, label=f"{label}-declaration"), parent_doctor)
        ],
        "declaration_approve": [str(request.pk) for request in approve_requests],
        "declaration_sign": signable(
            client, approving, with_parents(persons(size, label=f"{label}-sign"), parent_doctor)
        ),
        "authentication_method_request": with_verified_phones(
            persons(size, label=f"{label}-amr", phones_from=offset + size), client=client, phones_from=offset
        ),
        "merge_request": [
            f"{master},{merge}" for master, merge in zip(masters, persons(size, label=f"{label}-merge"), strict=True)
        ],
    }
    files = {}
    for scenario, lines in records.items():
        path = VAR / f"bench-{label}-{scenario}.txt"
        path.write_text("\n".join(lines) + "\n")
        files[scenario] = str(path)
    return files


def preload(verifications: int, persons_count: int) -> None:
    """Old codes (EXPIRED, every tenth VERIFIED) on +38063... phones, and persons nobody calls for."""
    persons(persons_count, label="preload")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO verifications_verification
                (id, phone_number, kind, code_digest, status, attempts, code_expired_at, created_at, updated_at)
            SELECT gen_random_uuid(), '+38063' || lpad((i %% 10000000)::text, 7, '0'), 'verification',
                   repeat('0', 64), CASE WHEN i %% 10 = 0 THEN 'VERIFIED' ELSE 'EXPIRED' END, 0,
                   now() - interval '1 day', now() - i * interval '1 second', now() - i * interval '1 second'
            FROM generate_series(1, %s) AS i
            """,
            [verifications],
        )
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "base":
        print(json.dumps(base(int(args[0]))))
    elif command == "pools":
        print(json.dumps(pools(args[0], int(args[1]), int(args[2]))))
    elif command == "preload":
        preload(int(args[0]), int(args[1]))
    else:
        sys.exit(f"unknown command {command}")
