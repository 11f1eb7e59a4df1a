"""The reads of every write find their rows through an index on what identifies them, on the generic
plan PostgreSQL makes for a prepared statement and keeps for a connection's life.

psycopg prepares a statement on its fifth run on a connection, and PostgreSQL soon plans it once for
any parameters. Each locking read filters by its key *and* the caller's legal entity (a row the caller
may not see is never locked). On a table never analyzed every index looks alike to the planner and the
legal entity's may win; autovacuum analyzes a table after its first 50 rows, and a connection's plans
last CONN_MAX_AGE (60 s), so that lasts a minute or two after a first deploy. Here the tables are
analyzed, as autovacuum leaves them, and each read is planned as that generic plan would be.
"""

import re

import psycopg
import pytest
from django.db import connection

from tests.conftest import verify_phone
from tests.declarations.conftest import with_parent
from tests.declarations.factories import EmployeeFactory
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
    verify_phone(caller.client, "+380671112233")  # the new OTP phone, verified by the clinic first
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
            {"person_id": str(na_patient.pk), "employee_id": str(doctor.pk), **with_parent(na_patient)},
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plans = {sql: generic_plan(sql, params) for sql, params in own}
    walking = [f"{sql}\n{plan}" for sql, plan in plans.items() if walks(plan)]
    assert not walking, "\n\n".join(walking)
