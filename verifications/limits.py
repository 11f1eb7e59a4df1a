"""Per-phone send limits, counted from the verifications table itself.

The database is the one store every web process shares, whatever the cache is configured to be,
so these limits hold across processes. Callers hold the phone's lock (`services._lock_phone`),
which makes the count exact under parallel requests; a rolled-back send is not counted.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min

from core.errors import TooManyRequests
from verifications.models import Verification

WINDOW_EXCEEDED = "Too many verification codes were requested for this phone number"
COOLDOWN = "A verification code was sent to this phone number moments ago"


def check_send_limits(*, phone_number: str, now: datetime) -> None:
    window = timedelta(minutes=settings.OTP_SEND_WINDOW_MINUTES)
    cooldown = timedelta(seconds=settings.OTP_RESEND_COOLDOWN_SECONDS)
    recent = Verification.objects.filter(phone_number=phone_number, created_at__gt=now - window).aggregate(
        sent=Count("pk"), first=Min("created_at"), last=Max("created_at")
    )
    if recent["sent"] >= settings.OTP_SEND_LIMIT:
        raise TooManyRequests(WINDOW_EXCEEDED, retry_after=_seconds(recent["first"] + window - now))
    if recent["last"] is not None and now < recent["last"] + cooldown:
        raise TooManyRequests(COOLDOWN, retry_after=_seconds(recent["last"] + cooldown - now))


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
