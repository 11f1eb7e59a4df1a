"""Per-phone send limits, counted from the verifications table itself.

The database is the one store every web process shares, whatever the cache is configured to be,
so these limits hold across processes. Callers hold the phone's lock (`services._lock_phone`),
which makes the count exact under parallel requests; a rolled-back send is not counted.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import CharField, Count, Max, Min, Q
from django.db.models.functions import Cast

from core.errors import TooManyRequests
from verifications.models import Verification

WINDOW_EXCEEDED = "Too many verification codes were requested for this phone number"
COOLDOWN = "A verification code was sent to this phone number moments ago"


def check_send_limits(*, phone_number: str, now: datetime, also_find: Q | None = None) -> str | None:
    """Raise TooManyRequests when the phone may not get another code now.

    `also_find` (a condition on the phone's codes, matched by one code at most) is looked up in the
    same scan of the phone's codes, saving the caller a query: its id is returned (None without one).
    """
    window = timedelta(minutes=settings.OTP_SEND_WINDOW_MINUTES)
    cooldown = timedelta(seconds=settings.OTP_RESEND_COOLDOWN_SECONDS)
    in_window = Q(created_at__gt=now - window)
    aggregates = {
        "sent": Count("pk", filter=in_window),
        "first": Min("created_at", filter=in_window),
        "last": Max("created_at", filter=in_window),
    }
    if also_find is not None:
        aggregates["found"] = Max(Cast("pk", CharField()), filter=also_find)  # text: PostgreSQL has no max(uuid)
    recent = Verification.objects.filter(in_window | (also_find or in_window), phone_number=phone_number).aggregate(
        **aggregates
    )
    if recent["sent"] >= settings.OTP_SEND_LIMIT:
        raise TooManyRequests(WINDOW_EXCEEDED, retry_after=_seconds(recent["first"] + window - now))
    if recent["last"] is not None and now < recent["last"] + cooldown:
        raise TooManyRequests(COOLDOWN, retry_after=_seconds(recent["last"] + cooldown - now))
    return recent.get("found")


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
