"""Writes of the declarations app: doctors, declaration requests (v3): create, resend the code,
approve, reject, sign; and declarations: terminate.

Every function is keyword-only, runs in a transaction, locks what it changes and records each change as
a `core.Event`. Lock order, everywhere: the person, then their requests, then the parent declaration,
then the doctor, then the seed chain; so a create and an approve for one person cannot deadlock.
Sign locks the person, the request and the doctor, then the person's current declarations.
"""

import base64
import binascii
import json
import re
import secrets
import uuid
from datetime import UTC, date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import SHA256, Concat, Now
from django.template.loader import render_to_string
from django.utils import timezone

from core.api.errors import Conflict, NotFound, RequestMalformed, ValidationFailed
from core.audit import events as audit
from core.documents.uploads import documents_require
from core.models import Client
from core.observability.masking import mask_phone
from declarations import signatures
from declarations.models import ChainHead, Declaration, DeclarationRequest, Employee
from declarations.selectors import (
    active_employee,
    current_declarations_lock,
    declaration_get,
    declaration_limit,
    declaration_request_get,
    declaration_request_lock,
    employee_declaration_count,
    employee_lock,
)
from persons import rules
from persons.models import AuthenticationMethod, Person
from persons.selectors import (
    authentication_method_current,
    confirmation_documents,
    ensure_confirmation_still_valid,
    person_lock,
)
from persons.services import confirmation_for_resend
from verifications.models import Verification
from verifications.services import request_code_send, request_insert, verification_confirm

Type = AuthenticationMethod.Type
Status = DeclarationRequest.Status

SMS_KIND = "declaration_request"
PERSON_NOT_FOUND = "Person not found"
EMPLOYEE_NOT_FOUND = "Employee is not an active doctor of your legal entity"
PARENT_NOT_FOUND = "Parent declaration not found"
ACTIVE_PARENT_NOT_FOUND = "Active parent declaration was not found"
NOT_VERIFIED = "Patient is not verified"
NO_CURRENT_METHOD = "Declaration request has no authentication method"
NOT_NEW = "Declaration request is not in status NEW"
NOT_OPEN = "Declaration request is not in status NEW or APPROVED"
EXPIRED = "Declaration request is expired"
CODE_NOT_EXPECTED = "Verification code is not expected for {}"
OVER_LIMIT = "This doctor has {} declarations and could not sign more"

DOCTOR_CONFIRMED = "doctor_confirmed"
REPLACED = "replaced_by_newer_request"
# A declaration lasts DECLARATION_TERM_YEARS (20); a pediatrician's patient's ends the day before they
# come of age (`_term`).

_NUMBER_ALPHABET = "0123456789ABCEHKMPTX"  # letters that look the same in Latin and Cyrillic


# --- doctors ----------------------------------------------------------------------------------


@transaction.atomic
def employee_create(
    *,
    client: Client,
    speciality: str,
    first_name: str = "",
    last_name: str = "",
    second_name: str = "",
    declaration_limit: int | None = None,
    user=None,
    tax_id: str = "",
    actor: str = audit.SYSTEM,
) -> Employee:
    """A working doctor of the client's legal entity; names default to the user's. `tax_id` is their
    DRFO, which the certificate of every declaration they sign must name."""
    if speciality not in Employee.Speciality.values:
        raise ValidationFailed(field="speciality", description=f"Must be one of {', '.join(Employee.Speciality)}")
    if declaration_limit is not None and declaration_limit < 1:
        raise ValidationFailed(field="declaration_limit", description="Must be a positive integer")
    _check_employee_tax_id(tax_id)
    employee = Employee.objects.create(
        client=client,
        legal_entity_id=client.legal_entity_id,
        user=user,
        first_name=first_name or getattr(user, "first_name", ""),
        last_name=last_name or getattr(user, "last_name", ""),
        second_name=second_name,
        speciality=speciality,
        declaration_limit=declaration_limit,
        tax_id=tax_id,
    )
    audit.record(entity=employee, property="status", old=None, new=employee.status, actor=actor)
    if tax_id:
        audit.record(entity=employee, property="tax_id", old="", new=tax_id, actor=actor)
    return employee


# a DRFO: the RNOKPP (10 digits), or the passport of one who refused it (2 Cyrillic letters and 6
# digits, or an ID card's 9 digits)
EMPLOYEE_TAX_ID = re.compile(r"[0-9]{10}|[0-9]{9}|[АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ]{2}[0-9]{6}")


def _check_employee_tax_id(tax_id: str) -> None:
    if tax_id and not EMPLOYEE_TAX_ID.fullmatch(tax_id):
        raise ValidationFailed(
            field="tax_id", description="Must be 10 digits (RNOKPP), or a passport number", rule="format"
        )


EMPLOYEE_EDITABLE = (
    "first_name",
    "last_name",
    "second_name",
    "speciality",
    "status",
    "declaration_limit",
    "user",
    "tax_id",
)


@transaction.atomic
def employee_update(*, employee_id, changes: dict, actor: str) -> Employee:
    """Change a doctor (the back office): each changed field is an event."""
    unknown = set(changes) - set(EMPLOYEE_EDITABLE)
    if unknown:
        raise ValidationFailed(field=sorted(unknown)[0], description="Field can not be changed")
    _check_employee_tax_id(changes.get("tax_id") or "")
    employee = employee_lock(employee_id)
    if employee is None:
        raise NotFound("Employee not found")
    recorded = []
    for name, value in changes.items():
        attribute = "user_id" if name == "user" else name
        new = value.pk if name == "user" and value is not None else value
        recorded.append((name, getattr(employee, attribute), new))
        setattr(employee, attribute, new)
    employee.updated_at = timezone.now()
    employee.save()
    audit.record_changes(entity=employee, changes=recorded, actor=actor)
    return employee


# --- declaration requests: create --------------------------------------------------------------


def _new_declaration_number() -> str:
    return "-".join("".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(4)) for _ in range(3))


def _term(person: Person, employee: Employee, today) -> tuple:
    """A declaration's first and last day, from `today`: DECLARATION_TERM_YEARS, but a pediatrician's
    patient's ends the day before their 18th birthday (when that comes first)."""
    end = rules.add_years(today, settings.DECLARATION_TERM_YEARS)
    child = rules.age(person.birth_date, today) < rules.ADULT_AGE
    if employee.speciality == Employee.Speciality.PEDIATRICIAN and child:
        end = min(end, rules.add_years(person.birth_date, rules.ADULT_AGE) - timedelta(days=1))
    return today, end


def _data_to_be_signed(
    *, person: Person, employee: Employee, client: Client, current: dict, declaration_id, number: str, parent, today
) -> dict:
    """What the doctor signs: the declaration as it will be, with nothing a response may not show."""
    start, end = _term(person, employee, today)
    return {
        "id": str(declaration_id),
        "declaration_number": number,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "scope": "family_doctor",
        "channel": DeclarationRequest.Channel.MIS,
        "person": {
            "id": str(person.pk),
            "first_name": person.first_name,
            "last_name": person.last_name,
            "second_name": person.second_name,
            "birth_date": person.birth_date.isoformat(),
            "gender": person.gender,
            "tax_id": person.tax_id,
            "no_tax_id": person.no_tax_id,
            "documents": person.documents,
            "authentication_method_current": {"type": current["type"], "number": mask_phone(current["number"])},
        },
        "employee": {
            "id": str(employee.pk),
            "first_name": employee.first_name,
            "last_name": employee.last_name,
            "second_name": employee.second_name,
            "speciality": employee.speciality,
        },
        "legal_entity": {"id": str(client.legal_entity_id), "name": client.legal_entity_name},
        "parent_declaration_id": str(parent.pk) if parent else None,
        "patient_signed": False,
        "process_disclosure_data_consent": True,
    }


def _set_status(
    request: DeclarationRequest,
    status: str,
    *,
    now,
    actor: str,
    reason: str | None = None,
    fields: tuple = (),
    changes: tuple = (),
) -> None:
    """The (locked) request's new status, with its events; `reason=None` keeps status_reason.

    `fields` are other attributes already set on the request, saved with it; `changes` their events.
    """
    recorded = [("status", request.status, status)]
    request.status = status
    if reason is not None:
        recorded.append(("status_reason", request.status_reason, reason))
        request.status_reason = reason
    request.updated_at, request.updated_by = now, actor
    audit.save_changes(
        request,
        fields=["status", "status_reason", "updated_at", "updated_by", *fields],
        changes=[*recorded, *changes],
        actor=actor,
    )


def cancel_requests(*, now, actor: str, reason: str, **equal) -> int:
    """Lock the open requests whose attributes equal `equal` and cancel each (one event per change); how many."""
    cancelled = 0
    open_ones = DeclarationRequest.objects.filter(status__in=DeclarationRequest.OPEN_STATUSES, **equal)
    for older in open_ones.order_by("pk").select_for_update():
        _set_status(older, Status.CANCELLED, now=now, actor=actor, reason=reason)
        cancelled += 1
    return cancelled


@transaction.atomic
def declaration_request_create(
    *,
    person_id: uuid.UUID,
    employee_id: uuid.UUID,
    client: Client,
    authorize_with: uuid.UUID | None = None,
    parent_declaration_id: uuid.UUID | None = None,
    overlimit: bool = False,
    actor: str = audit.SYSTEM,
) -> DeclarationRequest:
    """A NEW request to the doctor, confirmed by the person's method: an SMS for OTP, documents for OFFLINE.

    Cancels this legal entity's earlier open (NEW or APPROVED) requests of the person; another legal
    entity's are never touched. The person row is locked so two creates for one person take turns.
    """
    person = person_lock(person_id)
    if person is None:
        raise NotFound(PERSON_NOT_FOUND)
    employee = active_employee(employee_id=employee_id, legal_entity_id=client.legal_entity_id)
    if employee is None:
        raise ValidationFailed(field="employee_id", description=EMPLOYEE_NOT_FOUND)
    parent = None
    if parent_declaration_id is not None:
        parent = Declaration.objects.filter(pk=parent_declaration_id, person=person).first()
        if parent is None:
            raise ValidationFailed(field="parent_declaration_id", description=PARENT_NOT_FOUND)
    current = authentication_method_current(
        person=person, authorize_with=authorize_with, own_na_confirms=parent is not None
    )
    now = timezone.now()
    cancel_requests(person_id=person.pk, legal_entity_id=client.legal_entity_id, now=now, actor=actor, reason=REPLACED)
    declaration_id, number = uuid.uuid4(), _new_declaration_number()
    request = DeclarationRequest(
        person=person,
        employee=employee,
        client=client,
        legal_entity_id=client.legal_entity_id,
        authentication_method_current=current,
        authorize_with=authorize_with,
        parent_declaration=parent,
        declaration_id=declaration_id,
        declaration_number=number,
        overlimit=overlimit,
        data_to_be_signed=_data_to_be_signed(
            person=person,
            employee=employee,
            client=client,
            current=current,
            declaration_id=declaration_id,
            number=number,
            parent=parent,
            today=now.astimezone(UTC).date(),
        ),
        documents=confirmation_documents(person=person, current=current),
        expires_at=now + timedelta(days=settings.DECLARATION_REQUEST_TTL_DAYS),
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
    )
    request_insert(request, code_kind=SMS_KIND if current["type"] == Type.OTP else None, actor=actor)
    if overlimit:  # who let this request past the doctor's limit
        audit.record(entity=request, property="overlimit", old=False, new=True, actor=actor)
    return request


# --- resend, reject ---------------------------------------------------------------------------


def _require_new(request: DeclarationRequest, now) -> None:
    if request.status != Status.NEW:
        raise Conflict(NOT_NEW)
    if request.expires_at <= now:
        raise Conflict(EXPIRED)


@transaction.atomic
def declaration_request_resend_otp(*, request_id, client: Client | None, actor: str) -> Verification:
    """A new code to the method the person confirms with now (OTP, or a third person's OTP), saved on the request."""
    request = declaration_request_get(request_id=request_id, client=client, lock=True)
    _require_new(request, timezone.now())
    current = confirmation_for_resend(
        request, person=request.person, actor=actor, own_na_confirms=request.parent_declaration_id is not None
    )
    verification = request_code_send(request=request, kind=SMS_KIND, actor=actor)
    audit.record(entity=request, property="otp_sent", old=None, new=mask_phone(current["number"]), actor=actor)
    return verification


@transaction.atomic
def declaration_request_reject(*, request_id, client: Client | None, actor: str) -> DeclarationRequest:
    request = declaration_request_get(request_id=request_id, client=client, lock=True)
    if request.status not in DeclarationRequest.OPEN_STATUSES:
        raise Conflict(NOT_OPEN)
    _set_status(request, Status.REJECTED, now=timezone.now(), actor=actor)
    return request


# --- approve ---------------------------------------------------------------------------------------


def _check_body(request: DeclarationRequest, verification_code: str | None) -> None:
    """Step 1: a code when the request is confirmed by OTP, none otherwise."""
    type = request.confirmation_type
    if type == Type.OTP and verification_code is None:
        raise ValidationFailed(field="verification_code", description="Verification code is required", rule="required")
    if type != Type.OTP and verification_code is not None:
        raise ValidationFailed(field="verification_code", description=CODE_NOT_EXPECTED.format(type))


def _check_request(request: DeclarationRequest, person: Person, verification_code: str | None) -> None:
    """Steps 1 and 2, before anything is spent or changed: a NEW request, the body its confirmation
    takes and, for a code, a verified person; a request without a current method cannot be approved."""
    _require_new(request, timezone.now())
    _check_body(request, verification_code)
    if not request.confirmation_type or request.confirmation_type == Type.OTP:
        _check_verified(person)
        if not request.confirmation_type:
            raise Conflict(NO_CURRENT_METHOD)


def _check_verified(person: Person) -> None:
    """Step 2."""
    if person.verification_status == Person.VerificationStatus.NOT_VERIFIED:
        raise Conflict(NOT_VERIFIED)


def _active_parent(request: DeclarationRequest, *, lock: bool = False) -> Declaration | None:
    """Step 3 for NA: a parent declaration, when named, must exist and be active."""
    if request.parent_declaration_id is None:
        return None
    parents = Declaration.objects.filter(pk=request.parent_declaration_id, status=Declaration.Status.ACTIVE)
    parent = (parents.select_for_update() if lock else parents).first()
    if parent is None:
        raise NotFound(ACTIVE_PARENT_NOT_FOUND)
    return parent


def _check_limit(request: DeclarationRequest, employee: Employee, counted: int | None = None) -> None:
    """Step 4: the doctor's active declarations and approved requests (`counted`, when the caller has
    counted them already) stay under the limit."""
    if request.overlimit:
        return
    limit = declaration_limit(employee)
    if counted is None:
        counted = employee_declaration_count(employee.pk)
    if counted >= limit:
        raise RequestMalformed(OVER_LIMIT.format(counted))  # the doctor's count, not the limit


def _signed(data_to_be_signed: dict) -> str:
    """The data to be signed as the seed hashes it: canonical JSON."""
    return json.dumps(data_to_be_signed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _move_chain_head(signed: str) -> str:
    """Step 5: the chain's head moves to SHA-256 over its seed and `signed` (the previous approved
    request's seed and this request's data to be signed); its new seed. The database works it out in
    the update, over the seed the row holds once its lock is granted (after the approve before
    committed), and returns it (RETURNING). The head row is made by the migrations, and again after a
    flush (`chain_head_ensure`)."""
    head = ChainHead(id=ChainHead.ONLY, seed=SHA256(Concat(F("seed"), Value(signed))), updated_at=Now())
    head.save(force_update=True, update_fields=["seed", "updated_at"])
    return head.seed


def chain_head_ensure(**kwargs) -> None:
    """The seed chain's head, made at the latest approved request when it is missing (a flushed
    database); connected to post_migrate, which `migrate` and `flush` send."""
    latest = DeclarationRequest.objects.filter(approved_at__isnull=False).order_by("-approved_at")
    ChainHead.objects.get_or_create(
        id=ChainHead.ONLY, defaults={"seed": latest.values_list("seed", flat=True).first() or ""}
    )


SPECIALITY_UK = {
    Employee.Speciality.THERAPIST: "Терапевт",
    Employee.Speciality.PEDIATRICIAN: "Педіатр",
    Employee.Speciality.FAMILY_DOCTOR: "Лікар загальної практики – сімейний лікар",
}


def _day(value: date) -> str:
    """A day as the printout shows it, 31.05.2030 (here rather than the template's `date` filter, whose
    localisation cost two thirds of a printout's rendering)."""
    return value.strftime("%d.%m.%Y")


def render_printout(request: DeclarationRequest, *, person: Person, employee: Employee, now) -> str:
    """Step 7: the printout form the patient signs on paper. Its context is plain text, one value a
    line: the template finds each at its first try, where an instance's attribute takes three."""
    data = request.data_to_be_signed
    return render_to_string(
        "declarations/printout.html",
        {
            "number": request.declaration_number,
            "patient": str(person),
            "birth_date": _day(person.birth_date),
            "tax_id": person.tax_id,
            "doctor": str(employee),
            "speciality": SPECIALITY_UK.get(employee.speciality, employee.speciality),
            "legal_entity_name": data["legal_entity"]["name"],
            "start_date": _day(date.fromisoformat(data["start_date"])),
            "end_date": _day(date.fromisoformat(data["end_date"])),
            "confirmation": request.confirmation_type,
            "approved_on": _day(timezone.localdate(now)),
        },
    )


def declaration_request_approve(
    *, request_id, client: Client | None, verification_code: str | None = None, actor: str = audit.SYSTEM
) -> DeclarationRequest:
    """The seven steps of approve; all or nothing.

    Not atomic as a whole on purpose: a code is checked by the verification service's own transaction
    (a wrong guess must count even though this approve fails). So when a code confirms, the checks that
    need no lock run first, and a right code is not spent on a doomed approve. Then one transaction
    locks the person, the request, the parent declaration, the doctor (so parallel approves cannot
    exceed the limit) and the seed chain, checks everything (again, after a code) and applies it.
    Without a code nothing runs before that transaction.
    """
    if verification_code is not None:
        request = declaration_request_get(request_id=request_id, client=client)
        _check_request(request, request.person, verification_code)
        _check_limit(request, request.employee)
        verification_confirm(verification_id=request.verification_id, code=verification_code, actor=actor)
    with transaction.atomic():
        person, request, employee = declaration_request_lock(request_id=request_id, client=client)
        _check_request(request, person, verification_code)
        type = request.confirmation_type
        ensure_confirmation_still_valid(
            person=person,
            current=request.authentication_method_current,
            own_na_confirms=request.parent_declaration_id is not None,
        )
        _check_verified(person)
        data = dict(request.data_to_be_signed)
        if type == Type.NA and _active_parent(request, lock=True) is not None:
            data["patient_signed"] = None
            data["process_disclosure_data_consent"] = None
        if type == Type.OFFLINE:
            documents_require(owner=request, types=request.documents)
        request.data_to_be_signed = data
        _check_limit(request, employee)  # counted after the doctor's lock: every approve committed meanwhile
        request.printout_content = render_printout(request, person=person, employee=employee, now=timezone.now())
        request.is_shareable = True
        request.seed = _move_chain_head(_signed(data))
        request.approved_at = timezone.now()  # after the head's lock: the chain's order
        _set_status(
            request,
            Status.APPROVED,
            now=request.approved_at,
            actor=actor,
            reason=DOCTOR_CONFIRMED,
            fields=("data_to_be_signed", "seed", "approved_at", "is_shareable", "printout_content"),
            changes=(("seed", "", request.seed), ("is_shareable", False, True)),
        )
    return request


# --- sign ------------------------------------------------------------------------------------------

NOT_APPROVED = "Declaration request is not in status APPROVED"
DOCTOR_NOT_ACTIVE = "Employee is not an active doctor"
FIELD_REQUIRED = "This field is required."  # DRF's own words, as every other required field answers
ENCODING_NOT_BASE64 = 'Must be "base64"'
NOT_BASE64 = "Must be a base64-encoded string"
CONTENT_MISMATCH = "Signed content does not match the previously created content"
DRFO_MISMATCH = "Does not match the signer drfo"
SIGNED_FIELD = "signed_declaration_request"
ENCODING_FIELD = "signed_content_encoding"


def signed_content(request: DeclarationRequest) -> dict:
    """What the doctor signs (its JSON): the request's `data_to_be_signed` with `patient_signed: true`
    (the patient has read and signed the printout) and the request's `seed` (the chain's hash at
    approve). Compared as canonical JSON (`_signed`): key order and spacing do not matter, values do."""
    return {**request.data_to_be_signed, "patient_signed": True, "seed": request.seed}


def _require_approved(request: DeclarationRequest, employee: Employee, now) -> None:
    """Step 1: an APPROVED request, not past its expiry, of a working doctor."""
    if request.status != Status.APPROVED:
        raise Conflict(NOT_APPROVED)
    if request.expires_at <= now:
        raise Conflict(EXPIRED)
    if not employee.is_active:
        raise Conflict(DOCTOR_NOT_ACTIVE)


def _signed_bytes(signed_declaration_request: str | None, signed_content_encoding: str | None) -> bytes:
    """Step 1, the body: both fields, base64."""
    for field, value in ((SIGNED_FIELD, signed_declaration_request), (ENCODING_FIELD, signed_content_encoding)):
        if not value:
            raise ValidationFailed(field=field, description=FIELD_REQUIRED, rule="required")
    if signed_content_encoding != "base64":
        raise ValidationFailed(field=ENCODING_FIELD, description=ENCODING_NOT_BASE64, rule="inclusion")
    try:
        return base64.b64decode(signed_declaration_request, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationFailed(field=SIGNED_FIELD, description=NOT_BASE64, rule="format") from error


def _verified(signed: bytes) -> signatures.SignedDocument:
    """Step 2: one valid signature by a trusted certificate (SIGNATURE_BACKEND)."""
    try:
        return signatures.verify(signed)
    except signatures.SignatureRefused as refused:
        raise ValidationFailed(field=SIGNED_FIELD, description=refused.message) from refused


def _check_content(request: DeclarationRequest, content: bytes) -> None:
    """Step 3: what was signed is `signed_content(request)`, as JSON."""
    try:
        signed = json.loads(content)
    except (ValueError, RecursionError) as error:  # not JSON (nor UTF-8), or nested past the parser's depth
        raise ValidationFailed(field=SIGNED_FIELD, description=CONTENT_MISMATCH) from error
    if _signed(signed) != _signed(signed_content(request)):
        raise ValidationFailed(field=SIGNED_FIELD, description=CONTENT_MISMATCH)


def _check_signer(employee: Employee, drfo: str) -> None:
    """Step 4: the signer is the request's doctor: their certificate's DRFO is the doctor's tax id."""
    doctor = signatures.drfo_normalized(employee.tax_id)
    if not doctor or signatures.drfo_normalized(drfo) != doctor:
        raise ValidationFailed(field=SIGNED_FIELD, description=DRFO_MISMATCH)


def _store_signed_content(declaration: Declaration, signed: bytes) -> str:
    """Step 5: the signed CMS, kept under the declaration's name. A file already there was left by a
    sign of this request that rolled back (the request's lock is held, and a SIGNED one is never signed
    again): it is replaced."""
    name = declaration.signed_content_name
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(signed))


def _new_declaration_status(request: DeclarationRequest, person: Person) -> tuple[str, str]:
    """Step 6: active, unless the patient's identity is still to be checked: confirmed OFFLINE (by
    scans), or a person without a tax id."""
    if request.confirmation_type == Type.OFFLINE:
        return Declaration.Status.PENDING_VERIFICATION, Declaration.Reason.OFFLINE
    if person.no_tax_id or not person.tax_id:
        return Declaration.Status.PENDING_VERIFICATION, Declaration.Reason.NO_TAX_ID
    return Declaration.Status.ACTIVE, ""


def _terminate(declaration: Declaration, *, reason: str, now, actor: str, description: str = "") -> None:
    """The (locked) declaration ends today (or on its own end date, when that has passed), with events."""
    end = min(declaration.end_date, now.astimezone(UTC).date())
    changes = [
        ("status", declaration.status, Declaration.Status.TERMINATED),
        ("reason", declaration.reason, reason),
        ("end_date", declaration.end_date, end),
        ("reason_description", declaration.reason_description, description),
    ]
    declaration.status, declaration.reason, declaration.end_date = Declaration.Status.TERMINATED, reason, end
    declaration.reason_description = description
    declaration.updated_at, declaration.updated_by = now, actor
    audit.save_changes(
        declaration,
        fields=["status", "reason", "end_date", "reason_description", "updated_at", "updated_by"],
        changes=changes,
        actor=actor,
    )


def declaration_request_sign(
    *,
    request_id,
    client: Client | None,
    signed_declaration_request: str | None,
    signed_content_encoding: str | None,
    actor: str = audit.SYSTEM,
) -> Declaration:
    """The doctor's signature over an APPROVED request makes its declaration; all or nothing.

    Steps: 1. the request is APPROVED (409), the body's fields are there and base64 (422); 2. one valid
    signature by a certificate that chains to SIGNATURE_TRUSTED_CERTS (422); 3. the signed JSON is
    `signed_content(request)` (422); 4. the signer's DRFO is the doctor's tax id (422); then in one
    transaction (`_sign`): 5. the signed bytes stored; 6. the declaration made, the patient's current
    one ended; 7. the request SIGNED.

    Not atomic as a whole on purpose: steps 1-4 read and verify without a lock (an `http` backend's call
    must not hold the person's row), and the transaction checks step 1 and 4 again under the locks. The
    signed content needs no second look: data_to_be_signed and seed change only at approve, from NEW.
    """
    request = declaration_request_get(request_id=request_id, client=client)
    _require_approved(request, request.employee, timezone.now())
    signed = _signed_bytes(signed_declaration_request, signed_content_encoding)
    document = _verified(signed)
    _check_content(request, document.content)
    _check_signer(request.employee, document.drfo)
    return _sign(request_id=request_id, client=client, signed=signed, drfo=document.drfo, actor=actor)


@transaction.atomic
def _sign(*, request_id, client: Client | None, signed: bytes, drfo: str, actor: str) -> Declaration:
    """Steps 5-7 under the locks of the person, the request, the doctor and the person's current
    declarations (of any legal entity: one primary-care doctor at a time)."""
    person, request, employee = declaration_request_lock(request_id=request_id, client=client)
    now = timezone.now()
    _require_approved(request, employee, now)  # a sign, reject or expiry may have committed meanwhile
    _check_signer(employee, drfo)  # the doctor's tax id as it is now
    previous = current_declarations_lock(person.pk)
    status, reason = _new_declaration_status(request, person)
    start, end = _term(person, employee, now.astimezone(UTC).date())
    declaration = Declaration(
        id=request.declaration_id,
        person=person,
        employee=employee,
        legal_entity_id=request.legal_entity_id,
        declaration_request=request,
        status=status,
        reason=reason,
        declaration_number=request.declaration_number,
        start_date=start,
        end_date=end,
        signed_at=now,
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
    )
    stored = _store_signed_content(declaration, signed)
    for older in previous:
        _terminate(older, reason=Declaration.Reason.AUTO_NEW_DECLARATION, now=now, actor=actor)
    declaration.save(force_insert=True)
    audit.record_changes(
        entity=declaration,
        changes=[("status", None, status), ("reason", "", reason), ("declaration_request", None, str(request.pk))],
        actor=actor,
    )
    _set_status(request, Status.SIGNED, now=now, actor=actor, changes=(("signed_content", None, stored),))
    return declaration


# --- declarations ----------------------------------------------------------------------------------

NOT_CURRENT = "Declaration is not in status active or pending_verification"
REASON_DESCRIPTION_MAX = 255


@transaction.atomic
def declaration_terminate(
    *, declaration_id, client: Client | None, reason_description: str, actor: str = audit.SYSTEM
) -> Declaration:
    """The legal entity ends its declaration (`manual_employee`) today; only an active or pending one."""
    if not reason_description or not reason_description.strip():
        raise ValidationFailed(field="reason_description", description=FIELD_REQUIRED, rule="required")
    if len(reason_description) > REASON_DESCRIPTION_MAX:
        raise ValidationFailed(
            field="reason_description",
            description=f"Ensure this field has no more than {REASON_DESCRIPTION_MAX} characters.",
            rule="max_length",
        )
    declaration = declaration_get(declaration_id=declaration_id, client=client, lock=True)
    if declaration.status not in Declaration.CURRENT:
        raise Conflict(NOT_CURRENT)
    _terminate(
        declaration,
        reason=Declaration.Reason.MANUAL_EMPLOYEE,
        description=reason_description,
        now=timezone.now(),
        actor=actor,
    )
    return declaration
