"""Reads of the persons app."""

from core.api.errors import Conflict, NotFound, RequestMalformed, ValidationFailed
from core.db.hot_reads import Read, Table
from persons.models import AuthenticationMethod, Person

Type = AuthenticationMethod.Type

PERSON_INACTIVE = "Person is not active"
THIRD_PERSON_INACTIVE = "Third person is not active"
METHOD_CHANGED = "Authentication method has changed"
NO_METHOD = "Person has no active authentication method"
NA_CONFIRMS_NOTHING = "Request can not be confirmed by authentication method NA"
THIRD_PERSON_NO_METHOD = "Third person has no authentication method"
# What a person confirms with themselves; NA confirms only a declaration with a parent declaration.
CONFIRMING_TYPES = (Type.OTP, Type.OFFLINE)


SEARCH_NEEDS = "Search needs tax_id, or first_name, last_name and birth_date"
SEARCH_LIMIT = 10


def persons_search(*, tax_id=None, first_name=None, last_name=None, birth_date=None) -> list[Person]:
    """At most SEARCH_LIMIT active persons with the tax id, or with the first name, last name (either
    case) and birth date; any other question is 422, so the registry cannot be browsed."""
    if tax_id and not (first_name or last_name or birth_date):
        found = Person.objects.filter(tax_id=tax_id)
    elif first_name and last_name and birth_date and not tax_id:
        found = Person.objects.filter(last_name__iexact=last_name, first_name__iexact=first_name, birth_date=birth_date)
    else:
        raise RequestMalformed(SEARCH_NEEDS)
    return list(found.filter(status=Person.Status.ACTIVE).order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT])


def person_get(*, person_id) -> Person:
    person = Person.objects.filter(pk=person_id).order_by().first()
    if person is None:
        raise NotFound("Person not found")
    return person


_PERSON = Table(Person, "p")
_LOCK_BY_ID = Read(_PERSON, sql="FROM {p} p WHERE {p.c.id} = %s", lock=("p",))
_LOCK_BY_ID_IN_STATUS = Read(_PERSON, sql="FROM {p} p WHERE {p.c.id} = %s AND {p.c.status} = %s", lock=("p",))


def person_lock(person_id, *, status: str | None = Person.Status.ACTIVE) -> Person | None:
    """The person's row, locked until the transaction ends; None when there is none (in `status`,
    unless that is None)."""
    person_id = _PERSON.param("id", person_id)
    found = _LOCK_BY_ID.one([person_id]) if status is None else _LOCK_BY_ID_IN_STATUS.one([person_id, status])
    return found[0] if found else None


def persons_lock(person_ids) -> dict:
    """The persons' rows by id, locked in id order, so two flows touching the same ones cannot deadlock."""
    return {person.pk: person for person in Person.objects.select_for_update().filter(pk__in=person_ids).order_by("pk")}


def active_method(person: Person, **equal) -> AuthenticationMethod | None:
    """The person's earliest method active now whose attributes equal `equal` (lookups, as `filter` takes)."""
    return person.authentication_methods.active().filter(**equal).order_by("started_at").first()


def primary_method(person: Person) -> AuthenticationMethod | None:
    """The person's one active method that is not a third person's (None: the person has none)."""
    return active_method(person, type__in=AuthenticationMethod.PRIMARY_TYPES)


def authentication_method_current(
    *,
    person: Person,
    authorize_with=None,
    primary=None,
    own_na_confirms: bool = False,
    new_third_person: Person | None = None,
) -> dict:
    """Who confirms a request about `person`: the one rule every flow applies at create, at resend
    and again at approve.

    The method is `authorize_with` (one of the person's active methods) or, by default, the primary
    one (`primary`, when the caller has read it already: one query fewer); a person whose primary is NA
    or missing is confirmed by their first third person who can confirm. What confirms:
    - the person's own OTP phone (an SMS) or OFFLINE documents;
    - a THIRD_PERSON method, through the third person's *own* OTP phone or OFFLINE documents; a third
      person with NA, or with no active method, confirms nothing (409);
    - the person's own NA, only where `own_na_confirms` (a declaration with a parent declaration);
    - for a person none of whose methods can confirm, the third person a request adds (`new_third_person`,
      an INSERT THIRD_PERSON), through their own method: an NA child is never stranded without a guardian.
    Returns `{"type", "number", "method_id"}` (and `third_person_id` for a third person being added) with
    the phone in clear (the flows send SMS to it); responses mask it.
    """
    if authorize_with is not None:
        method = active_method(person, id=authorize_with)
        if method is None:
            raise ValidationFailed(field="authorize_with", description="Authentication method not found")
    else:
        method = primary or primary_method(person)
        if method is None or (method.type == Type.NA and not own_na_confirms):
            trusted = _trusted_third_person_method(person)
            if new_third_person is not None and (trusted is None or not _confirms(trusted)):
                confirming = _own_confirming_method(new_third_person)
                return {
                    "type": confirming.type,
                    "number": confirming.phone_number or None,
                    "method_id": "",
                    "third_person_id": str(new_third_person.pk),
                }
            method = trusted or method
    if method is None:
        raise Conflict(NO_METHOD)
    if method.type == Type.NA and not own_na_confirms:
        raise Conflict(NA_CONFIRMS_NOTHING)
    confirming = method
    if method.type == Type.THIRD_PERSON:
        confirming = _third_persons_own_method(method)
    return {
        "type": confirming.type,
        "number": confirming.phone_number or None,
        "method_id": str(method.id),
    }


def _third_persons_own_method(method: AuthenticationMethod) -> AuthenticationMethod:
    """The OTP or OFFLINE method through which a THIRD_PERSON method confirms: the third person's own."""
    return _own_confirming_method(method.third_person)


def _own_confirming_method(third: Person) -> AuthenticationMethod:
    if third.status != Person.Status.ACTIVE:  # merged away: confirms for no one
        raise Conflict(THIRD_PERSON_INACTIVE)
    confirming = primary_method(third)
    if confirming is None or confirming.type not in CONFIRMING_TYPES:
        raise Conflict(THIRD_PERSON_NO_METHOD)
    return confirming


def _confirms(method: AuthenticationMethod) -> bool:
    try:
        _third_persons_own_method(method)
    except Conflict:
        return False
    return True


def _trusted_third_person_method(person: Person) -> AuthenticationMethod | None:
    """The person's earliest THIRD_PERSON method whose third person can confirm; when none can, their
    earliest one (which then answers why not); None without any."""
    methods = list(person.authentication_methods.active().filter(type=Type.THIRD_PERSON).select_related("third_person"))
    return next((method for method in methods if _confirms(method)), methods[0] if methods else None)


def ensure_confirmation_still_valid(*, person: Person, current: dict, own_na_confirms: bool = False) -> None:
    """At approve, under the person's lock: the request may only be confirmed as it was made.

    409 when the person is no longer active (merged into another record), or when the method that
    confirms the request is no longer theirs as it was: ended, its phone changed, or its third person
    merged away or without that method.
    """
    if person.status != Person.Status.ACTIVE:
        raise Conflict(PERSON_INACTIVE)
    adding = current.get("third_person_id")
    try:
        now_current = authentication_method_current(
            person=person,
            authorize_with=current.get("method_id") or None,
            own_na_confirms=own_na_confirms,
            new_third_person=Person.objects.filter(pk=adding).order_by().first() if adding else None,
        )
    except ValidationFailed as error:  # the method has ended
        raise Conflict(METHOD_CHANGED) from error
    if (now_current["type"], now_current["number"]) != (current.get("type"), current.get("number")):
        raise Conflict(METHOD_CHANGED)


def authentication_method_request_get(*, request_id, client, person_id=None, lock: bool = False):
    """A request of the person, visible to the client's legal entity (`client=None`: the back office).

    Another legal entity's request is 404 like a missing one, so ids do not leak.
    """
    from persons.models import AuthenticationMethodRequest

    requests = AuthenticationMethodRequest.objects.filter(pk=request_id)
    if person_id is not None:
        requests = requests.filter(person_id=person_id)
    if client is not None:
        requests = requests.filter(client__legal_entity_id=client.legal_entity_id)
    if lock:  # only the request row: the legal-entity join must not lock the client
        requests = requests.select_for_update(of=("self",))
    request = requests.order_by().first()  # by the key, not the list's order
    if request is None:
        raise NotFound("Authentication method request not found")
    return request


FALLBACK_DOCUMENT_TYPE = "PASSPORT"


def document_types_of(person: Person) -> set[str]:
    """The scans OFFLINE needs of a person: their record's document types (a passport if none)."""
    return {type for type in person.document_types if type} or {FALLBACK_DOCUMENT_TYPE}


def confirmation_documents(*, person: Person, current: dict) -> list[str]:
    """The scans an OFFLINE confirmation needs: of the confirming person (the third person, when a
    THIRD_PERSON method confirms). None for OTP or NA."""
    if current["type"] != Type.OFFLINE:
        return []
    method = AuthenticationMethod.objects.select_related("third_person").get(pk=current["method_id"])
    return sorted(document_types_of(method.third_person if method.type == Type.THIRD_PERSON else person))
