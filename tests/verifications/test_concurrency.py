"""Parallel requests against real PostgreSQL transactions: no limit exceeded, no state lost."""

from collections import Counter

import pytest
from rest_framework.test import APIClient

from tests.parallel import in_parallel as run_in_parallel
from verifications.models import SmsMessage, Verification
from verifications.services import VerificationFailed, verification_complete, verification_initialize
from verifications.sms import locmem

from .conftest import PHONE, last_code, own_client, wrong_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def in_parallel(function, n: int = THREADS) -> list:
    return run_in_parallel(function, n)


def test_parallel_wrong_guesses_never_exceed_the_maximum(settings):
    verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    code = last_code()
    results = in_parallel(
        lambda i: verification_complete(phone_number=PHONE, code=wrong_code(code), client=own_client())
    )
    reasons = Counter(r.reason for r in results if isinstance(r, VerificationFailed))
    assert reasons == {"Invalid verification code": settings.OTP_MAX_ATTEMPTS, "Maximum attempts exceed": THREADS - 3}
    verification.refresh_from_db()
    assert (verification.status, verification.attempts) == (Verification.Status.LOCKED, settings.OTP_MAX_ATTEMPTS)


def test_parallel_guesses_with_the_right_one_verify_at_most_once(settings):
    verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    code = last_code()
    guesses = [code] + [wrong_code(code)] * (THREADS - 1)
    results = in_parallel(lambda i: verification_complete(phone_number=PHONE, code=guesses[i], client=own_client()))
    verification.refresh_from_db()
    assert verification.attempts <= settings.OTP_MAX_ATTEMPTS
    successes = [r for r in results if isinstance(r, Verification)]
    assert all(isinstance(r, Verification | VerificationFailed) for r in results)
    if successes:
        assert len(successes) == 1 and verification.status == Verification.Status.VERIFIED
    else:
        assert verification.status == Verification.Status.LOCKED


def api(caller) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.token}", HTTP_API_KEY=caller.api_key)
    return http


def test_parallel_initializes_leave_exactly_one_active_code(caller, no_send_limits):
    clients = [api(caller) for _ in range(THREADS)]
    responses = in_parallel(lambda i: clients[i].post("/api/verifications", {"phone_number": PHONE}, format="json"))
    assert [r.status_code for r in responses] == [200] * THREADS
    statuses = Counter(Verification.objects.filter(phone_number=PHONE).values_list("status", flat=True))
    assert statuses == {"NEW": 1, "INACTIVE": THREADS - 1}
    # Each code got its SMS row; one whose code was replaced before a worker reached it is not sent
    # ("no longer active"), and the active code's SMS always goes out.
    assert SmsMessage.objects.count() == THREADS
    sent = SmsMessage.objects.filter(status=SmsMessage.Status.SENT)
    skipped = SmsMessage.objects.exclude(status=SmsMessage.Status.SENT)
    assert len(locmem.outbox) == sent.count()
    assert set(skipped.values_list("status", "error")) <= {(SmsMessage.Status.FAILED, "The code is no longer active")}
    assert SmsMessage.objects.get(verification__status=Verification.Status.NEW).status == SmsMessage.Status.SENT


def test_parallel_initializes_respect_the_cooldown(caller, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    clients = [api(caller) for _ in range(THREADS)]
    responses = in_parallel(lambda i: clients[i].post("/api/verifications", {"phone_number": PHONE}, format="json"))
    assert Counter(r.status_code for r in responses) == {200: 1, 429: THREADS - 1}
    assert Verification.objects.filter(phone_number=PHONE).count() == 1
    assert len(locmem.outbox) == 1
