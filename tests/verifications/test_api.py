import re
from datetime import timedelta

import pytest
from django.utils import timezone

from verifications.models import Verification
from verifications.sms import locmem

from .conftest import PHONE, last_code, wrong_code

pytestmark = pytest.mark.django_db

URL = "/api/verifications"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def initialize(caller, django_capture_on_commit_callbacks):
    def initialize(phone_number=PHONE, http=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (http or caller).post(URL, {"phone_number": phone_number}, format="json")

    return initialize


def complete(http, code, phone_number=PHONE):
    return http.patch(f"{URL}/{phone_number}/actions/complete", {"code": code}, format="json")


def error_of(response) -> dict:
    return response.json()["error"]


def test_initialize_answers_as_documented(initialize):
    response = initialize()
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["code"] == 200
    assert body["meta"]["type"] == "object"
    data = body["data"]
    assert set(data) == {"id", "status", "code_expired_at", "active"}
    assert UUID.match(data["id"])
    assert data["status"] == "NEW"
    assert data["active"] is True
    assert ISO_UTC.match(data["code_expired_at"])
    assert last_code() not in response.content.decode().replace(data["id"], "").replace(data["code_expired_at"], "")
    assert Verification.objects.get(pk=data["id"]).phone_number == PHONE


@pytest.mark.parametrize("phone", ["380501234567", "+38050123456", "+3805012345678", "+480501234567", "", 380501234567])
def test_initialize_rejects_a_bad_phone_on_its_path(caller, phone):
    response = caller.post(URL, {"phone_number": phone}, format="json")
    assert response.status_code == 422
    error = error_of(response)
    assert error["type"] == "validation_failed"
    assert error["invalid"][0]["entry"] == "$.phone_number"
    assert not Verification.objects.exists()


def test_initialize_rejects_unknown_fields_and_missing_phone(caller):
    response = caller.post(URL, {"phone_number": PHONE, "code": 1234}, format="json")
    assert response.status_code == 422
    assert error_of(response)["invalid"][0]["entry"] == "$.code"
    missing = caller.post(URL, {}, format="json")
    assert missing.status_code == 422
    assert error_of(missing)["invalid"][0]["entry"] == "$.phone_number"


def test_initialize_is_429_with_retry_after(initialize, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    assert initialize().status_code == 200
    response = initialize()
    assert response.status_code == 429
    assert response["Retry-After"] in ("29", "30")
    assert error_of(response) == {
        "type": "too_many_requests",
        "message": "A verification code was sent to this phone number moments ago",
    }


def test_send_window_limit_is_429_with_retry_after(initialize, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1
    assert initialize().status_code == 200
    response = initialize()
    assert response.status_code == 429
    assert 899 <= int(response["Retry-After"]) <= 900
    assert error_of(response)["message"] == "Too many verification codes were requested for this phone number"


def test_complete_with_the_right_code(caller, initialize):
    verification_id = initialize().json()["data"]["id"]
    response = complete(caller, last_code())
    assert response.status_code == 200
    assert response.json()["meta"]["url"] == "http://testserver/api/verifications/+38050*****67/actions/complete"
    assert response.json()["data"] == {
        "id": verification_id,
        "status": "VERIFIED",
        "code_expired_at": response.json()["data"]["code_expired_at"],
        "active": False,
    }


def test_complete_accepts_the_code_as_a_string(caller, initialize):
    initialize()
    assert complete(caller, last_code()).json()["data"]["status"] == "VERIFIED"


def test_complete_wrong_code_is_403(caller, initialize):
    initialize()
    response = complete(caller, int(wrong_code(last_code())))
    assert response.status_code == 403
    assert error_of(response) == {"type": "forbidden", "message": "Invalid verification code"}


def test_complete_after_three_wrong_codes_is_locked(caller, initialize):
    initialize()
    code = last_code()
    messages = [error_of(complete(caller, wrong_code(code)))["message"] for _ in range(3)]
    assert messages == ["Invalid verification code"] * 3
    response = complete(caller, code)
    assert response.status_code == 403
    assert error_of(response) == {"type": "forbidden", "message": "Maximum attempts exceed"}


def test_complete_expired_code_is_403(caller, initialize):
    verification_id = initialize().json()["data"]["id"]
    Verification.objects.filter(pk=verification_id).update(code_expired_at=timezone.now() - timedelta(minutes=1))
    response = complete(caller, last_code())
    assert response.status_code == 403
    assert error_of(response) == {"type": "forbidden", "message": "Verification code expired"}


def test_complete_without_a_verification_is_404(caller):
    response = complete(caller, 1234)
    assert response.status_code == 404
    assert error_of(response) == {"type": "not_found", "message": "Verification not found"}


@pytest.mark.parametrize("code", [0, "0123", "12a4", -5, True, None, "", 12.5])
def test_complete_rejects_a_malformed_code(caller, initialize, code):
    initialize()
    response = complete(caller, code)
    assert response.status_code == 422
    assert error_of(response)["invalid"][0]["entry"] == "$.code"
    assert Verification.objects.get().attempts == 0


@pytest.mark.parametrize(
    "phone", ["not-a-phone", "%2B380501234567", "380501234567", "+380" + "9" * 200, "%00", "+38050123456%00"]
)
def test_unusual_phones_in_the_path_are_404(caller, phone):
    assert complete(caller, 1234, phone_number=phone).status_code == 404
    assert caller.get(f"{URL}/{phone}").status_code == 404


def test_percent_encoded_plus_in_the_path_works(caller, initialize):
    initialize()
    response = complete(caller, last_code(), phone_number="%2B380501234567")
    assert response.status_code == 200
    assert caller.get(f"{URL}/%2B380501234567").json()["data"] == {"phone_number": PHONE}


def test_verified_phone_is_found(caller, initialize):
    initialize()
    assert caller.get(f"{URL}/{PHONE}").status_code == 404
    complete(caller, last_code())
    response = caller.get(f"{URL}/{PHONE}")
    assert response.status_code == 200
    assert response.json()["data"] == {"phone_number": PHONE}


def test_unverified_phone_is_404(caller, initialize):
    response = caller.get(f"{URL}/{PHONE}")
    assert response.status_code == 404
    assert error_of(response) == {"type": "not_found", "message": "Verification not found"}


@pytest.mark.parametrize(
    ("method", "path", "body", "missing"),
    [
        ("post", URL, {"phone_number": PHONE}, "otp:write"),
        ("patch", f"{URL}/{PHONE}/actions/complete", {"code": 1234}, "otp:write"),
        ("get", f"{URL}/{PHONE}", None, "otp:read"),
    ],
)
def test_each_action_needs_its_scope(caller_factory, method, path, body, missing):
    other = "otp:read" if missing == "otp:write" else "otp:write"
    http = caller_factory(scopes=[other])
    response = getattr(http, method)(path, body, format="json")
    assert response.status_code == 403
    assert error_of(response)["message"] == (
        f"Your scope does not allow to access this resource. Missing allowances: {missing}"
    )
    assert locmem.outbox == []


def test_anonymous_is_401(anonymous):
    assert anonymous.post(URL, {"phone_number": PHONE}, format="json").status_code == 401


def test_initialize_and_complete_take_few_queries(
    caller, initialize, django_assert_max_num_queries, django_capture_on_commit_callbacks, no_send_limits
):
    """The request's own queries; the SMS task runs on commit, in the worker, and is not counted."""
    initialize("+380990000000")  # warm-up: nothing per-process is cached on the first call only
    limit = INITIALIZE_QUERIES
    for _ in range(2):  # the second call also replaces the active code
        with django_capture_on_commit_callbacks() as send_sms, django_assert_max_num_queries(limit):
            assert caller.post(URL, {"phone_number": PHONE}, format="json").status_code == 200
        send_sms[0]()
    with django_assert_max_num_queries(COMPLETE_WRONG_QUERIES):
        assert complete(caller, wrong_code(last_code())).status_code == 403
    with django_assert_max_num_queries(COMPLETE_RIGHT_QUERIES):
        assert complete(caller, last_code()).status_code == 200


# Counted with savepoints, the most of either database (PostgreSQL's phone lock is one more). Initialize
# (no savepoint of its own): token, [the phone's lock,] the phone's guess budget, the scan of its codes,
# [the replaced code's update and event,] insert, event, SMS row. Complete: token, read, [the phone's
# lock,] locked read, the phone's guess budget, update, [event]; a wrong code also records the failed guess.
INITIALIZE_QUERIES = 9
COMPLETE_WRONG_QUERIES = 9
COMPLETE_RIGHT_QUERIES = 9


def test_a_task_queue_that_refuses_the_sms_does_not_fail_the_saved_request(
    initialize, settings, caplog, django_capture_on_commit_callbacks
):
    import verifications.tasks  # noqa: F401  (defined while the settings still accept it)
    from verifications.models import SmsMessage
    from verifications.services import sms_requeue_stale

    immediate = "django.tasks.backends.immediate.ImmediateBackend"
    settings.TASKS = {"default": {"BACKEND": immediate, "QUEUES": ["elsewhere"]}}  # refuses our queue
    response = initialize()
    assert response.status_code == 200
    sms = SmsMessage.objects.get(verification_id=response.json()["data"]["id"])
    assert sms.status == SmsMessage.Status.QUEUED
    assert "could not be enqueued; housekeeping will queue it again" in caplog.text
    assert locmem.outbox == []

    settings.TASKS = {"default": {"BACKEND": immediate}}
    later = timezone.now() + timedelta(seconds=settings.SMS_SENDING_LEASE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sms_requeue_stale(now=later) == 1
    assert [m["phone_number"] for m in locmem.outbox] == [PHONE]
