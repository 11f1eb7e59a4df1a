"""The reads of every write find their rows through an index on what identifies them, even on the
generic plan PostgreSQL makes for a prepared statement while its tables are young.

psycopg prepares a statement on its fifth run on a connection, and PostgreSQL soon plans it once for
any parameters and keeps that plan. On tables that have no statistics yet every index looks alike to
the planner; an index on the legal entity then won the tie, and each new request walked all of its
entity's requests (1 800 rows per call in a short benchmark, and growing). The test database is such a
young table, never analyzed: each read is planned here as that generic plan would be.
"""

import re

import psycopg
import pytest
from django.db import connection

from core.rows import table
from declarations.models import DeclarationRequest
from declarations.selectors import employee_declaration_count
from tests.declarations.factories import DeclarationRequestFactory, EmployeeFactory
from tests.persons.factories import PersonFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]

# what an index condition may find rows by: a row's key, its person or doctor, the merge pair, a phone's
# codes, a token
IDENTIFYING = re.compile(r"\(+(?:\w+\.)?(id|person_id|employee_id|phone_number|token_checksum)\)?(::\w+)? = |LEAST\(")


class Reads:
    """Every SELECT the block sends, with its parameters, as the database received them."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and params:
            self.statements.append((sql, list(params)))
        return execute(sql, params, many, context)


def generic_plan(sql: str, params: list) -> str:
    """EXPLAIN of the statement's generic plan: the one kept for any parameters."""
    numbered = iter(range(1, len(params) + 1))
    prepared = re.sub(r"%s", lambda _: f"${next(numbered)}", sql)
    arguments = psycopg.ClientCursor(connection.connection).mogrify("(" + ", ".join(["%s"] * len(params)) + ")", params)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE read_under_test AS {prepared}")
        try:
            cursor.execute(f"EXPLAIN EXECUTE read_under_test{arguments}")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE read_under_test")


def walks(plan: str) -> list[str]:
    """The index scans of a plan that do not find their rows by what identifies them. (A sequential scan
    of a table this small is the planner's right choice, and its statistics will show it the table's
    growth; an index on the legal entity looks as good as the key's for ever.)"""
    found, lines = [], plan.splitlines()
    for number, line in enumerate(lines):
        if not re.search(r"Index (Only )?Scan using", line):
            continue
        depth = len(line) - len(line.lstrip(" ->"))
        details = []  # the node's own lines, before its first child
        for detail in lines[number + 1 :]:
            if "->" in detail or len(detail) - len(detail.lstrip()) <= depth:
                break
            details.append(detail.strip())
        condition = next((detail for detail in details if detail.startswith("Index Cond:")), "")
        if not IDENTIFYING.search(condition):
            found.append(f"{line.strip()} {condition}")
    return found


def test_each_write_reads_its_rows_by_what_identifies_them(caller, django_capture_on_commit_callbacks):
    doctor = EmployeeFactory(client=caller.client)
    amr_person, master, merge, patient = (PersonFactory() for _ in range(4))
    na_patient = PersonFactory(primary="NA")
    reads = Reads()
    with connection.execute_wrapper(reads), django_capture_on_commit_callbacks(execute=True):
        responses = [
            caller.post(
                f"/api/persons/{amr_person.pk}/authentication_method_requests",
                {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380671112233"}},
                format="json",
            ),
            caller.post(
                "/api/merge_requests",
                {"master_person_id": str(master.pk), "merge_person_id": str(merge.pk)},
                format="json",
            ),
            caller.post(
                "/api/v3/declaration_requests",
                {"person_id": str(patient.pk), "employee_id": str(doctor.pk)},
                format="json",
            ),
        ]
        approvable = caller.post(
            "/api/v3/declaration_requests",
            {"person_id": str(na_patient.pk), "employee_id": str(doctor.pk)},
            format="json",
        )
        request_id = approvable.json()["data"]["id"]
        responses.append(caller.patch(f"/api/v3/declaration_requests/{request_id}/actions/approve", {}, format="json"))
    assert [response.status_code for response in responses] == [201, 201, 201, 201]
    tables = {table for sql, _params in reads.statements for table in re.findall(r'(?:FROM|JOIN) "?(\w+)', sql)}
    assert {"persons_authenticationmethodrequest", "persons_mergerequest", "declarations_declarationrequest"} <= tables
    # Left out: the token's read (every call's, the floor's too). Through its join two indexes serve it,
    # and on tables with next to no rows the planner may take the client's. With a real token table's
    # statistics it takes the token's index (20 000 tokens of 20 clients, tried), and a connection's
    # plans last a minute (CONN_MAX_AGE).
    own = [(sql, params) for sql, params in reads.statements if "oauth2_provider_accesstoken" not in sql]
    plans = {sql: generic_plan(sql, params) for sql, params in own}
    walking = [f"{sql}\n{plan}" for sql, plan in plans.items() if walks(plan)]
    assert not walking, "\n\n".join(walking)


def test_the_doctors_count_keeps_its_generic_plan(caller):
    """The count every approve runs is planned once per connection, not on every call: with one busy
    doctor in the statistics, a quiet doctor's own estimate came out cheaper than the generic plan's, and
    PostgreSQL planned it anew each time (0.18 ms a call) while the doctor's id was a parameter."""
    busy, quiet = EmployeeFactory(client=caller.client), EmployeeFactory(client=caller.client)
    template = DeclarationRequestFactory(employee=busy, status=DeclarationRequest.Status.APPROVED)
    DeclarationRequestFactory(employee=quiet, status=DeclarationRequest.Status.APPROVED)
    requests = table(DeclarationRequest)
    copied = {"id": "gen_random_uuid()", "declaration_id": "gen_random_uuid()", "declaration_number": "'B-' || i"}
    columns = [requests.column(attname) for attname in requests.attnames]
    values = [copied.get(attname, column) for attname, column in zip(requests.attnames, columns, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {requests.name} ({', '.join(columns)}) SELECT {', '.join(values)}"
            f" FROM {requests.name}, generate_series(1, 3000) AS i WHERE id = %s",
            [template.pk],
        )
        cursor.execute(f"ANALYZE {requests.name}")
    for _ in range(12):  # prepared on the fifth run; the plan chosen for good after five more
        assert employee_declaration_count(quiet.pk) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%COUNT(*)%"],
        )
        generic, custom = cursor.fetchone()
    assert generic > 0 and custom <= 5, (generic, custom)
