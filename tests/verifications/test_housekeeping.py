from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from verifications import housekeeping
from verifications.models import SmsMessage, Verification
from verifications.services import verification_complete, verification_initialize

from .conftest import PHONE, own_client, sms_of

pytestmark = pytest.mark.django_db


def command(name: str) -> list[str]:
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue().splitlines()


def test_expire_requests_expires_stale_codes_only(issue):
    stale, _ = issue()
    fresh, _ = issue("+380991112233")
    Verification.objects.filter(pk=stale.pk).update(code_expired_at=timezone.now() - timedelta(seconds=1))
    assert "verifications expired: 1" in command("expire_requests")
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (Verification.Status.EXPIRED, Verification.Status.NEW)
    assert "verifications expired: 0" in command("expire_requests")


def test_expire_requests_reports_progress_per_batch(issue, monkeypatch):
    monkeypatch.setattr(housekeeping, "BATCH_SIZE", 2)
    for n in range(5):
        issue(f"+38099000000{n}")
    Verification.objects.update(code_expired_at=timezone.now() - timedelta(seconds=1))
    assert command("expire_requests") == [
        "verifications: expired 2 so far",
        "verifications: expired 4 so far",
        "verifications expired: 5",
    ]
    assert set(Verification.objects.values_list("status", flat=True)) == {"EXPIRED"}


def test_cleanup_deletes_codes_older_than_30_days_and_keeps_the_sms_log(issue, no_send_limits):
    old, _ = issue()
    recent, _ = issue()
    Verification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    old_sms = sms_of(old)
    assert "verifications deleted: 1" in command("cleanup")
    assert list(Verification.objects.values_list("pk", flat=True)) == [recent.pk]
    old_sms.refresh_from_db()
    assert old_sms.verification is None
    assert old_sms.phone_number_masked == "+38050*****67"


def test_cleanup_wipes_encrypted_codes_that_were_never_sent(queue_only, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
    sms = sms_of(verification)
    assert sms.code_ciphertext != ""
    assert "sms codes wiped: 0" in command("cleanup")
    SmsMessage.objects.filter(pk=sms.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    assert "sms codes wiped: 1" in command("cleanup")
    sms.refresh_from_db()
    assert sms.code_ciphertext == ""


def test_cleanup_keeps_verified_codes_so_the_phone_stays_verified(caller, issue, no_send_limits):
    verified, code = issue()
    verification_complete(phone_number=PHONE, code=code, client=own_client())
    Verification.objects.filter(pk=verified.pk).update(created_at=timezone.now() - timedelta(days=400))
    assert "verifications deleted: 0" in command("cleanup")
    assert caller.get(f"/api/verifications/{PHONE}").status_code == 200


def test_cleanup_deletes_failed_guesses_older_than_30_days(issue):
    from verifications.models import FailedGuess

    verification, _ = issue()
    FailedGuess.objects.create(phone_number=PHONE, verification=verification)
    FailedGuess.objects.create(phone_number=PHONE, created_at=timezone.now() - timedelta(days=31))
    assert "failed guesses deleted: 1" in command("cleanup")
    assert FailedGuess.objects.get().verification == verification
