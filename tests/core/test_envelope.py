"""The API conventions: one envelope, one error shape, request ids, 4xx never 500."""

import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_success_envelope_has_meta_and_data(client):
    response = client.get("/api/health", HTTP_X_REQUEST_ID="req-123")
    body = response.json()
    assert response.status_code == 200
    assert body["meta"] == {
        "code": 200,
        "url": "http://testserver/api/health",
        "type": "object",
        "request_id": "req-123",
    }
    assert body["data"]["database"] is True
    assert body["data"]["status"] == "ok"
    assert response["X-Request-ID"] == "req-123"


def test_request_id_is_generated_when_missing_or_unsafe(client):
    generated = client.get("/api/health")
    assert uuid.UUID(generated.json()["meta"]["request_id"])
    assert generated["X-Request-ID"] == generated.json()["meta"]["request_id"]
    unsafe = client.get("/api/health", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert unsafe.json()["meta"]["request_id"] != "bad id\nwith newline"


@pytest.mark.parametrize(
    "request_id",
    ["req-123", "a" * 128, "Trace.ID_1:2-3", "550e8400-e29b-41d4-a716-446655440000", "0a1b" * 8],
)
def test_good_request_id_is_echoed_in_header_meta_and_logs(client, log_output, request_id):
    response = client.get("/api/no-such-route", HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 404
    assert response["X-Request-ID"] == request_id
    assert response.json()["meta"]["request_id"] == request_id
    assert f"[{request_id}] Not Found: /api/no-such-route" in log_output.getvalue()


@pytest.mark.parametrize(
    "request_id",
    [
        "a" * 129,  # too long
        "bad id",
        "two\nlines",
        "ends-with-newline\n",
        "tab\there",
        "+380501234567",  # a phone number, in any spelling
        "req-380501234567",
        "req.0501234567",
        "slash/or#hash",
        "плюс",
    ],
)
def test_bad_request_id_is_replaced_in_header_meta_and_logs(client, log_output, request_id):
    response = client.get("/api/no-such-route", HTTP_X_REQUEST_ID=request_id)
    generated = response["X-Request-ID"]
    assert generated != request_id
    assert str(uuid.UUID(generated)) == generated
    assert response.json()["meta"]["request_id"] == generated
    log = log_output.getvalue()
    assert f"[{generated}] Not Found: /api/no-such-route" in log
    assert request_id.strip() not in log


def test_error_messages_mask_the_phone_numbers_they_quote(caller):
    response = caller.post("/api/verifications", {"phone_number": "+380501234567", "+380501234567": 1}, format="json")
    assert response.status_code == 422
    [entry] = response.json()["error"]["invalid"]
    assert entry["entry"] == "$.+38050*****67"  # the unknown property's name, a path of the client's
    response = caller.post("/api/persons", {"gender": "380501234567"}, format="json")
    [gender] = [e for e in response.json()["error"]["invalid"] if e["entry"] == "$.gender"]
    assert gender["rules"][0]["description"] == '"38050*****67" is not a valid choice.'
    response = caller.post("/api/verifications", {"phone_number": "0501234567"}, format="json")
    assert response.json()["error"]["invalid"][0]["rules"][0]["description"] == (
        "Must be a phone number like +380501234567"  # the message's own example stays
    )


def test_unknown_api_route_is_404_envelope(caller):
    response = caller.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == {"type": "not_found", "message": "Not found"}
    assert body["meta"]["code"] == 404


def test_wrong_method_is_405_envelope(client):
    response = client.post("/api/health", data="{}", content_type="application/json")
    assert response.status_code == 405
    assert response.json()["error"]["type"] == "method_not_allowed"


def test_health_reports_pending_tasks_and_version(client, settings):
    data = client.get("/api/health").json()["data"]
    assert data["pending_tasks"] == 0
    assert data["version"] == settings.VERSION


def test_flatten_validation_gives_json_paths():
    from rest_framework.exceptions import ErrorDetail

    from core.api.errors import _flatten_validation

    detail = {
        "phone_number": [ErrorDetail("Invalid phone", code="format")],
        "documents": [{}, {"type": [ErrorDetail("This field is required.", code="required")]}],
        "phones": {0: {"number": [ErrorDetail("Invalid phone", code="format")]}},
        "non_field_errors": [ErrorDetail("Whole request is wrong", code="invalid")],
    }
    assert _flatten_validation(detail) == [
        {
            "entry_type": "json_data_property",
            "entry": "$.phone_number",
            "rules": [{"rule": "format", "description": "Invalid phone", "params": []}],
        },
        {
            "entry_type": "json_data_property",
            "entry": "$.documents[1].type",
            "rules": [{"rule": "required", "description": "This field is required.", "params": []}],
        },
        {
            "entry_type": "json_data_property",
            "entry": "$.phones[0].number",
            "rules": [{"rule": "format", "description": "Invalid phone", "params": []}],
        },
        {
            "entry_type": "json_data_property",
            "entry": "$",
            "rules": [{"rule": "invalid", "description": "Whole request is wrong", "params": []}],
        },
    ]


def test_mask_phone():
    from core.observability.masking import mask_phone

    assert mask_phone("+380931234585") == "+38093*****85"
    assert mask_phone(None) is None


@pytest.mark.urls("tests.core.probe_urls")
class TestErrorTypes:
    """Each error type in the envelope."""

    def fail(self, caller, kind):
        response = caller.get(f"/api/probe/fail/{kind}")
        return response, response.json()["error"]

    def test_conflict_is_409_request_conflict(self, caller):
        response, error = self.fail(caller, "conflict")
        assert response.status_code == 409
        assert error == {"type": "request_conflict", "message": "Patient is not verified"}

    def test_rule_of_the_request_is_422_request_malformed(self, caller):
        response, error = self.fail(caller, "malformed")
        assert response.status_code == 422
        assert error == {
            "type": "request_malformed",
            "message": "This doctor has 5 declarations and could not sign more",
        }

    def test_rate_limit_is_429_with_retry_after(self, caller):
        response, error = self.fail(caller, "limited")
        assert response.status_code == 429
        assert response["Retry-After"] == "30"
        assert error["type"] == "too_many_requests"

    def test_not_found_is_404(self, caller):
        response, error = self.fail(caller, "missing")
        assert response.status_code == 404
        assert error == {"type": "not_found", "message": "Person not found"}

    def test_field_failure_is_422_with_invalid_entry(self, caller):
        response, error = self.fail(caller, "field")
        assert response.status_code == 422
        assert error["type"] == "validation_failed"
        assert error["invalid"] == [
            {
                "entry_type": "json_data_property",
                "entry": "$.verification_code",
                "rules": [{"rule": "invalid", "description": "Invalid verification code", "params": []}],
            }
        ]

    def test_unexpected_exception_is_500_envelope(self, caller):
        caller.http.raise_request_exception = False
        response = caller.get("/api/probe/fail/crash")
        assert response.status_code == 500
        assert response.json()["error"] == {"type": "internal_error", "message": "Internal server error"}

    def test_serializer_errors_name_the_field(self, caller):
        response = caller.post("/api/probe/echo", {"phone_number": "0501234567"}, format="json")
        assert response.status_code == 422
        assert response.json()["error"]["invalid"][0]["entry"] == "$.phone_number"
        assert response.json()["error"]["invalid"][0]["rules"][0]["description"] == (
            "Must be a phone number like +380501234567"
        )

    def test_unknown_field_is_rejected(self, caller):
        response = caller.post("/api/probe/echo", {"phone_number": "+380501234567", "extra": 1}, format="json")
        assert response.status_code == 422
        assert response.json()["error"]["invalid"][0]["entry"] == "$.extra"
        assert response.json()["error"]["invalid"][0]["rules"][0]["rule"] == (
            "schema_does_not_allow_additional_properties"
        )

    def test_malformed_json_is_400(self, caller):
        response = caller.http.post("/api/probe/echo", data="{not json", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "request_malformed"

    def test_wrong_content_type_is_415(self, caller):
        response = caller.http.post("/api/probe/echo", data="phone_number=1", content_type="text/plain")
        assert response.status_code == 415
        assert response.json()["error"]["type"] == "unsupported_media_type"

    def test_json_array_body_is_422_not_500(self, caller):
        response = caller.post("/api/probe/echo", [1, 2], format="json")
        assert response.status_code == 422

    @pytest.mark.parametrize("code", [1234, "1234"])
    def test_code_accepted_as_number_or_digit_string(self, caller, code):
        response = caller.post("/api/probe/echo", {"phone_number": "+380501234567", "code": code}, format="json")
        assert response.status_code == 200
        assert response.json()["data"] == {"phone_number": "+380501234567", "code": "1234"}

    @pytest.mark.parametrize("code", [0, -5, "0123", "12a", True, 1.5, None])
    def test_bad_codes_are_422(self, caller, code):
        response = caller.post("/api/probe/echo", {"phone_number": "+380501234567", "code": code}, format="json")
        assert response.status_code == 422
        assert response.json()["error"]["invalid"][0]["entry"] == "$.code"


def test_log_lines_never_carry_a_full_phone():
    import logging

    from core.observability.request_id import RequestIdLogFilter

    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/api/x/+380501234567",), None
    )
    assert RequestIdLogFilter().filter(record)
    assert record.getMessage() == "Not Found: /api/x/+38050*****67"
