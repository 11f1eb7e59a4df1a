"""Writes of merge requests (seed 000): create, resend the code, approve, reject, expire."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.api.errors import Conflict, NotFound, ValidationFailed
from core.audit import events as audit
from core.documents.uploads import documents_require
from core.management.discovery import app_modules
from core.models import Client
from persons.merges.models import MergeRequest
from persons.models import AuthenticationMethod, Person
from persons.selectors import (
    PERSON_INACTIVE,
    authentication_method_current,
    confirmation_documents,
    ensure_confirmation_still_valid,
    persons_lock,
)
from persons.services import confirmation_for_resend
from verifications.models import Verification
from verifications.services import request_code_send, request_insert, verification_confirm

Type = AuthenticationMethod.Type
Status = MergeRequest.Status

SMS_KIND = "merge_request"
PERSON_NOT_FOUND = "Person not found"
PERSON_MERGED = "Person is already merged"
SAME_PERSON = "Merge person must differ from master person"
ALREADY_EXISTS = "Merge request for these persons already exists"
NOT_NEW = "Merge request is not in status NEW"
EXPIRED = "Merge request is expired"
EXPIRE_BATCH = 500
# the pair as the unique index on NEW requests spells it (whichever person is the master), so that the
# index finds it: LEAST and GREATEST on PostgreSQL, MIN and MAX on SQLite


def _lock(merge_request: MergeRequest) -> MergeRequest:
    return MergeRequest.objects.select_for_update().get(pk=merge_request.pk)


def _require_new(merge_request: MergeRequest, now: datetime) -> None:
    if merge_request.status != Status.NEW:
        raise Conflict(NOT_NEW)
    if merge_request.expires_at <= now:
        raise Conflict(EXPIRED)


def _require_mergeable(person: Person) -> None:
    if person.merged_into_id is not None:
        raise Conflict(PERSON_MERGED)
    if person.status != Person.Status.ACTIVE:
        raise Conflict(PERSON_INACTIVE)


def merge_request_set_status(merge_request: MergeRequest, status: str, actor: str) -> None:
    """The status change and its event; the caller holds the request's row lock."""
    changes = [("status", merge_request.status, status)]
    merge_request.status = status
    merge_request.updated_by = actor
    audit.save_changes(merge_request, fields=["status", "updated_by", "updated_at"], changes=changes, actor=actor)


@transaction.atomic
def merge_request_create(
    *,
    master_person_id: uuid.UUID,
    merge_person_id: uuid.UUID,
    client: Client,
    authorize_with: uuid.UUID | None = None,
    actor: str = audit.SYSTEM,
) -> MergeRequest:
    """A NEW request confirmed by the master person's method: an SMS for OTP, documents for OFFLINE."""
    persons = persons_lock([master_person_id, merge_person_id])
    master, merge = persons.get(master_person_id), persons.get(merge_person_id)
    # A merged record is inactive too, but saying so (409) helps more than "not found".
    for person in (master, merge):
        if person is None or (person.status != Person.Status.ACTIVE and person.merged_into_id is None):
            raise NotFound(PERSON_NOT_FOUND)
        _require_mergeable(person)
    if master.pk == merge.pk:
        raise ValidationFailed(field="merge_person_id", description=SAME_PERSON)
    current = authentication_method_current(person=master, authorize_with=authorize_with)
    now = timezone.now()
    # One open request per pair of persons and legal entity, whichever is the master; another
    # entity's request is neither blocking nor revealed. A request past its expiry that housekeeping
    # has not reached yet does not block a new one.
    open_ones = MergeRequest.objects.of_pair(master.pk, merge.pk).filter(
        status=Status.NEW, legal_entity_id=client.legal_entity_id
    )
    for existing in open_ones.order_by("pk").select_for_update():
        if existing.expires_at > now:
            raise Conflict(ALREADY_EXISTS)
        merge_request_set_status(existing, Status.EXPIRED, actor)
    merge_request = MergeRequest(
        master_person=master,
        merge_person=merge,
        authentication_method_current=current,
        authorize_with=authorize_with,
        documents=confirmation_documents(person=master, current=current),
        client=client,
        legal_entity_id=client.legal_entity_id,
        expires_at=now + timedelta(days=settings.MERGE_REQUEST_TTL_DAYS),
        created_by=actor,
        updated_by=actor,
    )
    request_insert(merge_request, code_kind=SMS_KIND if current["type"] == Type.OTP else None, actor=actor)
    return merge_request


@transaction.atomic
def merge_request_resend_otp(*, merge_request: MergeRequest, actor: str = audit.SYSTEM) -> Verification:
    """Seed 000: a new code to the method the master person confirms with now, which is saved on the request."""
    merge_request = _lock(merge_request)
    _require_new(merge_request, timezone.now())
    confirmation_for_resend(merge_request, person=merge_request.master_person, actor=actor)
    return request_code_send(request=merge_request, kind=SMS_KIND, actor=actor, also_save=("updated_at",))


def merge_request_approve(
    *, merge_request: MergeRequest, verification_code: str | None = None, actor: str = audit.SYSTEM
) -> MergeRequest:
    """The merge person becomes inactive and points to the master. Exactly one of parallel approves wins."""
    # Checks that need no lock come first: verification_complete commits a failed attempt itself,
    # so it must run outside our transaction.
    _require_approvable(merge_request, merge_request.master_person, timezone.now())
    if merge_request.confirmation_type == Type.OTP:
        verification_confirm(verification_id=merge_request.verification_id, code=verification_code, actor=actor)
    else:
        documents_require(owner=merge_request, types=merge_request.documents)
    with transaction.atomic():
        # persons first, then the request: the order create uses, so the two cannot deadlock
        persons = persons_lock([merge_request.master_person_id, merge_request.merge_person_id])
        merge_request = _lock(merge_request)
        master, merge = persons[merge_request.master_person_id], persons[merge_request.merge_person_id]
        _require_approvable(merge_request, master, timezone.now())
        _require_mergeable(master)
        _require_mergeable(merge)
        audit.record_changes(
            entity=merge,
            changes=[("status", merge.status, Person.Status.INACTIVE), ("merged_into", None, str(master.pk))],
            actor=actor,
        )
        merge.status = Person.Status.INACTIVE
        merge.merged_into = master
        merge.updated_by = actor
        merge.save(update_fields=["status", "merged_into", "updated_by", "updated_at"])
        merge_request_set_status(merge_request, Status.APPROVED, actor)
        now = timezone.now()
        for _label, merging in app_modules("merging"):  # every flow's open requests of the merged record
            merging.cancel_open_requests(person=merge, now=now, actor=actor)
    return merge_request


def _require_approvable(merge_request: MergeRequest, master: Person, now: datetime) -> None:
    """The master still active and confirming as when the request was made, the request still NEW."""
    if master.status != Person.Status.ACTIVE:
        raise Conflict(PERSON_INACTIVE)
    _require_new(merge_request, now)
    ensure_confirmation_still_valid(person=master, current=merge_request.authentication_method_current)


@transaction.atomic
def merge_request_reject(*, merge_request: MergeRequest, actor: str = audit.SYSTEM) -> MergeRequest:
    merge_request = _lock(merge_request)
    _require_new(merge_request, timezone.now())
    merge_request_set_status(merge_request, Status.REJECTED, actor)
    return merge_request
