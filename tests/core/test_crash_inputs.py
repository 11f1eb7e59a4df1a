"""Inputs any client can send that once crashed the service: each is a 4xx envelope now."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.probe_urls")]

ECHO = "/api/probe/echo"
LIST = "/api/probe/list"


def post_raw(caller, body: str):
    return caller.http.post(ECHO, data=body.encode(), content_type="application/json")


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_body_is_400(caller, opening):
    closing = "]" if opening == "[" else "}"
    response = post_raw(caller, opening * 100_000 + "1" + closing * 100_000)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "request_malformed"


def test_moderately_nested_body_is_refused_before_it_reaches_a_serializer(caller):
    response = post_raw(caller, '{"phone_number": ' + "[" * 500 + "]" * 500 + "}")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "JSON body is nested too deeply"


@pytest.mark.parametrize(
    "body",
    [
        '{"\\ud800": 1}',
        '{"phone_number": "\\ud800"}',
        '{"phone_number": "+380501234567", "code": ["\\udfff"]}',
        '["\\ud800"]',
    ],
)
def test_lone_surrogate_is_400(caller, body):
    response = post_raw(caller, body)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "request_malformed",
        "message": "JSON body has an unpaired surrogate escape",
    }


def test_a_surrogate_pair_is_an_ordinary_character(caller):
    response = post_raw(caller, '{"phone_number": "\\ud83d\\ude00"}')
    assert response.status_code == 422  # 😀 is not a phone number, and that is all


def test_renderer_never_crashes_on_a_lone_surrogate():
    from core.api.renderers import EnvelopeRenderer

    assert EnvelopeRenderer().render({"a": "\ud800"}) == b'{"a":"\\ud800"}'


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("value", ["²", "١٢", "１２", "1" * 4301, "1" * 101, "0", "-1", "1.5", ""])
def test_page_parameters_that_are_not_plain_positive_integers_are_422(caller, name, value):
    response = caller.get(LIST, {name: value})
    assert response.status_code == 422
    assert response.json()["error"]["invalid"] == [
        {
            "entry_type": "json_data_property",
            "entry": f"$.{name}",
            "rules": [{"rule": "number", "description": "Must be a positive integer", "params": []}],
        }
    ]


def test_page_far_past_the_end_is_empty(caller):
    response = caller.get(LIST, {"page": "9" * 100})
    assert response.status_code == 200
    assert response.json()["data"] == []


def test_host_outside_allowed_hosts_is_400_envelope(caller, settings):
    settings.ALLOWED_HOSTS = ["api.example.org"]
    caller.http.raise_request_exception = False
    response = caller.get("/api/probe/scoped", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == {"type": "request_malformed", "message": "Invalid Host header"}
    assert body["meta"]["url"] == "/api/probe/scoped"  # never the caller's host


def test_invalid_is_capped_with_a_count(caller):
    body = {"phone_number": "+380501234567", **{f"k{i:06}": 1 for i in range(1000)}}
    response = caller.post(ECHO, body, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert len(error["invalid"]) == 100
    assert error["invalid"][0]["entry"] == "$.k000000"
    assert error["invalid_count"] == 1000


def test_invalid_under_the_cap_has_no_count(caller):
    error = caller.post(ECHO, {"phone_number": "+380501234567", "x": 1}, format="json").json()["error"]
    assert len(error["invalid"]) == 1
    assert "invalid_count" not in error


def test_host_outside_allowed_hosts_is_400_envelope_with_debug_too(caller, settings):
    settings.ALLOWED_HOSTS = ["api.example.org"]
    settings.DEBUG = True
    response = caller.get("/api/no-such-route", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "request_malformed", "message": "Invalid Host header"}
