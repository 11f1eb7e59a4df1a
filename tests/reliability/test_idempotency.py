"""`Idempotency-Key` on every POST and PATCH: a retry gets the first answer and nothing happens twice."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.api.idempotency import KEY_IN_PROGRESS, KEY_INVALID, KEY_REUSED, key_digest, request_digest
from core.models import IdempotencyKey
from tests.parallel import in_parallel
from tests.verifications.conftest import PHONE, last_code, wrong_code
from verifications import services
from verifications.models import SmsMessage, Verification
from verifications.sms import locmem

pytestmark = pytest.mark.django_db

URL = "/api/verifications"
KEY = "5b0e7f7c-2f1c-4d0e-9a57-6a4a3c1f0b11"


def initialize(http, key=KEY, phone_number=PHONE):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return http.post(URL, {"phone_number": phone_number}, format="json", **headers)


def complete(http, code, key=KEY, phone_number=PHONE):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return http.patch(f"{URL}/{phone_number}/actions/complete", {"code": code}, format="json", **headers)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def test_a_retry_returns_the_first_answer_and_sends_no_second_sms(caller, on_commit):
    first = on_commit(initialize, caller)
    again = on_commit(initialize, caller)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content  # the very first body, its request_id included
    assert again["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert len(locmem.outbox) == 1
    assert SmsMessage.objects.count() == Verification.objects.count() == 1


def test_a_retried_wrong_code_counts_one_attempt(caller, on_commit):
    on_commit(initialize, caller, key=None)
    code = wrong_code(last_code())
    first = complete(caller, code)
    again = complete(caller, code)
    assert first.status_code == again.status_code == 403
    assert again.content == first.content
    assert Verification.objects.get().attempts == 1


def test_json_bodies_compare_by_content_not_spelling(caller, on_commit):
    first = on_commit(initialize, caller)
    again = caller.post(
        URL, data='{ "phone_number" :  "+380501234567" }', content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert again.content == first.content and len(locmem.outbox) == 1


def test_the_same_key_with_another_body_is_422_on_the_header(caller, on_commit):
    on_commit(initialize, caller)
    response = on_commit(initialize, caller, phone_number="+380501234568")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "type": "validation_failed",
        "message": "Validation failed",
        "invalid": [
            {
                "entry_type": "header",
                "entry": "$.headers.Idempotency-Key",
                "rules": [{"rule": "invalid", "description": KEY_REUSED, "params": []}],
            }
        ],
    }
    assert len(locmem.outbox) == 1


def test_the_same_key_on_another_endpoint_is_422(caller, on_commit):
    on_commit(initialize, caller)
    response = complete(caller, "1234")
    assert response.status_code == 422
    assert response.json()["error"]["invalid"][0]["rules"][0]["description"] == KEY_REUSED
    assert Verification.objects.get().attempts == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ", "two words"])
def test_a_malformed_key_is_422(caller, key):
    response = initialize(caller, key=key)
    assert response.status_code == 422
    [entry] = response.json()["error"]["invalid"]
    assert (entry["entry"], entry["rules"][0]["description"]) == ("$.headers.Idempotency-Key", KEY_INVALID)
    assert not SmsMessage.objects.exists()


def test_keys_are_per_client(caller, caller_factory, on_commit, no_send_limits):
    other = caller_factory(name="Other MIS")
    first, second = on_commit(initialize, caller), on_commit(initialize, other)
    assert first.status_code == second.status_code == 200
    assert first.json()["data"]["id"] != second.json()["data"]["id"]
    assert len(locmem.outbox) == 2


def test_the_key_is_stored_hashed_with_the_client(caller, on_commit):
    on_commit(initialize, caller)
    row = IdempotencyKey.objects.get()
    assert row.key_digest == hashlib.sha256(f"{caller.client.pk}:{KEY}".encode()).hexdigest()
    assert (row.status, row.response_status) == (IdempotencyKey.Status.DONE, 200)
    assert KEY not in str(IdempotencyKey.objects.values().get())


def test_without_a_key_nothing_is_stored_and_nothing_replayed(caller, on_commit, no_send_limits):
    on_commit(initialize, caller, key=None)
    on_commit(initialize, caller, key=None)
    assert len(locmem.outbox) == 2 and not IdempotencyKey.objects.exists()


def test_a_5xx_answer_frees_the_key(caller, on_commit, monkeypatch):
    real = services.verification_initialize
    calls = []

    def fails_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("a bug in the first try")
        return real(**kwargs)

    monkeypatch.setattr(services, "verification_initialize", fails_once)
    caller.http.raise_request_exception = False
    assert on_commit(initialize, caller).status_code == 500
    assert not IdempotencyKey.objects.exists()
    retry = on_commit(initialize, caller)
    assert retry.status_code == 200 and not retry.has_header("Idempotent-Replayed")
    assert len(locmem.outbox) == 1


def test_a_database_error_frees_the_key(caller, on_commit, monkeypatch):
    real = services.verification_initialize
    calls = []

    def fails_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(services, "verification_initialize", fails_once)
    assert on_commit(initialize, caller).status_code == 503
    assert on_commit(initialize, caller).status_code == 200
    assert len(locmem.outbox) == 1


def test_a_429_answer_frees_the_key(caller, on_commit, settings):
    on_commit(initialize, caller, key=None)
    limited = on_commit(initialize, caller)
    assert limited.status_code == 429
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    retry = on_commit(initialize, caller)
    assert retry.status_code == 200 and len(locmem.outbox) == 2


def _held(caller, *, age: timedelta):
    """A key as a request that is still running (or died) `age` ago would hold it."""
    started = timezone.now() - age
    body = b'{"phone_number":"+380501234567"}'
    return IdempotencyKey.objects.create(
        key_digest=key_digest(client_id=caller.client.pk, key=KEY),
        request_digest=request_digest(method="POST", path=URL, body=body),
        created_at=started,
        started_at=started,
    )


def test_a_retry_while_the_first_still_runs_is_409(caller, on_commit):
    _held(caller, age=timedelta(seconds=1))
    response = on_commit(initialize, caller)
    assert response.status_code == 409
    assert response.json()["error"] == {"type": "request_conflict", "message": KEY_IN_PROGRESS}
    assert not SmsMessage.objects.exists()
    assert IdempotencyKey.objects.get().status == IdempotencyKey.Status.PROCESSING  # still the first one's


def test_a_key_its_request_abandoned_is_taken_over_after_the_lease(caller, on_commit, settings):
    _held(caller, age=timedelta(seconds=settings.IDEMPOTENCY_KEY_LEASE_SECONDS + 1))
    response = on_commit(initialize, caller)
    assert response.status_code == 200 and len(locmem.outbox) == 1
    assert IdempotencyKey.objects.get().status == IdempotencyKey.Status.DONE


def test_an_expired_key_is_a_new_key(caller, on_commit, settings, no_send_limits):
    on_commit(initialize, caller)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS))
    again = on_commit(initialize, caller, phone_number="+380501234568")  # another body: fine once expired
    assert again.status_code == 200 and len(locmem.outbox) == 2


def test_cleanup_deletes_keys_older_than_24_hours(caller, on_commit, no_send_limits):
    on_commit(initialize, caller)
    on_commit(initialize, caller, key="a-newer-key")
    IdempotencyKey.objects.filter(pk=IdempotencyKey.objects.earliest("created_at").pk).update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )
    out = StringIO()
    call_command("cleanup", stdout=out)
    assert "idempotency keys deleted: 1" in out.getvalue()
    assert IdempotencyKey.objects.count() == 1


def test_a_replay_costs_a_few_queries(caller, on_commit, django_assert_max_num_queries):
    on_commit(initialize, caller)
    # the token with its client; the refused insert in its savepoint (3 statements); the stored answer
    with django_assert_max_num_queries(6):
        assert initialize(caller)["Idempotent-Replayed"] == "true"


def test_every_post_and_patch_documents_the_header():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("post", "patch")
    ]
    assert len(operations) >= 5
    for path, method, operation in operations:
        names = [(p["in"], p["name"]) for p in operation.get("parameters", [])]
        assert ("header", "Idempotency-Key") in names, (method, path)
        assert "409" in operation["responses"], (method, path)


# --- parallel retries, real transactions ------------------------------------------------------


def _api(caller) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.token}", HTTP_API_KEY=caller.api_key)
    return http


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_retries_with_one_key_send_one_sms(caller):
    clients = [_api(caller) for _ in range(8)]
    responses = in_parallel(lambda i: initialize(clients[i]), 8)
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    ran = [r for r in responses if r.status_code == 200 and not r.has_header("Idempotent-Replayed")]
    assert len(ran) == 1
    assert all(r.content == ran[0].content for r in responses if r.status_code == 200)
    assert SmsMessage.objects.count() == Verification.objects.count() == 1
    assert len(locmem.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_retries_of_a_wrong_code_count_one_attempt(caller):
    assert initialize(caller, key=None).status_code == 200
    code = wrong_code(last_code())
    clients = [_api(caller) for _ in range(8)]
    responses = in_parallel(lambda i: complete(clients[i], code), 8)
    assert {r.status_code for r in responses} <= {403, 409}
    assert Verification.objects.get().attempts == 1
