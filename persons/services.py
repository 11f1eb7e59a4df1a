"""Writes of the persons app: intake, manual verification and authentication-method requests (seed 003).

Every function is keyword-only, runs in a transaction, locks what it changes and records each change
as a `core.Event` (the seeds' StateChangeEvent). Lock order, everywhere: the person, then its requests,
then its methods, so a create and an approve for the same person cannot deadlock.
"""

import uuid
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.api.errors import Conflict, NotFound, ValidationFailed
from core.audit import events as audit
from core.db import locks
from core.documents.uploads import documents_require
from core.observability.masking import mask_phone
from persons import rules
from persons.models import AuthenticationMethod, AuthenticationMethodRequest, Person
from persons.selectors import (
    PERSON_INACTIVE,
    authentication_method_current,
    authentication_method_request_get,
    confirmation_documents,
    document_types_of,
    ensure_confirmation_still_valid,
    person_lock,
    primary_method,
)
from verifications.selectors import phone_verified_by
from verifications.services import request_code_send, request_insert, verification_confirm

Type = AuthenticationMethod.Type
Action = AuthenticationMethodRequest.Action
RequestStatus = AuthenticationMethodRequest.Status
VerificationStatus = Person.VerificationStatus
VerificationReason = Person.VerificationReason

OTP_KIND = "authentication_method_request"
PERSON_EXISTS = "Such person already exists"
PHONE_NOT_VERIFIED = "Phone number is not verified"
RESEND_OTP_NOT_ALLOWED = "Resend OTP is not allowed for this authentication method"
MANUAL_STATUSES = (VerificationStatus.VERIFIED, VerificationStatus.NOT_VERIFIED, VerificationStatus.IN_REVIEW)
# what a client uploads for OFFLINE when the person's record lists no documents


# --- persons ----------------------------------------------------------------------------------


def _rules_held(person: Person, *, today=None) -> list[str]:
    return rules.rules_02_05_hold(
        birth_date=person.birth_date,
        gender=person.gender,
        tax_id=person.tax_id,
        no_tax_id=person.no_tax_id,
        document_types=person.document_types,
        today=today or rules.today_utc(),
        no_self_auth_age=settings.NO_SELF_AUTH_AGE,
    )


def require_verified_phone(*, phone_number: str, client) -> None:
    """A phone becomes an OTP method only once the client proved it reaches the patient (seed 002: a code
    sent to it and read back): a typo can no longer strand a patient on a phone nobody answers."""
    if not phone_verified_by(phone_number=phone_number, client=client):
        raise Conflict(PHONE_NOT_VERIFIED)


def _check_intake(*, birth_date, tax_id: str, no_tax_id: bool, authentication_methods: list[dict]) -> None:
    if birth_date > rules.today_utc():
        raise ValidationFailed(field="birth_date", description="Birth date must not be in the future")
    if no_tax_id and tax_id:
        raise ValidationFailed(field="tax_id", description="Tax id must be empty when no_tax_id is true")
    if not no_tax_id:
        if not tax_id:
            raise ValidationFailed(field="tax_id", description="Tax id is required unless no_tax_id is true")
        if not rules.tax_id_checksum_valid(tax_id):
            raise ValidationFailed(field="tax_id", description="Tax id is not valid", rule="format")
    if len(authentication_methods) != 1:
        raise ValidationFailed(
            field="authentication_methods", description="Exactly one primary authentication method is required"
        )
    method = authentication_methods[0]
    if method["type"] == Type.OTP and not method.get("phone_number"):
        raise ValidationFailed(
            field="authentication_methods[0].phone_number",
            description="Phone number is required for OTP",
            rule="required",
        )


@transaction.atomic
def person_create(
    *,
    first_name: str,
    last_name: str,
    birth_date,
    gender: str,
    authentication_methods: list[dict],
    second_name: str = "",
    tax_id: str = "",
    no_tax_id: bool = False,
    documents: list[dict] = (),
    phones: list[dict] = (),
    actor: str,
    client=None,
) -> Person:
    """Registry intake: a person with one primary method, VERIFICATION_NEEDED with the reason of rules 01-05.

    A client's OTP method needs a phone that client verified (`require_verified_phone`); `client=None`
    is an operator's intake (demo data), which has no client to have verified it."""
    _check_intake(
        birth_date=birth_date, tax_id=tax_id, no_tax_id=no_tax_id, authentication_methods=authentication_methods
    )
    if client is not None and authentication_methods[0]["type"] == Type.OTP:
        require_verified_phone(phone_number=authentication_methods[0]["phone_number"], client=client)
    # one active record per tax id (parallel intakes of one take turns): a duplicate is found by search,
    # or merged by a merge request
    if tax_id:
        locks.lock_name(locks.TAX_ID, tax_id)
        if Person.objects.filter(tax_id=tax_id, status=Person.Status.ACTIVE).exists():
            raise Conflict(PERSON_EXISTS)
    method = authentication_methods[0]
    person = Person(
        first_name=first_name,
        last_name=last_name,
        second_name=second_name,
        birth_date=birth_date,
        gender=gender,
        tax_id=tax_id,
        no_tax_id=no_tax_id,
        documents=[dict(document) for document in documents],
        phones=[dict(phone) for phone in phones],
        updated_by=actor,
    )
    status, reason = rules.verification_at_intake(method_type=method["type"], rules_held=_rules_held(person))
    person.verification_status, person.verification_reason = status, reason
    person.save()
    new = AuthenticationMethod.objects.create(
        person=person,
        type=method["type"],
        phone_number=method.get("phone_number", "") if method["type"] == Type.OTP else "",
        alias=method.get("alias", ""),
    )
    audit.record(entity=person, property="status", old=None, new=person.status, actor=actor)
    audit.record_changes(
        entity=person,
        changes=[("verification_status", None, status), ("verification_reason", None, reason)],
        actor=actor,
    )
    _record_method_created(new, actor=actor)
    return person


def _set_verification(person: Person, *, status: str, reason: str, comment: str | None, actor: str) -> None:
    """Change the (locked) person's verification; `comment=None` keeps it. Records every change."""
    changes = [
        ("verification_status", person.verification_status, status),
        ("verification_reason", person.verification_reason, reason),
    ]
    person.verification_status, person.verification_reason = status, reason
    if comment is not None:
        changes.append(("verification_comment", person.verification_comment, comment))
        person.verification_comment = comment
    person.updated_by = actor
    person.save(
        update_fields=["verification_status", "verification_reason", "verification_comment", "updated_by", "updated_at"]
    )
    # the status event is written even when the status stays (the seed's StateChangeEvent on each decision)
    audit.record(entity=person, property="verification_status", old=changes[0][1], new=status, actor=actor)
    audit.record_changes(entity=person, changes=changes[1:], actor=actor)


@transaction.atomic
def person_verify(*, person_id, status: str, comment: str = "", actor: str) -> Person:
    """Manual verification (API and admin): VERIFIED, NOT_VERIFIED (needs a comment) or IN_REVIEW; reason MANUAL."""
    person = person_lock(person_id, status=None)
    if person is None:
        raise NotFound("Person not found")
    if status not in MANUAL_STATUSES:
        raise ValidationFailed(
            field="verification_status", description="Must be one of VERIFIED, NOT_VERIFIED, IN_REVIEW"
        )
    comment = (comment or "").strip()
    if status == VerificationStatus.NOT_VERIFIED and not comment:
        raise ValidationFailed(
            field="verification_comment", description="Comment is required for NOT_VERIFIED", rule="required"
        )
    _set_verification(person, status=status, reason=VerificationReason.MANUAL, comment=comment, actor=actor)
    return person


# --- authentication methods -------------------------------------------------------------------


def _method_snapshot(method: AuthenticationMethod) -> dict:
    """What an event says about a method: never a clear phone number."""
    snapshot = {"id": str(method.id), "type": method.type, "alias": method.alias}
    if method.phone_number:
        snapshot["phone_number"] = mask_phone(method.phone_number)
    if method.third_person_id:
        snapshot["value"] = str(method.third_person_id)
    return snapshot


def _record_method_created(method: AuthenticationMethod, *, actor: str) -> None:
    audit.record(entity=method, property="created", old=None, new=_method_snapshot(method), actor=actor)


def _end_method(method: AuthenticationMethod, *, now, actor: str) -> None:
    old = method.ended_at
    method.ended_at = now
    method.save(update_fields=["ended_at"])
    audit.record(entity=method, property="ended_at", old=old, new=now, actor=actor)


# --- authentication-method requests: create -----------------------------------------------------


def _uuid(value, field: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as error:
        raise ValidationFailed(field=field, description="Must be a valid UUID", rule="format") from error


def _active_method(person: Person, method_id, *, lock: bool = False) -> AuthenticationMethod:
    methods = person.authentication_methods.active()
    if lock:
        methods = methods.select_for_update()
    method = methods.filter(pk=method_id).first()
    if method is None:
        raise NotFound("Authentication method not found")
    return method


def _check_third_person(person: Person, value: str) -> Person:
    field = "authentication_method.value"
    if value == str(person.id):
        raise ValidationFailed(field=field, description="Person can not be their own third person")
    third = Person.objects.filter(pk=value, status=Person.Status.ACTIVE).first()
    if third is None:
        raise ValidationFailed(field=field, description="Third person not found")
    if rules.age(third.birth_date, rules.today_utc()) < rules.ADULT_AGE:
        raise ValidationFailed(field=field, description="Third person must be an adult")
    if not third.authentication_methods.active().filter(type__in=[Type.OTP, Type.OFFLINE]).exists():
        raise Conflict("Third person must have an OTP or OFFLINE authentication method")
    if person.authentication_methods.active().filter(type=Type.THIRD_PERSON, third_person=third).exists():
        raise Conflict("This person is already a third person of the person")
    return third


def _ensure_third_person_still_fits(request: AuthenticationMethodRequest, person: Person | None = None) -> None:
    """The third person of an INSERT may have changed since the request was made (deactivated, lost
    their method, became someone's third person already): the create-time checks, now a conflict."""
    requested = request.authentication_method
    if request.action != Action.INSERT or requested.get("type") != Type.THIRD_PERSON:
        return
    try:
        _check_third_person(person or request.person, requested["value"])
    except ValidationFailed as error:
        raise Conflict(error.invalid[0]["rules"][0]["description"]) from error


def _requested_method(
    person: Person, action: str, method: dict, *, primary: AuthenticationMethod | None, client
) -> dict:
    """Validate the requested method against the person (`primary`: their primary method); returns what
    the request stores."""
    if action == Action.INSERT:
        type = method.get("type")
        if not type:
            raise ValidationFailed(
                field="authentication_method.type", description="Type is required for INSERT", rule="required"
            )
        stored = {"type": type}
        if method.get("alias"):
            stored["alias"] = method["alias"]
        if type == Type.THIRD_PERSON:
            if not method.get("value"):
                raise ValidationFailed(
                    field="authentication_method.value",
                    description="Third person id is required for THIRD_PERSON",
                    rule="required",
                )
            stored["value"] = str(_check_third_person(person, _uuid(method["value"], "authentication_method.value")).id)
            return stored
        if type == Type.OTP:
            if not method.get("phone_number"):
                raise ValidationFailed(
                    field="authentication_method.phone_number",
                    description="Phone number is required for OTP",
                    rule="required",
                )
            stored["phone_number"] = method["phone_number"]
        if primary is not None and primary.type == type and primary.phone_number == stored.get("phone_number", ""):
            raise Conflict("Person already has this authentication method")
        if type == Type.OTP:
            require_verified_phone(phone_number=stored["phone_number"], client=client)
        return stored
    if not method.get("id"):
        raise ValidationFailed(
            field="authentication_method.id",
            description=f"Authentication method id is required for {action}",
            rule="required",
        )
    existing = _active_method(person, _uuid(method["id"], "authentication_method.id"))
    stored = {"id": str(existing.id), "type": existing.type}
    if action == Action.UPDATE:
        if not method.get("alias"):
            raise ValidationFailed(
                field="authentication_method.alias", description="Alias is required for UPDATE", rule="required"
            )
        stored["alias"] = method["alias"]
    elif existing.type != Type.THIRD_PERSON:
        raise Conflict("Only THIRD_PERSON authentication methods can be deactivated")
    return stored


def _required_documents(person: Person, *, current: dict, requested: dict) -> list[str]:
    """OFFLINE confirms with the confirming person's scans; a new OFFLINE method needs the person's own."""
    types = set(confirmation_documents(person=person, current=current))
    if requested.get("type") == Type.OFFLINE and "id" not in requested:
        types |= document_types_of(person)
    return sorted(types)


def confirmation_for_resend(request, *, person: Person, actor: str, own_na_confirms: bool = False) -> dict:
    """Who confirms a (locked) request of another flow now, for a resend of its code: the rule of create
    (`authentication_method_current`) must still give an OTP phone, the person's own or, for a
    THIRD_PERSON method, the third person's; else 409. A change is saved on the request with its event
    (documents an OFFLINE method asked for no longer apply)."""
    try:
        current = authentication_method_current(
            person=person, authorize_with=request.authorize_with, own_na_confirms=own_na_confirms
        )
    except ValidationFailed as error:  # the chosen method has ended since the request was made
        raise Conflict(RESEND_OTP_NOT_ALLOWED) from error
    if current["type"] != Type.OTP:
        raise Conflict(RESEND_OTP_NOT_ALLOWED)
    if current != request.authentication_method_current:
        audit.record(
            entity=request,
            property="authentication_method_current",
            old=request.authentication_method_current.get("type"),
            new=current["type"],
            actor=actor,
        )
        request.authentication_method_current, request.documents = current, []
        request.updated_at, request.updated_by = timezone.now(), actor
        request.save(update_fields=["authentication_method_current", "documents", "updated_at", "updated_by"])
    return current


def authentication_method_requests_cancel(*, now, actor: str, **equal) -> int:
    """NEW requests whose attributes equal `equal` -> CANCELLED (rows locked, each change recorded); how many."""
    cancelled = 0
    older_ones = AuthenticationMethodRequest.objects.filter(status=RequestStatus.NEW, **equal).order_by("pk")
    for older in older_ones.select_for_update():
        older.status, older.updated_at, older.updated_by = RequestStatus.CANCELLED, now, actor
        audit.save_changes(
            older,
            fields=["status", "updated_at", "updated_by"],
            changes=[("status", RequestStatus.NEW, RequestStatus.CANCELLED)],
            actor=actor,
        )
        cancelled += 1
    return cancelled


@transaction.atomic
def authentication_method_request_create(
    *, person_id, action: str, authentication_method: dict, client, actor: str
) -> AuthenticationMethodRequest:
    """A NEW request. OTP sends a code to the confirming phone (on commit); OFFLINE lists the documents to upload.

    The person row is locked so two creates for one person take turns (one NEW request per person).
    """
    person = person_lock(person_id)
    if person is None:
        raise NotFound("Person not found")
    primary = primary_method(person)
    requested = _requested_method(person, action, authentication_method, primary=primary, client=client)
    # the third person an INSERT adds confirms it when nobody else can (an NA child's first guardian)
    adding = requested.get("value") if action == Action.INSERT else None
    current = authentication_method_current(
        person=person, primary=primary, new_third_person=Person.objects.filter(pk=adding).first() if adding else None
    )
    documents = _required_documents(person, current=current, requested=requested)
    now = timezone.now()
    # A newer request replaces the legal entity's older one; other entities' requests are theirs.
    authentication_method_requests_cancel(
        person_id=person.pk, legal_entity_id=client.legal_entity_id, now=now, actor=actor
    )
    request = AuthenticationMethodRequest(
        person=person,
        action=action,
        authentication_method=requested,
        authentication_method_current=current,
        client=client,
        legal_entity_id=client.legal_entity_id,
        documents=documents,
        expires_at=now + timedelta(days=settings.AUTH_METHOD_REQUEST_TTL_DAYS),
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
    )
    request_insert(request, code_kind=OTP_KIND if current["type"] == Type.OTP else None, actor=actor)
    return request


# --- authentication-method requests: resend and approve ---------------------------------------


def _ensure_open(request: AuthenticationMethodRequest, *, now, person: Person | None = None) -> None:
    """The request may still be confirmed: its person active, itself NEW, its confirming method unchanged."""
    person = person or request.person
    if person.status != Person.Status.ACTIVE:  # merged away since the request was made
        raise Conflict(PERSON_INACTIVE)
    if request.status != RequestStatus.NEW:
        raise Conflict(f"Authentication method request is {request.status}")
    if request.expires_at <= now:
        raise Conflict(f"Authentication method request is {RequestStatus.EXPIRED}")
    ensure_confirmation_still_valid(person=person, current=request.authentication_method_current)


@transaction.atomic
def authentication_method_request_resend_otp(
    *, request_id, client, actor: str, person_id=None
) -> AuthenticationMethodRequest:
    """Send a fresh code for a NEW request confirmed by OTP (API and admin)."""
    request = authentication_method_request_get(person_id=person_id, request_id=request_id, client=client, lock=True)
    _ensure_open(request, now=timezone.now())
    current = request.authentication_method_current
    if current.get("type") != Type.OTP or not current.get("number"):
        raise Conflict("Resend SMS is not allowed for this authentication method")
    request_code_send(request=request, kind=OTP_KIND, actor=actor)
    audit.record(entity=request, property="otp_sent", old=None, new=mask_phone(current["number"]), actor=actor)
    return request


def _check_confirmation(request: AuthenticationMethodRequest, *, verification_code: str | None, actor: str):
    """OTP: the code is completed by the verification service (its failed attempt is committed on its own)."""
    current = request.authentication_method_current
    if current.get("type") == Type.OTP:
        verification_confirm(verification_id=request.verification_id, code=verification_code, actor=actor)
    elif verification_code is not None:
        raise ValidationFailed(
            field="verification_code",
            description=f"Verification code is not expected for {current.get('type')}",
        )


def _end_after(day) -> datetime:
    """The seed's end date is the method's last valid day: it ends when that day is over (UTC)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _apply_insert(request: AuthenticationMethodRequest, person: Person, *, now, actor: str) -> None:
    requested = request.authentication_method
    if requested["type"] == Type.THIRD_PERSON:
        end = rules.third_person_end_date(
            birth_date=person.birth_date,
            today=now.astimezone(UTC).date(),
            no_self_auth_age=settings.NO_SELF_AUTH_AGE,
            term_days=settings.THIRD_PERSON_TERM_DAYS,
        )
        new = AuthenticationMethod.objects.create(
            person=person,
            type=Type.THIRD_PERSON,
            third_person_id=requested["value"],
            alias=requested.get("alias", ""),
            started_at=now,
            ended_at=_end_after(end),
        )
    else:
        primaries = (
            AuthenticationMethod.objects.select_for_update()
            .filter(person=person)
            .exclude(type=Type.THIRD_PERSON)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        )
        for old in primaries:
            _end_method(old, now=now, actor=actor)
        new = AuthenticationMethod.objects.create(
            person=person,
            type=requested["type"],
            phone_number=requested.get("phone_number", ""),
            alias=requested.get("alias", ""),
            started_at=now,
        )
    _record_method_created(new, actor=actor)
    decision = rules.verification_after_insert(
        method_type=requested["type"],
        current_status=person.verification_status,
        rules_held=_rules_held(person, today=now.astimezone(UTC).date()),
    )
    if decision is not None:
        status, reason = decision
        comment = "" if reason == VerificationReason.RULES_PASSED else None
        _set_verification(person, status=status, reason=reason, comment=comment, actor=actor)


def _apply(request: AuthenticationMethodRequest, person: Person, *, now, actor: str) -> None:
    if request.action == Action.INSERT:
        _apply_insert(request, person, now=now, actor=actor)
        return
    try:
        method = _active_method(person, request.authentication_method["id"], lock=True)
    except NotFound as error:
        raise Conflict("Authentication method is no longer active") from error
    if request.action == Action.UPDATE:
        old = method.alias
        method.alias = request.authentication_method["alias"]
        method.save(update_fields=["alias"])
        audit.record(entity=method, property="alias", old=old, new=method.alias, actor=actor)
    else:
        _end_method(method, now=now, actor=actor)


def authentication_method_request_approve(
    *, person_id, request_id, client, verification_code: str | None, actor: str
) -> AuthenticationMethodRequest:
    """Seed 003: confirm (OTP code or uploaded documents), apply the action, rules 01-05 on INSERT, COMPLETED.

    Not atomic as a whole on purpose: the code is completed first, by the verification service's own
    transaction (a wrong guess must count even though this approve fails); then one transaction locks
    the person and the request, re-checks NEW and applies everything, or nothing.
    """
    request = authentication_method_request_get(person_id=person_id, request_id=request_id, client=client)
    _ensure_open(request, now=timezone.now())  # these checks come before the code is spent on a doomed approve
    _ensure_third_person_still_fits(request)
    if request.documents:
        documents_require(owner=request, types=request.documents)
    _check_confirmation(request, verification_code=verification_code, actor=actor)
    with transaction.atomic():
        person = person_lock(request.person_id, status=None)
        request = authentication_method_request_get(
            person_id=person_id, request_id=request_id, client=client, lock=True
        )
        now = timezone.now()
        _ensure_open(request, now=now, person=person)
        _ensure_third_person_still_fits(request, person)
        _apply(request, person, now=now, actor=actor)
        request.status, request.updated_at, request.updated_by = RequestStatus.COMPLETED, now, actor
        audit.save_changes(
            request,
            fields=["status", "updated_at", "updated_by"],
            changes=[("status", RequestStatus.NEW, request.status)],
            actor=actor,
        )
    return request
