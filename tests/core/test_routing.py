"""404 and 405 are envelopes in every mode, DEBUG included; OPTIONS needs no token and is never 403."""

import uuid

import pytest

pytestmark = pytest.mark.django_db

PHONE = "+380501234567"
SOME_ID = uuid.uuid4()


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def error(response):
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.status_code, response.json()["error"]


NOT_FOUND = (404, {"type": "not_found", "message": "Not found"})


@pytest.mark.parametrize(
    "path",
    [
        "/api/no-such-thing",
        "/api/persons/not-a-uuid",
        "/api/persons/not-a-uuid/authentication_method_requests",
        "/api/merge_requests/123/actions/approve",
        "/api/verifications/0501234567",
        "/api/",
    ],
)
def test_unknown_route_or_malformed_id_is_404_envelope(caller, debug, path):
    assert error(caller.get(path)) == NOT_FOUND


def test_unknown_route_without_a_token_is_404_too(anonymous, debug):
    assert error(anonymous.get("/api/no-such-thing")) == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", f"/api/verifications/{PHONE}"),
        ("put", f"/api/verifications/{PHONE}"),
        ("get", f"/api/verifications/{PHONE}/actions/complete"),
        ("get", f"/api/merge_requests/{SOME_ID}/actions/approve"),
        ("post", f"/api/merge_requests/{SOME_ID}/actions/approve"),
        ("get", f"/api/persons/{SOME_ID}/authentication_method_requests/{SOME_ID}/actions/approve"),
        ("delete", f"/api/persons/{SOME_ID}"),
        ("patch", "/api/persons"),
        ("post", "/api/health"),
    ],
)
def test_wrong_method_is_405_method_not_allowed(caller, debug, method, path):
    status, body = error(getattr(caller.http, method)(path))
    assert status == 405
    assert body == {"type": "method_not_allowed", "message": f'Method "{method.upper()}" not allowed.'}


def test_wrong_method_is_405_even_for_a_token_without_scopes(caller_factory, debug):
    limited = caller_factory(scopes=[])
    assert error(limited.delete(f"/api/verifications/{PHONE}"))[0] == 405


@pytest.mark.parametrize(
    "path",
    [f"/api/verifications/{PHONE}", "/api/persons", f"/api/merge_requests/{SOME_ID}/actions/approve", "/api/health"],
)
def test_options_answers_without_a_token(anonymous, debug, path):
    response = anonymous.options(path)
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["code"] == 200
    assert set(body["data"]["methods"]) == set(response["Allow"].replace(" ", "").split(","))
    assert "OPTIONS" in body["data"]["methods"]


def test_options_lists_the_routes_methods(caller):
    response = caller.options(f"/api/persons/{SOME_ID}/verification")
    assert response.status_code == 200
    assert set(response.json()["data"]["methods"]) == {"GET", "HEAD", "PATCH", "OPTIONS"}


def test_post_to_an_unknown_route_is_404_not_a_csrf_failure(debug):
    from rest_framework.test import APIClient

    response = APIClient(enforce_csrf_checks=True).post("/api/no-such-thing", {}, format="json")
    assert error(response) == NOT_FOUND


def test_the_catch_all_route_is_not_in_the_schema(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert not [path for path in paths if not path.startswith("/api/") or path == "/api/"]
