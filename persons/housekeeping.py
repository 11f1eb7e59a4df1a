"""Periodic housekeeping of the persons app, run by `manage.py expire_requests`."""

import logging

from django.db import transaction
from django.utils import timezone

from core.audit import SYSTEM
from core.models import Event
from persons.models import AuthenticationMethodRequest

BATCH = 500
progress = logging.getLogger("housekeeping")
Status = AuthenticationMethodRequest.Status


def expire(now=None) -> dict[str, int]:
    """Everything of the persons app that expires: authentication-method requests, then merge requests."""
    from persons import merge_housekeeping

    now = now or timezone.now()
    merged = {what: count for what, count in merge_housekeeping.expire(now).items() if count}  # quiet at zero
    return {**expire_authentication_method_requests(now), **merged}


def expire_authentication_method_requests(now=None) -> dict[str, int]:
    """NEW authentication-method requests past `expires_at` become EXPIRED, in batches, each change recorded.

    Returns `{"authentication method requests expired": n}`, or `{}` when none expired.

    Rows another transaction holds (an approve in progress) are skipped and left to that transaction.
    """
    now = now or timezone.now()
    entity_type = AuthenticationMethodRequest._meta.label_lower
    expired = 0
    while True:
        with transaction.atomic():
            ids = list(
                AuthenticationMethodRequest.objects.select_for_update(skip_locked=True)
                .filter(status=Status.NEW, expires_at__lte=now)
                .order_by("expires_at")
                .values_list("id", flat=True)[:BATCH]
            )
            if not ids:
                break
            # conditional: only rows still NEW change, whatever happened since they were read
            changed = list(
                AuthenticationMethodRequest.objects.filter(pk__in=ids, status=Status.NEW).values_list("id", flat=True)
            )
            AuthenticationMethodRequest.objects.filter(pk__in=changed, status=Status.NEW).update(
                status=Status.EXPIRED, updated_at=now, updated_by=SYSTEM
            )
            Event.objects.bulk_create(
                Event(
                    entity_type=entity_type,
                    entity_id=str(pk),
                    property="status",
                    old_value=Status.NEW,
                    new_value=Status.EXPIRED,
                    actor=SYSTEM,
                )
                for pk in changed
            )
            expired += len(changed)
        if len(ids) < BATCH:
            break
        progress.info("authentication method requests: expired %d so far", expired)
    # quiet when there was nothing to do (the command runs every minute)
    return {"authentication method requests expired": expired} if expired else {}
