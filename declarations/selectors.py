"""Reads of the declarations app, always within the caller's legal entity (`client=None`: the back office)."""

import functools

from django.conf import settings
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.errors import NotFound
from core.models import Client
from core.rows import kept_cursor, table
from declarations.models import ChainHead, Declaration, DeclarationRequest, Employee
from persons.models import Person

NOT_FOUND = "Declaration request not found"


def declaration_limit(employee: Employee) -> int:
    """The doctor's own limit, else their speciality's (DECLARATION_LIMIT_<SPECIALITY>)."""
    if employee.declaration_limit is not None:
        return employee.declaration_limit
    return getattr(settings, f"DECLARATION_LIMIT_{employee.speciality}")


def _count_of(queryset) -> Coalesce:
    counted = queryset.order_by().values("employee_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# What counts against a doctor's limit: their active declarations and their approved, unsigned requests.
COUNTED_DECLARATIONS = Declaration.Status.ACTIVE
COUNTED_REQUESTS = DeclarationRequest.Status.APPROVED


def employees_with_declaration_counts(queryset: QuerySet[Employee]) -> QuerySet[Employee]:
    """`declaration_count` on each employee, in one query (the back office's list)."""
    return queryset.annotate(
        declaration_count=_count_of(Declaration.objects.filter(employee=OuterRef("pk"), status=COUNTED_DECLARATIONS))
        + _count_of(DeclarationRequest.objects.filter(employee=OuterRef("pk"), status=COUNTED_REQUESTS))
    )


# The doctor's id goes in through a subquery on the doctor's key, whose value the planner cannot see,
# and the statuses as constants (`Table.conditions`): the plan made for one doctor then costs what the
# prepared statement's generic plan does, so PostgreSQL keeps the generic plan. With the id and the
# statuses as parameters it planned the count anew on every approve (0.18 ms, measured): a doctor's
# own estimate always came out a little cheaper.
_COUNT = "(SELECT COUNT(*) FROM {table} WHERE {doctor_column} = ({doctor}) AND {status})"
_DOCTOR = "SELECT {key} FROM {table} WHERE {key} = %s"


@functools.cache
def _count_sql(vendor: str) -> str:
    """The count's SQL on this database vendor (its quoting), made once; two parameters: the doctor's id."""
    doctors = table(Employee)
    doctor = _DOCTOR.format(key=doctors.column("id"), table=doctors.name)
    counted = []
    for model, status in ((Declaration, COUNTED_DECLARATIONS), (DeclarationRequest, COUNTED_REQUESTS)):
        rows = table(model)
        condition, _none = rows.conditions(status=status)
        counted.append(
            _COUNT.format(table=rows.name, doctor_column=rows.column("employee_id"), doctor=doctor, status=condition)
        )
    return " + ".join(counted)


def _count_sql_and_params(employee_id) -> tuple[str, list]:
    employee_id = table(Employee).prep("id", employee_id)
    return _count_sql(connection.vendor), [employee_id, employee_id]


def employee_declaration_count(employee_id) -> int:
    """One doctor's count, as `employees_with_declaration_counts` counts it, in plain SQL: the
    annotated subqueries cost 3 ms of Python per call to build, against 0.13 ms for this."""
    sql, params = _count_sql_and_params(employee_id)
    cursor = kept_cursor(connection)
    cursor.execute(f"SELECT {sql}", params)
    return cursor.fetchone()[0]


# The rows every create and approve reads are read in plain SQL (core.rows): 5 times cheaper in Python.


def declaration_request_lock(*, request_id, client: Client | None) -> tuple[Person, DeclarationRequest, Employee]:
    """The request with its person and its doctor, all locked until the transaction ends, in one statement
    (the person first, then the request, then the doctor: the order every flow locks them in); 404 as
    `declaration_request_get`. Approves of one doctor take turns, so each counts the doctor's
    declarations after the last one committed."""
    persons, requests, employees = table(Person), table(DeclarationRequest), table(Employee)
    where, params = requests.conditions("b", id=request_id)  # by the key alone, as `Table.select` finds one
    found = persons.one_joined(
        (requests, "a.id", "person_id"), (employees, "b.employee_id", "id"), where=where, params=params, lock=True
    )
    mine = {} if client is None else {"legal_entity_id": client.legal_entity_id}
    if found is None or not requests.matches(found[1], **mine):
        raise NotFound(NOT_FOUND)
    return found


def active_employee(*, employee_id, legal_entity_id) -> Employee | None:
    """A working doctor of the legal entity, or None."""
    return table(Employee).one(id=employee_id, legal_entity_id=legal_entity_id, status=Employee.Status.APPROVED)


def employee_lock(employee_id) -> Employee | None:
    """The doctor's row, locked until the transaction ends (a change takes its turn with the doctor's
    approves, which lock it with their request); None when there is no such doctor."""
    return table(Employee).one(id=employee_id, lock=True)


def declaration_request_list(
    *, client: Client, person_id=None, employee_id=None, status: str | None = None
) -> QuerySet[DeclarationRequest]:
    queryset = DeclarationRequest.objects.filter(legal_entity_id=client.legal_entity_id)
    if person_id:
        queryset = queryset.filter(person_id=person_id)
    if employee_id:
        queryset = queryset.filter(employee_id=employee_id)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def declaration_request_get(*, request_id, client: Client | None, lock: bool = False) -> DeclarationRequest:
    """Another legal entity's request is 404, like a missing one: ids must not leak."""
    mine = {} if client is None else {"legal_entity_id": client.legal_entity_id}
    request = table(DeclarationRequest).one(id=request_id, lock=lock, **mine)
    if request is None:
        raise NotFound(NOT_FOUND)
    return request


def doctor_count_and_chain_head(employee_id) -> tuple[int | None, bool]:
    """The doctor's count (`employee_declaration_count`; None for no doctor) and whether the seed
    chain's head is there, in one statement: approve moves the head in its update, which needs the row."""
    heads = table(ChainHead)
    sql, params = _count_sql_and_params(employee_id) if employee_id is not None else ("NULL", [])
    where, key = heads.conditions(id=ChainHead.ONLY)
    cursor = kept_cursor(connection)
    cursor.execute(_COUNT_WITH_HEAD.format(count=sql, heads=heads.name, where=where), [*params, *key])
    counted, head_is_there = cursor.fetchone()
    return counted, head_is_there


_COUNT_WITH_HEAD = "SELECT {count}, EXISTS (SELECT 1 FROM {heads} WHERE {where})"
