from core.errors import NotFound
from verifications.models import Verification
from verifications.services import NOT_FOUND


def verified_phone_get(*, phone_number: str) -> str:
    """The phone number, if it was ever verified; otherwise 404."""
    if not Verification.objects.filter(phone_number=phone_number, status=Verification.Status.VERIFIED).exists():
        raise NotFound(NOT_FOUND)
    return phone_number
