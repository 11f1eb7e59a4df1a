"""Load the back office's national volume into PostgreSQL, fast: persons with an OTP method, authentication
method requests, audit events and codes, each table by one INSERT ... SELECT over generate_series (no
Python loop, no ORM per row). For the timing script (bench/time_admin.py); never run in CI.

    DATABASE_URL=postgres://ehealth:ehealth@127.0.0.1:5432/ehealth_admin SECRET_KEY=... \\
        .venv/bin/python bench/load_volume.py --persons 100000 --requests 1000000 --events 2200000 --codes 1000000

Ids are md5-derived UUIDs of the row number (deterministic: a second run with --append=no refuses to
duplicate). Phones are +38050 and the person's number in seven digits; tax ids 1000000000 + n."""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from core.models import Client  # noqa: E402
from core.oauth.services import client_create  # noqa: E402

LAST_NAMES = ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук",
              "Бойко", "Ткачук", "Мельник", "Лисенко", "Марченко", "Савченко", "Руденко", "Мороз"]  # fmt: skip
FIRST_NAMES = ["Олена", "Тарас", "Іван", "Марія", "Оксана", "Андрій", "Наталія", "Богдан"]


def sql_array(words) -> str:
    return "ARRAY[" + ",".join(f"'{word}'" for word in words) + "]"


def run(cursor, label: str, sql: str, params=()) -> None:
    started = time.monotonic()
    cursor.execute(sql, params)
    print(f"{label}: {cursor.rowcount} rows in {time.monotonic() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=2_200_000)
    parser.add_argument("--codes", type=int, default=1_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only (generate_series, md5()::uuid)")
    client = Client.objects.filter(name="Volume MIS").first()
    if client is None:
        client = client_create(name="Volume MIS", scopes=["otp:write"], legal_entity_name="Клініка обсягу").client
    persons, requests = args.persons, args.requests
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        run(
            cursor,
            "persons",
            f"""INSERT INTO persons_person (id, first_name, last_name, second_name, birth_date, gender, tax_id,
                no_tax_id, documents, phones, status, verification_status, verification_reason,
                verification_comment, created_at, updated_at, updated_by, merged_into_id)
            SELECT md5('p' || n)::uuid, ({sql_array(FIRST_NAMES)})[1 + n %% {len(FIRST_NAMES)}],
                ({sql_array(LAST_NAMES)})[1 + (n / 7) %% {len(LAST_NAMES)}], '', date '1950-01-01' + (n %% 20000),
                CASE WHEN n %% 2 = 0 THEN 'FEMALE' ELSE 'MALE' END, (1000000000 + n)::text, false,
                '[{{"type": "PASSPORT", "number": "АА000000"}}]'::jsonb, '[]'::jsonb, 'active',
                CASE WHEN n %% 50 = 0 THEN 'VERIFICATION_NEEDED' ELSE 'VERIFIED' END,
                CASE WHEN n %% 100 = 0 THEN 'RULES_TRIGGERED' WHEN n %% 50 = 0 THEN 'AUTO' ELSE 'RULES_PASSED' END,
                '', now() - make_interval(secs => n * 60), now(), 'volume', NULL
            FROM generate_series(1, %s) AS n ON CONFLICT DO NOTHING""",
            [persons],
        )
        run(
            cursor,
            "authentication methods",
            """INSERT INTO persons_authenticationmethod (id, type, phone_number, alias, started_at, ended_at,
                person_id, third_person_id)
            SELECT md5('m' || n)::uuid, 'OTP', '+38050' || lpad(n::text, 7, '0'), '', now(), NULL,
                md5('p' || n)::uuid, NULL
            FROM generate_series(1, %s) AS n ON CONFLICT DO NOTHING""",
            [persons],
        )
        run(
            cursor,
            "authentication method requests",
            """INSERT INTO persons_authenticationmethodrequest (id, action, authentication_method,
                authentication_method_current, status, channel, documents, expires_at, created_at, created_by,
                updated_at, updated_by, client_id, person_id, legal_entity_id, verification_id)
            SELECT md5('r' || n)::uuid, 'INSERT', '{"type": "NA"}'::jsonb,
                jsonb_build_object('type', 'OTP', 'number', '+38050' || lpad((1 + n %% %s)::text, 7, '0'),
                    'method_id', ''),
                CASE WHEN n <= %s / 10 THEN 'NEW' WHEN n %% 3 = 0 THEN 'EXPIRED' WHEN n %% 3 = 1 THEN 'COMPLETED'
                    ELSE 'CANCELLED' END,
                'MIS', '[]'::jsonb, created + interval '1 day', created, 'volume', created, 'volume', %s,
                md5('p' || (1 + n %% %s))::uuid, %s, NULL
            FROM generate_series(1, %s) AS n,
                LATERAL (SELECT now() - make_interval(secs => (n * 5) %% (86400 * 90)) AS created) AS c
            ON CONFLICT DO NOTHING""",
            [persons, persons, client.pk, persons, client.legal_entity_id, requests],
        )
        run(
            cursor,
            "audit events",
            """INSERT INTO core_event (id, entity_type, entity_id, property, old_value, new_value, actor, created_at)
            SELECT md5('e' || n)::uuid, 'persons.authenticationmethodrequest',
                md5('r' || (1 + n %% %s))::uuid::text, 'status', '"NEW"'::jsonb, '"COMPLETED"'::jsonb,
                CASE WHEN n %% 100 = 0 THEN 'user:1' ELSE 'client:' || %s END,
                now() - make_interval(secs => (n * 3) %% (86400 * 90))
            FROM generate_series(1, %s) AS n ON CONFLICT DO NOTHING""",
            [requests, client.client_id, args.events],
        )
        run(
            cursor,
            "codes",
            """INSERT INTO verifications_verification (id, phone_number, code_digest, status, attempts,
                code_expired_at, created_at, updated_at, client_id, kind)
            SELECT md5('v' || n)::uuid, '+38050' || lpad((1 + n %% %s)::text, 7, '0'), 'volume',
                CASE WHEN n %% 4 = 0 THEN 'VERIFIED' ELSE 'EXPIRED' END, 0,
                now() - make_interval(secs => (n * 7) %% (86400 * 90)) + interval '5 minutes',
                now() - make_interval(secs => (n * 7) %% (86400 * 90)), now(), %s, 'authentication_method_request'
            FROM generate_series(1, %s) AS n ON CONFLICT DO NOTHING""",
            [persons, client.pk, args.codes],
        )
        for table in ("persons_person", "persons_authenticationmethod", "persons_authenticationmethodrequest",
                      "core_event", "verifications_verification"):  # fmt: skip
            run(cursor, f"analyze {table}", f"ANALYZE {table}")


if __name__ == "__main__":
    main()
