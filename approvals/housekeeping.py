"""Expiry of approvals, run by `manage.py expire_requests`."""

from approvals.models import Approval
from core.jobs.housekeeping import expire_stale_requests

LABEL = "approvals expired"


def expire(now) -> dict[str, int]:
    """NEW and active approvals past `expires_at` become expired: unconfirmed ones lapse, granted
    access ends. Quiet when there is nothing to expire (the command runs every minute)."""
    count = expire_stale_requests(Approval, now=now, label=LABEL, statuses=Approval.OPEN_STATUSES)
    return {LABEL: count} if count else {}
