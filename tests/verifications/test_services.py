import pytest

from core.errors import NotFound
from verifications.models import Verification
from verifications.services import VerificationFailed, verification_complete, verification_initialize
from verifications.sms import locmem

from .conftest import PHONE, last_code

pytestmark = pytest.mark.django_db


def test_initialize_then_complete(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        verification = verification_initialize(phone_number=PHONE)
    assert verification.status == Verification.Status.NEW
    assert verification.active
    assert locmem.outbox[-1]["body"] == f"Код авторизації дій в системі eHealth: {last_code()}"
    done = verification_complete(phone_number=PHONE, code=last_code())
    assert done.status == Verification.Status.VERIFIED
    assert not done.active


def test_wrong_code_is_invalid(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        verification_initialize(phone_number=PHONE)
    with pytest.raises(VerificationFailed) as failed:
        verification_complete(phone_number=PHONE, code="1")
    assert failed.value.reason == "Invalid verification code"


def test_unknown_phone_is_not_found():
    with pytest.raises(NotFound, match=r"^Verification not found$"):
        verification_complete(phone_number=PHONE, code="1234")
