"""Periodic housekeeping of the declarations app, run by `manage.py expire_requests`."""

from django.utils import timezone

from core.jobs.housekeeping import expire_stale_requests
from declarations.models import DeclarationRequest

LABEL = "declaration requests expired"


def expire(now=None) -> dict[str, int]:
    """NEW requests, and APPROVED ones never signed, past `expires_at` (DECLARATION_REQUEST_TTL_DAYS after
    creation) become EXPIRED. Quiet when there is nothing to expire: the command runs every minute."""
    now = now or timezone.now()
    count = expire_stale_requests(DeclarationRequest, now=now, label=LABEL, statuses=DeclarationRequest.OPEN_STATUSES)
    return {LABEL: count} if count else {}
