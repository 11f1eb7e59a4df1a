"""Expiry and cleanup of one-time codes, run by `manage.py expire_requests` and `manage.py cleanup`."""

from datetime import timedelta

from django.conf import settings

from core.jobs.housekeeping import progress
from verifications import services

BATCH_SIZE = 1000
RETENTION_DAYS = 30


def expire(now) -> dict[str, int]:
    total = _in_batches(lambda: services.verifications_expire(now=now, limit=BATCH_SIZE), "expired")
    requeued = services.sms_requeue_stale(now=now)
    return {"verifications expired": total, **({"sms requeued": requeued} if requeued else {})}


def cleanup(now) -> dict[str, int]:
    before = now - timedelta(days=RETENTION_DAYS)
    deleted = _in_batches(lambda: services.verifications_delete_old(before=before, limit=BATCH_SIZE), "deleted")
    failed = _in_batches(lambda: services.failed_guesses_delete_old(before=before, limit=BATCH_SIZE), "deleted")
    wiped = services.sms_wipe_ciphertexts(before=now - timedelta(minutes=settings.OTP_CODE_TTL_MINUTES))
    return {"verifications deleted": deleted, "failed guesses deleted": failed, "sms codes wiped": wiped}


def _in_batches(run_batch, verb: str) -> int:
    total = 0
    while True:
        done = run_batch()
        total += done
        if done < BATCH_SIZE:
            return total
        progress.info("verifications: %s %d so far", verb, total)
