"""Reads of the declarations app, always within the caller's legal entity (`client=None`: the back office)."""

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.api.errors import NotFound
from core.db.hot_reads import Read, Table
from core.models import Client
from declarations.models import Declaration, DeclarationRequest, Employee
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


def counted_declarations(employee) -> QuerySet[Declaration]:
    """What counts against a doctor's limit (`employee`: an id, or `OuterRef("pk")`): their current
    declarations (active, or signed and pending verification) and, in `counted_requests`, their
    approved, unsigned requests. Signing moves a request from one to the other."""
    return Declaration.objects.filter(employee=employee, status__in=Declaration.CURRENT)


def counted_requests(employee) -> QuerySet[DeclarationRequest]:
    return DeclarationRequest.objects.filter(employee=employee, status=DeclarationRequest.Status.APPROVED)


def employees_with_declaration_counts(queryset: QuerySet[Employee]) -> QuerySet[Employee]:
    """`declaration_count` on each employee, in one query (the back office's list)."""
    doctor = OuterRef("pk")
    return queryset.annotate(
        declaration_count=_count_of(counted_declarations(doctor)) + _count_of(counted_requests(doctor))
    )


def employee_declaration_count(employee_id) -> int:
    """One doctor's count (approve), by the rule the back office's list counts by: two plain counts
    cost a third of the CPU of that list's annotation for one row. Two statements see two snapshots:
    call it holding the doctor's row lock, as approve does, so nothing moves between them."""
    return counted_declarations(employee_id).count() + counted_requests(employee_id).count()


_REQUEST, _PERSON, _DOCTOR = Table(DeclarationRequest, "r"), Table(Person, "p"), Table(Employee, "e")
_REQUEST_WITH_PERSON_AND_DOCTOR = (
    "FROM {r} r JOIN {p} p ON {p.c.id} = {r.c.person} JOIN {e} e ON {e.c.id} = {r.c.employee}"
)
_LOCK_BY_ID = Read(
    _REQUEST, _PERSON, _DOCTOR, sql=_REQUEST_WITH_PERSON_AND_DOCTOR + " WHERE {r.c.id} = %s", lock=("r", "p", "e")
)
_LOCK_BY_ID_IN_ENTITY = Read(
    _REQUEST,
    _PERSON,
    _DOCTOR,
    sql=_REQUEST_WITH_PERSON_AND_DOCTOR + " WHERE {r.c.id} = %s AND {r.c.legal_entity_id} = %s",
    lock=("r", "p", "e"),
)


def declaration_request_lock(*, request_id, client: Client | None) -> tuple[Person, DeclarationRequest, Employee]:
    """The request with its person and its doctor, all locked until the transaction ends, in one statement
    that only finds the client's own legal entity's request (404 as `declaration_request_get`; another
    entity's rows are never locked). Approves of one doctor take turns, so each counts the doctor's
    declarations after the last one committed."""
    request_id = _REQUEST.param("id", request_id)
    if client is None:
        found = _LOCK_BY_ID.one([request_id])
    else:
        found = _LOCK_BY_ID_IN_ENTITY.one([request_id, _REQUEST.param("legal_entity_id", client.legal_entity_id)])
    if found is None:
        raise NotFound(NOT_FOUND)
    request, person, doctor = found
    request.person, request.employee = person, doctor
    return person, request, doctor


def active_employee(*, employee_id, legal_entity_id) -> Employee | None:
    """A working doctor of the legal entity, or None."""
    doctors = Employee.objects.filter(pk=employee_id, legal_entity_id=legal_entity_id, status=Employee.Status.APPROVED)
    return doctors.order_by().first()


def employee_lock(employee_id) -> Employee | None:
    """The doctor's row, locked until the transaction ends (a change takes its turn with the doctor's
    approves, which lock it with their request); None when there is no such doctor."""
    return Employee.objects.select_for_update().filter(pk=employee_id).order_by().first()


def _of_legal_entity(queryset: QuerySet, *, client: Client, **filters) -> QuerySet:
    """The client's legal entity's rows, narrowed by the filters given (an empty one is not a filter)."""
    return queryset.filter(legal_entity_id=client.legal_entity_id, **{name: v for name, v in filters.items() if v})


def declaration_request_list(
    *, client: Client, person_id=None, employee_id=None, status: str | None = None
) -> QuerySet[DeclarationRequest]:
    return _of_legal_entity(
        DeclarationRequest.objects.all(), client=client, person_id=person_id, employee_id=employee_id, status=status
    )


def declaration_request_get(*, request_id, client: Client | None, lock: bool = False) -> DeclarationRequest:
    """Another legal entity's request is 404, like a missing one: ids must not leak (nor its row be locked)."""
    requests = DeclarationRequest.objects.filter(pk=request_id)
    if client is not None:
        requests = requests.filter(legal_entity_id=client.legal_entity_id)
    request = (requests.select_for_update(of=("self",)) if lock else requests).order_by().first()
    if request is None:
        raise NotFound(NOT_FOUND)
    return request


# --- declarations ----------------------------------------------------------------------------------

DECLARATION_NOT_FOUND = "Declaration not found"


def declaration_list(*, client: Client, person_id=None, employee_id=None, status: str | None = None) -> QuerySet:
    """This legal entity's declarations, newest first."""
    declarations = _of_legal_entity(
        Declaration.objects.all(), client=client, person_id=person_id, employee_id=employee_id, status=status
    )
    return declarations.order_by("-created_at", "-pk")


def declaration_get(*, declaration_id, client: Client | None, lock: bool = False) -> Declaration:
    """Another legal entity's declaration is 404, like a missing one (and its row is never locked: the
    legal entity is in the locking query itself)."""
    declarations = Declaration.objects.filter(pk=declaration_id)
    if client is not None:
        declarations = declarations.filter(legal_entity_id=client.legal_entity_id)
    declaration = (declarations.select_for_update(of=("self",)) if lock else declarations).order_by().first()
    if declaration is None:
        raise NotFound(DECLARATION_NOT_FOUND)
    return declaration


def current_declarations_lock(person_id) -> list[Declaration]:
    """The person's active and pending declarations, of every legal entity, locked (the caller holds
    the person's lock: a new declaration ends them, whichever clinic they are with)."""
    current = Declaration.objects.filter(person_id=person_id, status__in=Declaration.CURRENT)
    return list(current.order_by("pk").select_for_update(of=("self",)))
