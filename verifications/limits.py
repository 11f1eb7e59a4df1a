"""A phone's send limits and guess budget, counted from the database itself.

The database is the one store every web process shares, whatever the cache is configured to be, so
these limits hold across processes. Every count runs under the phone's lock, which makes it exact under
parallel requests; a rolled-back send or guess is not counted.

- Per client and phone: OTP_SEND_LIMIT codes per OTP_SEND_WINDOW_MINUTES, one per
  OTP_RESEND_COOLDOWN_SECONDS. One clinic's sends never use up another's.
- Per phone, all clients together: OTP_PHONE_SEND_LIMIT codes per window, so the patient is not flooded.
- The guess budget, per phone over every code, kind and client: OTP_FAILED_LIMIT wrong codes per
  OTP_FAILED_WINDOW_HOURS. Past it, no code is sent to the phone and none is accepted until the window
  frees or staff lift it.
"""

import math
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, Value
from django.utils import timezone

from core.api.errors import TooManyRequests
from core.db import locks
from verifications.models import FailedGuess, Verification

_CODE_NAMES = ("created_at", "id", "status", "kind", "client_id")
# a guess's row has nothing in the columns after `created_at`, typed as a code's are
_CODE_ONLY_FIELDS = [Verification._meta.get_field(name) for name in _CODE_NAMES[1:]]

WINDOW_EXCEEDED = "Too many verification codes were requested for this phone number"
COOLDOWN = "A verification code was sent to this phone number moments ago"
GUESSES_EXCEEDED = "Too many failed attempts for this phone number"


def lock_phone(phone_number: str) -> None:
    """Serialize sends and guesses per phone until the transaction ends: row locks cannot, when the
    phone has no row yet."""
    locks.lock_name(locks.PHONE, phone_number)


def _counting_guesses(phone_number: str, *, now: datetime):
    """The phone's wrong codes that count against its budget: in the window, not lifted by staff."""
    return FailedGuess.objects.filter(
        phone_number=phone_number, lifted_at__isnull=True, created_at__gt=now - _failed_window()
    )


def failed_guesses(phone_number: str, *, now: datetime) -> list[datetime]:
    """When the phone's latest wrong codes that count were tried, newest first (as many as the budget
    holds). Read it under the phone's lock."""
    guesses = _counting_guesses(phone_number, now=now).order_by("-created_at")
    return list(guesses.values_list("created_at", flat=True)[: settings.OTP_FAILED_LIMIT])


def guess_lock_retry_after(failed: list[datetime], *, now: datetime) -> int | None:
    """Seconds until a spent guess budget frees (the oldest failure that keeps it spent leaves the
    window), or None while wrong codes may still be tried; `failed`: when the phone's wrong codes that
    count were tried, newest first (`failed_guesses`)."""
    limit = settings.OTP_FAILED_LIMIT
    if len(failed) < limit:
        return None
    return _seconds(failed[limit - 1] + _failed_window() - now)


def lock_phone_and_check_limits(
    *, phone_number: str, client_id, replaced_kind: str | None = None
) -> tuple[datetime, uuid.UUID | None]:
    """Lock the phone until the transaction ends, then raise TooManyRequests when `client_id` may not
    send it another code now. Returns that now, read after the lock (a new code is never older than one
    issued while this waited), and, with `replaced_kind`, the client's NEW code of that kind for the
    phone (one at most, found in the same scan; None without one).

    The rows read are bounded by the send limits: the window holds at most OTP_PHONE_SEND_LIMIT codes.
    """
    window = timedelta(minutes=settings.OTP_SEND_WINDOW_MINUTES)
    # From before the lock: the scan finds a few more codes if it waited, and the window is cut below.
    scanned = Q(created_at__gt=timezone.now() - window)
    if replaced_kind is not None:
        scanned |= Q(status=Verification.Status.NEW, kind=replaced_kind, client_id=client_id)
    lock_phone(phone_number)
    now = timezone.now()
    # The codes and the wrong guesses in one statement (both are few: the limits bound them); a guess
    # is a row with no id.
    guesses = (
        _counting_guesses(phone_number, now=now)
        .order_by()
        .values_list("created_at", *(Value(None, output_field=field) for field in _CODE_ONLY_FIELDS))
    )
    rows = Verification.objects.filter(scanned, phone_number=phone_number).order_by().values_list(*_CODE_NAMES)
    codes, failed = [], []
    for row in rows.union(guesses, all=True):
        if row[1] is None:
            failed.append(row[0])
        else:
            codes.append(row)
    retry_after = guess_lock_retry_after(sorted(failed, reverse=True), now=now)
    if retry_after is not None:
        raise TooManyRequests(GUESSES_EXCEEDED, retry_after=retry_after)
    since = now - window
    to_phone = sorted(created for created, *_ in codes if created > since)
    from_client = sorted(created for created, *_, owner in codes if created > since and owner == client_id)
    _check_window(to_phone, settings.OTP_PHONE_SEND_LIMIT, window=window, now=now)
    _check_window(from_client, settings.OTP_SEND_LIMIT, window=window, now=now)
    cooldown = timedelta(seconds=settings.OTP_RESEND_COOLDOWN_SECONDS)
    if from_client and now < from_client[-1] + cooldown:
        raise TooManyRequests(COOLDOWN, retry_after=_seconds(from_client[-1] + cooldown - now))
    replaced = [
        code_id
        for _, code_id, status, kind, owner in codes
        if replaced_kind is not None and (status, kind, owner) == (Verification.Status.NEW, replaced_kind, client_id)
    ]
    return now, replaced[0] if replaced else None


def _check_window(sent: list[datetime], limit: int, *, window: timedelta, now: datetime) -> None:
    """`sent` (oldest first) may hold one more: else 429 until enough of them leave the window."""
    if len(sent) >= limit:
        raise TooManyRequests(WINDOW_EXCEEDED, retry_after=_seconds(sent[len(sent) - limit] + window - now))


def _failed_window() -> timedelta:
    return timedelta(hours=settings.OTP_FAILED_WINDOW_HOURS)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
