from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core.api.errors import NotFound, TooManyRequests
from core.audit import events as audit
from core.models import Event
from tests.conftest import ACTOR
from tests.persons.factories import AuthenticationMethodRequestFactory
from verifications.models import Purpose, SmsMessage, Verification
from verifications.services import VerificationFailed, verification_complete, verification_initialize
from verifications.sms import locmem

from .conftest import PHONE, own_client, sms_of, wrong_code

pytestmark = pytest.mark.django_db


def failure(phone_number: str, code: str) -> str:
    with pytest.raises(VerificationFailed) as failed:
        verification_complete(phone_number=phone_number, code=code, client=own_client())
    assert failed.value.message == failed.value.reason
    assert failed.value.status == 403
    return failed.value.reason


def test_initialize_issues_a_new_code_and_sends_it(issue, settings):
    verification, code = issue()
    assert verification.status == Verification.Status.NEW
    assert verification.active is True
    assert verification.attempts == 0
    expected_expiry = verification.created_at + timedelta(minutes=settings.OTP_CODE_TTL_MINUTES)
    assert verification.code_expired_at == expected_expiry
    assert len(code) == 4 and code[0] != "0"
    assert locmem.outbox == [{"phone_number": PHONE, "body": f"Код авторизації дій в системі eHealth: {code}"}]


def test_code_is_stored_only_as_a_digest_and_the_log_masks_it(issue):
    verification, code = issue()
    stored = Verification.objects.get(pk=verification.pk)
    assert code not in stored.code_digest and len(stored.code_digest) == 64
    sms = sms_of(verification)
    assert sms.body == "Код авторизації дій в системі eHealth: ****"
    assert sms.phone_number_masked == "+38050*****67"
    assert sms.status == SmsMessage.Status.SENT
    assert sms.attempts == 1
    assert sms.code_ciphertext == ""  # wiped once sent
    assert sms.sent_at is not None
    assert sms.kind == Purpose.VERIFICATION


def test_a_request_owns_its_code_and_the_sms_says_what_it_confirms(issue):
    request = AuthenticationMethodRequestFactory(client=own_client(), legal_entity_id=own_client().legal_entity_id)
    verification, code = issue(kind="authentication_method_request", owner=request)
    assert (verification.kind, verification.client) == (Purpose.AUTHENTICATION_METHOD_REQUEST, own_client())
    assert sms_of(verification).kind == Purpose.AUTHENTICATION_METHOD_REQUEST
    assert locmem.outbox[-1]["body"] == f"eHealth: зміна способу підтвердження ваших дій. Код: {code}"


def test_a_client_owns_only_verification_codes_and_a_request_every_other_kind():
    request = AuthenticationMethodRequestFactory(client=own_client(), legal_entity_id=own_client().legal_entity_id)
    with pytest.raises(ValueError):
        verification_initialize(phone_number=PHONE, kind="approval", owner=own_client())
    with pytest.raises(ValueError):
        verification_initialize(phone_number=PHONE, kind="verification", owner=request)


def test_right_code_verifies(issue):
    verification, code = issue()
    done = verification_complete(phone_number=PHONE, code=code, client=own_client())
    assert done.pk == verification.pk
    assert done.status == Verification.Status.VERIFIED
    assert done.active is False
    assert Event.objects.filter(entity_id=str(verification.pk), property="status", new_value="VERIFIED").exists()


def test_a_used_code_cannot_be_used_again(issue):
    _, code = issue()
    verification_complete(phone_number=PHONE, code=code, client=own_client())
    assert failure(PHONE, code) == "Invalid verification code"


def test_wrong_code_is_invalid_and_counted(issue):
    verification, code = issue()
    assert failure(PHONE, wrong_code(code)) == "Invalid verification code"
    verification.refresh_from_db()
    assert verification.attempts == 1
    assert verification.status == Verification.Status.NEW


def test_three_wrong_codes_lock_even_the_right_one(issue):
    verification, code = issue()
    assert [failure(PHONE, wrong_code(code)) for _ in range(3)] == ["Invalid verification code"] * 3
    verification.refresh_from_db()
    assert (verification.status, verification.attempts) == (Verification.Status.LOCKED, 3)
    assert failure(PHONE, code) == "Maximum attempts exceed"
    verification.refresh_from_db()
    assert verification.attempts == 3


def test_max_attempts_is_configurable(issue, settings):
    settings.OTP_MAX_ATTEMPTS = 1
    _, code = issue()
    assert failure(PHONE, wrong_code(code)) == "Invalid verification code"
    assert failure(PHONE, code) == "Maximum attempts exceed"


def test_expired_code_is_refused_and_marked_expired(issue):
    verification, code = issue()
    Verification.objects.filter(pk=verification.pk).update(code_expired_at=timezone.now() - timedelta(seconds=1))
    assert failure(PHONE, code) == "Verification code expired"
    verification.refresh_from_db()
    assert verification.status == Verification.Status.EXPIRED
    assert failure(PHONE, code) == "Verification code expired"


def test_phone_without_any_code_is_not_found():
    with pytest.raises(NotFound) as missing:
        verification_complete(phone_number=PHONE, code="1234", client=own_client())
    assert missing.value.message == "Verification not found"


def test_new_code_deactivates_the_old_one(issue, no_send_limits):
    old, old_code = issue()
    new, new_code = issue()
    old.refresh_from_db()
    assert old.status == Verification.Status.INACTIVE
    assert old.active is False
    assert Verification.objects.filter(phone_number=PHONE, status=Verification.Status.NEW).get() == new
    if old_code != new_code:
        assert failure(PHONE, old_code) == "Invalid verification code"
    assert (
        verification_complete(phone_number=PHONE, code=new_code, client=own_client()).status
        == Verification.Status.VERIFIED
    )


def test_codes_of_other_phones_are_independent(issue):
    _, code = issue()
    issue("+380991112233")
    assert Verification.objects.filter(status=Verification.Status.NEW).count() == 2
    assert (
        verification_complete(phone_number=PHONE, code=code, client=own_client()).status == Verification.Status.VERIFIED
    )


def test_cooldown_between_sends_is_429_with_retry_after(issue, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    issue()
    with pytest.raises(TooManyRequests) as limited:
        verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    assert limited.value.message == "A verification code was sent to this phone number moments ago"
    assert limited.value.retry_after in (29, 30)
    assert limited.value.headers == {"Retry-After": str(limited.value.retry_after)}
    assert Verification.objects.count() == 1


def test_send_limit_per_window_is_429_with_retry_after(issue, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 2
    settings.OTP_SEND_WINDOW_MINUTES = 15
    first, _ = issue()
    issue()
    with pytest.raises(TooManyRequests) as limited:
        verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    assert limited.value.message == "Too many verification codes were requested for this phone number"
    assert 899 <= limited.value.retry_after <= 900
    # Once the first send leaves the window, the phone may ask again.
    Verification.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    issue()
    assert Verification.objects.count() == 3


def test_limits_are_per_phone(issue):
    issue()
    issue("+380991112233")
    assert Verification.objects.count() == 2


def test_no_sms_when_the_callers_transaction_rolls_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        raise RuntimeError("the caller's later step failed")
    assert callbacks == []
    assert locmem.outbox == []
    assert not Verification.objects.exists()
    assert not SmsMessage.objects.exists()


def test_initialize_and_complete_are_audited(issue, no_send_limits):
    old, _ = issue()
    new, code = issue()
    verification_complete(phone_number=PHONE, code=code, client=own_client(), actor=ACTOR)
    changes = list(
        Event.objects.filter(entity_type="verifications.verification")
        .order_by("created_at")
        .values_list("entity_id", "old_value", "new_value", "actor")
    )
    assert changes == [
        (str(old.pk), None, "NEW", audit.SYSTEM),
        (str(old.pk), "NEW", "INACTIVE", audit.SYSTEM),
        (str(new.pk), None, "NEW", audit.SYSTEM),
        (str(new.pk), "NEW", "VERIFIED", ACTOR),
    ]


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        verification_initialize(phone_number=PHONE, kind="newsletter", owner=own_client())
