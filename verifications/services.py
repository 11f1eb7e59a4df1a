"""Writes of the verifications app: one-time codes and the SMS that carry them."""

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.template.loader import select_template
from django.utils import timezone

from core.api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.audit import events as audit
from core.jobs.tasks import enqueue_on_commit
from core.models import Client
from core.observability.masking import mask_phone
from verifications import codes, limits
from verifications.models import FailedGuess, Purpose, SmsMessage, Verification
from verifications.sms import SmsDeliveryError, get_backend

logger = logging.getLogger(__name__)

INVALID_CODE = "Invalid verification code"
CODE_EXPIRED = "Verification code expired"
MAX_ATTEMPTS = "Maximum attempts exceed"
NOT_FOUND = "Verification not found"


class VerificationFailed(Forbidden):
    """A code was not accepted. `reason` is one of INVALID_CODE, CODE_EXPIRED, MAX_ATTEMPTS."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _sms_body(kind: str, code: str) -> str:
    template = select_template([f"sms/{kind}.txt", "sms/verification.txt"])
    return template.render({"code": code}).strip()


def _owner_client(owner):
    """The client that owns codes of `owner`: the owner itself (a client's own check), or the request's."""
    return owner if isinstance(owner, Client) else owner.client


def verification_initialize(
    *, phone_number: str, kind: str, owner, actor: str = audit.SYSTEM, events: list | None = None
) -> Verification:
    """Issue a new code for the phone on behalf of `owner` and queue its SMS (sent once this
    transaction commits).

    `owner` is the client (kind `verification`: the verification endpoints) or the request that asks
    (any other kind); a request keeps the returned verification's id and passes it to
    `verification_confirm`. The owner's previous code becomes INACTIVE; nobody else's is touched.
    Raises TooManyRequests when the phone's send limits are reached: they count every SMS to the
    phone, whoever asked. Callers may run this inside their own transaction: if it rolls back, no SMS
    is sent; they may pass `events`, a list their own events are in, to have the code's added to it
    and write them all at once (`audit.write`).
    """
    arguments = {"phone_number": phone_number, "kind": kind, "owner": owner, "actor": actor, "events": events}
    if transaction.get_connection().in_atomic_block:
        # The caller's transaction, without a savepoint of ours (two statements fewer): what this can
        # raise once it has written is a database error, which fails the caller's transaction anyway;
        # TooManyRequests comes before any write.
        return _initialize(**arguments)
    if events is not None:
        raise ValueError("events are written by the caller's transaction: call this inside it")
    with transaction.atomic():
        return _initialize(**arguments)


def _initialize(*, phone_number: str, kind: str, owner, actor: str, events: list | None) -> Verification:
    kind = Purpose(kind)
    if (kind == Purpose.VERIFICATION) != isinstance(owner, Client):
        raise ValueError("a client owns `verification` codes; every other kind belongs to a request")
    # The code a new one makes INACTIVE: a client's own active code for the phone (found in the send
    # limits' scan of the phone's codes), or the request's current one.
    own_code = isinstance(owner, Client)
    now, previous_id = limits.lock_phone_and_check_limits(
        phone_number=phone_number, client_id=_owner_client(owner).pk, replaced_kind=kind if own_code else None
    )
    if not own_code:
        previous_id = owner.verification_id
    if previous_id:  # conditional: a code no longer NEW is left alone
        _set_status(Verification(pk=previous_id), Verification.Status.INACTIVE, now=now, actor=actor, events=events)

    code = codes.generate_code(phone_number=phone_number, unix_time=now.timestamp())
    verification_id = uuid.uuid4()
    verification = Verification(
        id=verification_id,
        phone_number=phone_number,
        kind=kind,
        client=_owner_client(owner),
        code_digest=codes.code_digest(verification_id=verification_id, code=code),
        code_expired_at=now + timedelta(minutes=settings.OTP_CODE_TTL_MINUTES),
        created_at=now,
        updated_at=now,
    )
    sms = SmsMessage(
        verification=verification,
        phone_number_masked=mask_phone(phone_number),
        kind=kind,
        body=_sms_body(kind, "*" * len(code)),
        code_ciphertext=codes.encrypt_code(code),
        created_at=now,
        updated_at=now,
    )
    verification.save(force_insert=True)
    audit.record(entity=verification, property="status", old=None, new=verification.status, actor=actor, into=events)
    sms.save(force_insert=True)
    _enqueue_on_commit(sms.pk)
    logger.info("verification %s issued for %s (%s)", verification.pk, sms.phone_number_masked, kind)
    return verification


def verification_send_check(*, phone_number: str, client: Client) -> None:
    """Raise TooManyRequests now when `client` may not send the phone a code (the limits
    `verification_initialize` applies), for a send that a job makes later. Inside a transaction."""
    limits.lock_phone_and_check_limits(phone_number=phone_number, client_id=client.pk)


def _issue_request_code(request, *, kind: str, actor: str, events: list) -> Verification:
    """A new code for `request`, to the phone of the method that confirms it
    (`authentication_method_current["number"]`), kept in its `verification` (the previous code becomes
    INACTIVE): only that code approves the request. Its events join `events`."""
    request.verification = verification_initialize(
        phone_number=request.authentication_method_current["number"],
        kind=kind,
        owner=request,
        actor=actor,
        events=events,
    )
    return request.verification


def request_code_send(*, request, kind: str, actor: str = audit.SYSTEM, also_save: tuple = ()) -> Verification:
    """A new code for a saved `request` (a resend), inside the request's transaction; `also_save` names
    other fields the caller changed, saved in the same statement."""
    events = []
    _issue_request_code(request, kind=kind, actor=actor, events=events)
    request.save(update_fields=["verification", *also_save])
    audit.write(events)
    return request.verification


def request_insert(request, *, code_kind: str | None, actor: str = audit.SYSTEM) -> None:
    """Insert a new request of any flow with the event of its status; with `code_kind`, the request's
    first code is issued first, so the row goes in with it (no update after), and the events of both
    are written in one statement. Inside the caller's transaction: the request, its code, the code's
    SMS and task and their events commit together."""
    events = []
    audit.record(entity=request, property="status", old=None, new=request.status, actor=actor, into=events)
    if code_kind is not None:
        _issue_request_code(request, kind=code_kind, actor=actor, events=events)
    request.save(force_insert=True)
    audit.write(events)


def _complete(verifications, *, code: str, actor: str) -> Verification:
    """Apply one attempt to the latest of `verifications`; NotFound when there is none.

    Guesses at one phone take turns (the phone's lock, then the code's row), whichever code they try,
    so the phone's guess budget is exact: once spent, every code of the phone is refused.
    The failed attempt is committed before VerificationFailed is raised, so callers run this OUTSIDE
    their own transaction.atomic() block: inside it, their rollback would undo the counted attempt
    and give a guesser unlimited tries.
    """
    with transaction.atomic():
        found = verifications.order_by("-created_at").values_list("pk", "phone_number").first()
        if found is None:
            raise NotFound(NOT_FOUND)
        limits.lock_phone(found[1])
        verification = Verification.objects.select_for_update().get(pk=found[0])
        now = timezone.now()  # after the locks: a guess that waited is judged at the time it is applied
        failed = limits.failed_guesses(verification.phone_number, now=now)
        if limits.guess_lock_retry_after(failed, now=now) is not None:
            reason = MAX_ATTEMPTS
        else:
            reason = _attempt(verification, code, now=now, actor=actor, failed=failed)
    if reason is not None:
        logger.info("verification %s for %s failed: %s", verification.pk, mask_phone(verification.phone_number), reason)
        raise VerificationFailed(reason)
    return verification


def verification_complete(*, phone_number: str, code: str, client: Client, actor: str = audit.SYSTEM) -> Verification:
    """The verification endpoints' check: the code against the client's own latest code for the phone.

    Raises NotFound("Verification not found") when this client never asked for a code for the phone
    (another client's codes and the requests' codes do not exist for it), and VerificationFailed with
    the reason otherwise. Call it outside your transaction (see `_complete`).
    """
    mine = Verification.objects.filter(kind=Purpose.VERIFICATION, client=client, phone_number=phone_number)
    return _complete(mine, code=code, actor=actor)


def verification_confirm(
    *, verification_id, code: str | None, field: str = "verification_code", actor: str = audit.SYSTEM
) -> Verification:
    """The flows' approve check: `code` against the one verification the request keeps.

    A missing or refused code is a 422 on `field` whose description is the reason (Invalid
    verification code, Verification code expired, Maximum attempts exceed). Call it outside your
    transaction (see `_complete`).
    """
    if code is None:
        raise ValidationFailed(field=field, description="Verification code is required", rule="required")
    try:
        return _complete(Verification.objects.filter(pk=verification_id), code=code, actor=actor)
    except VerificationFailed as error:
        raise ValidationFailed(field=field, description=error.reason) from error
    except NotFound as error:  # the request never had a code (or it was cleaned up): a wrong code
        raise ValidationFailed(field=field, description=INVALID_CODE) from error


def _attempt(verification: Verification, code: str, *, now, actor: str, failed: list) -> str | None:
    """Apply one attempt to the locked row (`failed`: the phone's counted wrong codes); the failure
    reason, or None when the code was right."""
    status = Verification.Status
    if verification.status == status.LOCKED:
        return MAX_ATTEMPTS
    if verification.status == status.EXPIRED:
        return CODE_EXPIRED
    if verification.status != status.NEW:  # already used or replaced by a newer code
        return INVALID_CODE
    if verification.code_expired_at <= now:
        _set_status(verification, status.EXPIRED, now=now, actor=actor)
        return CODE_EXPIRED
    if codes.code_matches(verification_id=verification.pk, code=code, digest=verification.code_digest):
        _set_status(verification, status.VERIFIED, now=now, actor=actor)
        return None
    # The row is locked, so this count cannot be raced; the last allowed wrong try locks the code.
    verification.attempts += 1
    Verification.objects.filter(pk=verification.pk).update(attempts=verification.attempts, updated_at=now)
    if verification.attempts >= settings.OTP_MAX_ATTEMPTS:
        _set_status(verification, status.LOCKED, now=now, actor=actor)
    _count_failed_guess(verification, now=now, actor=actor, failed=failed)
    return INVALID_CODE


def _count_failed_guess(verification: Verification, *, now, actor: str, failed: list) -> None:
    """A wrong code spends the phone's guess budget (under the phone's lock; `failed`: its counted wrong
    codes before this one); the one that spends it locks every open code of the phone."""
    FailedGuess.objects.create(phone_number=verification.phone_number, verification=verification, created_at=now)
    if limits.guess_lock_retry_after([now, *failed], now=now) is None:
        return
    open_codes = Verification.objects.filter(phone_number=verification.phone_number, status=Verification.Status.NEW)
    for open_code in open_codes.select_for_update():
        _set_status(open_code, Verification.Status.LOCKED, now=now, actor=actor)
    logger.warning("guess budget of %s spent: its codes are locked", mask_phone(verification.phone_number))


@transaction.atomic
def phone_guess_lock_lift(*, phone_number: str, actor: str) -> int:
    """Staff lift a phone's spent guess budget (the patient proved who they are another way): its
    failures so far no longer count. Codes already LOCKED stay locked; a new code can be sent at once.
    How many failures were lifted."""
    limits.lock_phone(phone_number)
    now = timezone.now()
    lifted = 0
    for failed in FailedGuess.objects.select_for_update().filter(phone_number=phone_number, lifted_at__isnull=True):
        failed.lifted_at, failed.lifted_by = now, actor
        failed.save(update_fields=["lifted_at", "lifted_by"])
        audit.record(entity=failed, property="lifted_at", old=None, new=now.isoformat(), actor=actor)
        lifted += 1
    logger.info("guess lock of %s lifted by %s (%d failures)", mask_phone(phone_number), actor, lifted)
    return lifted


def _set_status(verification: Verification, new_status: str, *, now, actor: str, events: list | None = None) -> None:
    """NEW -> new_status, conditionally: a row that left NEW meanwhile is not touched (its event joins
    `events` when given)."""
    changed = Verification.objects.filter(pk=verification.pk, status=Verification.Status.NEW).update(
        status=new_status, updated_at=now
    )
    if changed:
        audit.record(
            entity=verification, property="status", old=verification.status, new=new_status, actor=actor, into=events
        )
        verification.status = new_status
        verification.updated_at = now


# --- SMS delivery -----------------------------------------------------------------------------


def _enqueue_on_commit(sms_id, *, run_after=None) -> None:
    from verifications.tasks import send_sms

    task = send_sms
    # A backend that cannot defer (the immediate one, in tests) retries at once.
    if run_after is not None and send_sms.get_backend().supports_defer:
        task = send_sms.using(run_after=run_after)
    enqueue_on_commit(task, sms_id=str(sms_id))


def _retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s, ... at most 10 minutes (SMS_RETRY_BASE/MAX_SECONDS)."""
    return timedelta(seconds=min(settings.SMS_RETRY_MAX_SECONDS, settings.SMS_RETRY_BASE_SECONDS * 2 ** (attempts - 1)))


def sms_deliver(*, sms_id) -> SmsMessage:
    """Send one queued SMS (the task's body). Safe to run twice: it is claimed QUEUED -> SENDING first,
    so a second run (a duplicate task, a requeue by housekeeping) finds it taken and leaves it alone.

    The gateway call happens outside any transaction, so a slow gateway holds no lock. A failure is
    retried with backoff by re-enqueueing the task, up to SMS_MAX_ATTEMPTS; then the message is FAILED.
    A worker that dies mid-send leaves it SENDING: `sms_requeue_stale` queues it again after the lease.
    """
    now = timezone.now()
    with transaction.atomic():
        sms = (
            SmsMessage.objects.select_for_update(of=("self",)).select_related("verification").filter(pk=sms_id).first()
        )
        if sms is None or sms.status != SmsMessage.Status.QUEUED:
            return sms
        sms.attempts += 1
        sms.status = SmsMessage.Status.SENDING
        SmsMessage.objects.filter(pk=sms.pk).update(
            status=sms.status, attempts=F("attempts") + 1, next_attempt_at=None, updated_at=now
        )

    verification = sms.verification
    if verification is None or not verification.active:
        return _sms_fail(sms, "The code is no longer active", now=now)
    code = codes.decrypt_code(sms.code_ciphertext, max_age_seconds=settings.OTP_CODE_TTL_MINUTES * 60)
    if code is None:
        return _sms_fail(sms, "The code cannot be decrypted (expired, or SECRET_KEY changed)", now=now)

    try:
        provider_id = get_backend().send(phone_number=verification.phone_number, body=_sms_body(sms.kind, code))
    except SmsDeliveryError as error:
        return _sms_retry_or_fail(sms, str(error))

    _record_sent(sms, provider_id=provider_id)
    logger.info("sms %s sent to %s (attempt %d)", sms.pk, sms.phone_number_masked, sms.attempts)
    return sms


def _record_sent(sms: SmsMessage, *, provider_id: str) -> None:
    """The gateway took the SMS: SENT is recorded even through a database outage, retried with the
    worker's backoff for up to half the SENDING lease. Given up on, the message would stay SENDING and
    go out a second time once housekeeping found its lease run out."""
    delay = settings.DB_WORKER_BACKOFF_SECONDS
    give_up_at = time.monotonic() + settings.SMS_SENDING_LEASE_SECONDS / 2
    while True:
        done = timezone.now()
        try:
            sent = {"provider_id": provider_id, "code_ciphertext": "", "error": "", "sent_at": done}
            _sms_finish(sms, SmsMessage.Status.SENT, now=done, **sent)
            return
        except (OperationalError, InterfaceError):
            # inside a caller's transaction nothing can be retried: that transaction is lost
            if connection.in_atomic_block or time.monotonic() + delay > give_up_at:
                raise
            logger.warning("sms %s sent, but the database is unreachable: recording it again in %.1f s", sms.pk, delay)
            connection.close()  # the next try reconnects
            time.sleep(delay)
            delay = min(delay * 2, settings.DB_WORKER_BACKOFF_MAX_SECONDS)


def _sms_retry_or_fail(sms: SmsMessage, error: str) -> SmsMessage:
    if sms.attempts >= settings.SMS_MAX_ATTEMPTS:
        return _sms_fail(sms, error, now=timezone.now())
    now = timezone.now()
    next_attempt_at = now + _retry_delay(sms.attempts)
    with transaction.atomic():
        SmsMessage.objects.filter(pk=sms.pk, status=SmsMessage.Status.SENDING).update(
            status=SmsMessage.Status.QUEUED, error=error, next_attempt_at=next_attempt_at, updated_at=now
        )
        _enqueue_on_commit(sms.pk, run_after=next_attempt_at)
    logger.warning(
        "sms %s to %s failed (attempt %d), retry at %s: %s",
        sms.pk,
        sms.phone_number_masked,
        sms.attempts,
        next_attempt_at.isoformat(),
        error,
    )
    sms.refresh_from_db()
    return sms


def _sms_fail(sms: SmsMessage, error: str, *, now) -> SmsMessage:
    _sms_finish(sms, SmsMessage.Status.FAILED, now=now, error=error)
    logger.warning("sms %s to %s failed for good: %s", sms.pk, sms.phone_number_masked, error)
    return sms


def _sms_finish(sms: SmsMessage, new_status: str, *, now, **fields) -> None:
    """SENDING -> SENT or FAILED, conditionally, with its audit event."""
    with transaction.atomic():
        changed = SmsMessage.objects.filter(pk=sms.pk, status=SmsMessage.Status.SENDING).update(
            status=new_status, next_attempt_at=None, updated_at=now, **fields
        )
        if changed:
            audit.record(entity=sms, property="status", old=sms.status, new=new_status, actor=audit.SYSTEM)
    sms.refresh_from_db()


@transaction.atomic
def sms_resend(*, sms_id, actor: str) -> SmsMessage:
    """Queue a FAILED SMS again (the back office's "Resend"), while its code is still active."""
    sms = SmsMessage.objects.select_for_update(of=("self",)).select_related("verification").filter(pk=sms_id).first()
    if sms is None:
        raise NotFound("SMS message not found")
    if sms.status != SmsMessage.Status.FAILED:
        raise Conflict("Only a failed SMS can be resent")
    if sms.verification is None or not sms.verification.active or not sms.code_ciphertext:
        raise Conflict("The code of this SMS is no longer active; start a new verification")
    now = timezone.now()
    SmsMessage.objects.filter(pk=sms.pk).update(
        status=SmsMessage.Status.QUEUED, attempts=0, error="", next_attempt_at=None, updated_at=now
    )
    audit.record(entity=sms, property="status", old=sms.status, new="QUEUED", actor=actor)
    _enqueue_on_commit(sms.pk)
    sms.refresh_from_db()
    return sms


# --- Housekeeping -----------------------------------------------------------------------------


@transaction.atomic
def verifications_expire(*, now, limit: int) -> int:
    """NEW codes past their expiry -> EXPIRED, at most `limit` of them; how many changed.

    A bulk, conditional update: no audit event per code (the status and updated_at tell), as a
    housekeeping expiry decides nothing a person would look up.
    """
    stale = Verification.objects.filter(status=Verification.Status.NEW, code_expired_at__lte=now)
    ids = list(stale.order_by("code_expired_at").values_list("pk", flat=True)[:limit])
    return stale.filter(pk__in=ids).update(status=Verification.Status.EXPIRED, updated_at=now)


@transaction.atomic
def verifications_delete_old(*, before, limit: int) -> int:
    """Delete at most `limit` codes created before `before` (their SMS log rows stay); how many.

    VERIFIED ones stay: they are how `GET /api/verifications/{phone}` knows a phone was ever verified.
    """
    old = Verification.objects.filter(created_at__lt=before).exclude(status=Verification.Status.VERIFIED)
    ids = list(old.order_by("created_at").values_list("pk", flat=True)[:limit])
    _, deleted = Verification.objects.filter(pk__in=ids).delete()
    return deleted.get(Verification._meta.label, 0)


@transaction.atomic
def failed_guesses_delete_old(*, before, limit: int) -> int:
    """Delete at most `limit` failed guesses made before `before` (long out of the guess budget's
    window; kept as long as codes, for the record); how many."""
    ids = list(
        FailedGuess.objects.filter(created_at__lt=before).order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    return FailedGuess.objects.filter(pk__in=ids).delete()[0]


def sms_requeue_stale(*, now) -> int:
    """Queue again what a lost worker left behind: SENDING past its lease (the worker died mid-send) or
    QUEUED with no task that ran for as long (the task was lost). How many.

    A worker still alive past the lease could send twice; the lease (SMS_SENDING_LEASE_SECONDS) is
    far longer than the gateway timeout, so only a dead one is overtaken.
    """
    stale = now - timedelta(seconds=settings.SMS_SENDING_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            SmsMessage.objects.select_for_update(skip_locked=True)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=stale), updated_at__lte=stale)
            .filter(status__in=[SmsMessage.Status.SENDING, SmsMessage.Status.QUEUED])
            .values_list("pk", flat=True)[:1000]
        )
        SmsMessage.objects.filter(pk__in=ids).update(status=SmsMessage.Status.QUEUED, updated_at=now)
        for sms_id in ids:
            _enqueue_on_commit(sms_id)
    return len(ids)


def sms_wipe_ciphertexts(*, before) -> int:
    """Forget the encrypted codes of SMS created before `before` (already useless: the codes expired)."""
    return SmsMessage.objects.filter(created_at__lt=before).exclude(code_ciphertext="").update(code_ciphertext="")
