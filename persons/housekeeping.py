"""Periodic housekeeping of the persons app, run by `manage.py expire_requests`."""

from django.utils import timezone

from core.jobs.housekeeping import expire_stale_requests
from persons.models import AuthenticationMethodRequest, MergeRequest

# what `expire_requests` prints for each model, and its progress lines' label
EXPIRING = {
    AuthenticationMethodRequest: "authentication method requests expired",
    MergeRequest: "merge requests expired",
}


def expire(now=None) -> dict[str, int]:
    """NEW authentication-method and merge requests past `expires_at` become EXPIRED.

    Quiet (no entry) for a model with nothing to expire: the command runs every minute.
    """
    now = now or timezone.now()
    counts = {label: expire_stale_requests(model, now=now, label=label) for model, label in EXPIRING.items()}
    return {label: count for label, count in counts.items() if count}
