from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core.api.errors import NotFound
from verifications.models import Purpose, Verification
from verifications.services import NOT_FOUND


def verified_phone_get(*, phone_number: str) -> str:
    """The phone number, if it was ever verified; otherwise 404."""
    if not Verification.objects.filter(phone_number=phone_number, status=Verification.Status.VERIFIED).exists():
        raise NotFound(NOT_FOUND)
    return phone_number


def phone_verified_by(*, phone_number: str, client) -> bool:
    """Whether `client` confirmed the phone through the verification endpoints (a code sent to it and
    read back) within PHONE_VERIFIED_TTL_MINUTES: the phone exists and is in the patient's hands."""
    since = timezone.now() - timedelta(minutes=settings.PHONE_VERIFIED_TTL_MINUTES)
    return Verification.objects.filter(
        kind=Purpose.VERIFICATION,
        client=client,
        phone_number=phone_number,
        status=Verification.Status.VERIFIED,
        updated_at__gte=since,
    ).exists()
