"""Writes of approvals (seed 001): create, activate, reject, and resend the code, now or as a job.

Every function is keyword-only and atomic (activation: see its docstring), locks what it changes and
records each change as a `core.Event`. Lock order, as in the persons app: the person, then the approval.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from approvals.models import Approval
from approvals.selectors import approval_get
from core.api.errors import Conflict, NotFound, ValidationFailed
from core.audit import events as audit
from core.documents.uploads import documents_require
from core.jobs.services import job_create
from core.models import Client, Job
from core.observability.masking import mask_phone
from declarations.models import Employee
from persons.models import AuthenticationMethod, Person
from persons.selectors import authentication_method_current, ensure_confirmation_still_valid, person_lock
from verifications.services import request_code_send, request_insert, verification_confirm, verification_send_check

Type = AuthenticationMethod.Type
Status = Approval.Status

SMS_KIND = "approval"
RESEND_JOB_KIND = "approval_resend"
# OFFLINE: the patient signs the consent on paper; its scan is what activates the approval
CONSENT_DOCUMENT = "SIGNED_CONSENT"

PERSON_NOT_FOUND = "Person not found"
EMPLOYEE_NOT_FOUND = "Employee not found"
EMPLOYEE_NOT_ACTIVE = "Employee is not active"
NOT_NEW = "Approval is not in status new"
NOT_OPEN = "Approval is not in status new or active"
EXPIRED = "Approval is expired"
RESEND_NOT_ALLOWED = "Resend SMS is not allowed for this authentication method"
GRANTED_TO_FIELD = "granted_to.identifier.value"


def _set_status(approval: Approval, status: str, *, actor: str, now=None) -> None:
    changes = [("status", approval.status, status)]
    approval.status, approval.updated_at, approval.updated_by = status, now or timezone.now(), actor
    audit.save_changes(approval, fields=["status", "updated_at", "updated_by"], changes=changes, actor=actor)


def approvals_cancel(approvals, *, now, actor: str) -> int:
    """The NEW ones among `approvals` -> cancelled (rows locked, each audited); how many. Call it in
    the caller's transaction (a merge)."""
    cancelled = 0
    for approval in approvals.select_for_update().filter(status=Status.NEW):
        _set_status(approval, Status.CANCELLED, actor=actor, now=now)
        cancelled += 1
    return cancelled


def _require_new(approval: Approval, *, now) -> None:
    if approval.status != Status.NEW:
        raise Conflict(NOT_NEW)
    if approval.expires_at <= now:
        raise Conflict(EXPIRED)


def _doctor(*, employee_id, client: Client) -> Employee:
    """An active doctor of the client's legal entity; another entity's is "not found" too."""
    employee = Employee.objects.filter(pk=employee_id, legal_entity_id=client.legal_entity_id).first()
    if employee is None:
        raise ValidationFailed(field=GRANTED_TO_FIELD, description=EMPLOYEE_NOT_FOUND)
    if not employee.is_active:
        raise ValidationFailed(field=GRANTED_TO_FIELD, description=EMPLOYEE_NOT_ACTIVE)
    return employee


def _send_code(approval: Approval, *, actor: str) -> None:
    """A new code to the approval's phone, replacing its previous one; the SMS leaves on commit."""
    approval.updated_at, approval.updated_by = timezone.now(), actor
    request_code_send(request=approval, kind=SMS_KIND, actor=actor, also_save=("updated_at", "updated_by"))
    _record_code_sent(approval, actor=actor)


def _record_code_sent(approval: Approval, *, actor: str) -> None:
    phone_number = approval.authentication_method_current["number"]
    audit.record(entity=approval, property="otp_sent", old=None, new=mask_phone(phone_number), actor=actor)


@transaction.atomic
def approval_create(
    *,
    patient_id,
    granted_resources: list[dict],
    granted_to_id,
    client: Client,
    actor: str,
    reason: dict | None = None,
    access_level: str = Approval.AccessLevel.READ,
    authorize_with=None,
) -> Approval:
    """A NEW approval for an active doctor of the caller's legal entity.

    OTP (also a THIRD_PERSON whose third person uses OTP) sends the code to that phone; OFFLINE sends
    nothing and lists the signed consent scan to upload; NA cannot confirm (409).
    """
    person = person_lock(patient_id)
    if person is None:
        raise NotFound(PERSON_NOT_FOUND)
    employee = _doctor(employee_id=granted_to_id, client=client)
    current = authentication_method_current(person=person, authorize_with=authorize_with)
    now = timezone.now()
    approval = Approval(
        patient=person,
        granted_resources=granted_resources,
        granted_to=employee,
        reason=reason,
        access_level=access_level,
        expires_at=now + timedelta(minutes=settings.APPROVAL_TTL_MINUTES),
        authorize_with=authorize_with,
        authentication_method_current=current,
        documents=[CONSENT_DOCUMENT] if current["type"] == Type.OFFLINE else [],
        client=client,
        legal_entity_id=client.legal_entity_id,
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
    )
    by_code = current["type"] == Type.OTP
    request_insert(approval, code_kind=SMS_KIND if by_code else None, actor=actor)
    if by_code:
        _record_code_sent(approval, actor=actor)
    return approval


def _require_confirmable(approval: Approval, *, person: Person) -> None:
    """The patient still active and confirming as when the approval was made; the doctor still working."""
    ensure_confirmation_still_valid(person=person, current=approval.authentication_method_current)
    if not approval.granted_to.is_active:  # dismissed since the approval was made
        raise Conflict(EMPLOYEE_NOT_ACTIVE)


def approval_activate(*, patient_id, approval_id, client: Client, code: str | None, actor: str) -> Approval:
    """NEW -> active, confirmed by the approval's own code (OTP) or the uploaded consent scan (OFFLINE).

    Not atomic as a whole on purpose: the code is checked first, in the verification service's own
    transaction (a wrong guess must stay counted although this call fails). Then one transaction
    locks the person and the approval, re-checks NEW and that the confirming method still holds.
    """
    approval = approval_get(client=client, patient_id=patient_id, approval_id=approval_id)
    _require_new(approval, now=timezone.now())
    _require_confirmable(approval, person=approval.patient)  # before the code is spent
    if approval.confirmation_type == Type.OTP:
        verification_confirm(verification_id=approval.verification_id, code=code, field="code", actor=actor)
    else:
        if code is not None:
            raise ValidationFailed(
                field="code", description=f"Verification code is not expected for {approval.confirmation_type}"
            )
        documents_require(owner=approval, types=approval.documents)
    with transaction.atomic():
        person = person_lock(approval.patient_id, status=None)
        approval = approval_get(client=client, patient_id=patient_id, approval_id=approval_id, lock=True)
        _require_new(approval, now=timezone.now())
        _require_confirmable(approval, person=person)
        _set_status(approval, Status.ACTIVE, actor=actor)
    return approval


@transaction.atomic
def approval_reject(*, patient_id, approval_id, client: Client | None, actor: str) -> Approval:
    """NEW or active -> rejected: a pending request is refused, or a granted access revoked."""
    approval = approval_get(client=client, patient_id=patient_id, approval_id=approval_id, lock=True)
    if approval.status not in Approval.OPEN_STATUSES:
        raise Conflict(NOT_OPEN)
    if approval.expires_at <= timezone.now():
        raise Conflict(EXPIRED)
    _set_status(approval, Status.REJECTED, actor=actor)
    return approval


def _require_resendable(approval: Approval) -> None:
    """Seed 001: only the method chosen at create may get the SMS again, and only an OTP one
    (for THIRD_PERSON, the selector already stored the third person's OTP phone)."""
    _require_new(approval, now=timezone.now())
    current = approval.authentication_method_current
    if current.get("type") != Type.OTP or not current.get("number"):
        raise Conflict(RESEND_NOT_ALLOWED)


@transaction.atomic
def approval_resend(*, patient_id, approval_id, client: Client | None, actor: str) -> Approval:
    """A new code for a NEW approval confirmed by OTP, to the phone of the method chosen at create.

    404 "Person not found", 404 "Approval with such id is not found" (also another legal entity's),
    409 "Resend SMS is not allowed for this authentication method"; 429 on the phone's send limits.
    """
    approval = approval_get(client=client, patient_id=patient_id, approval_id=approval_id, lock=True)
    _require_resendable(approval)
    ensure_confirmation_still_valid(person=approval.patient, current=approval.authentication_method_current)
    _send_code(approval, actor=actor)
    return approval


@transaction.atomic
def approval_resend_start(*, patient_id, approval_id, client: Client, actor: str) -> Job:
    """The asynchronous resend: the same checks answer at once (404, 409, 429); the resend itself is a
    job whose result is what `approval_resend` answers when the worker runs it."""
    from approvals.tasks import approval_resend_job

    approval = approval_get(client=client, patient_id=patient_id, approval_id=approval_id)
    _require_resendable(approval)
    ensure_confirmation_still_valid(person=approval.patient, current=approval.authentication_method_current)
    # 429 at once, and no job, when the phone may not get a code now
    verification_send_check(phone_number=approval.authentication_method_current["number"], client=client)
    job = job_create(client=client, kind=RESEND_JOB_KIND, actor=actor)
    transaction.on_commit(
        partial(
            approval_resend_job.enqueue,
            job_id=str(job.pk),
            patient_id=str(approval.patient_id),
            approval_id=str(approval.pk),
            actor=actor,
        )
    )
    return job
