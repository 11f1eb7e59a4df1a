"""A lost database connection is a 503 `service_unavailable` with Retry-After, never a 500."""

import pytest
from django.db import InterfaceError, OperationalError

from core.observability.db_unavailable import SERVICE_UNAVAILABLE
from verifications import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("closed")])
def test_the_api_answers_503_in_the_envelope(caller, monkeypatch, error):
    def lost(**kwargs):
        raise error

    monkeypatch.setattr(services, "verification_initialize", lost)
    response = caller.post("/api/verifications", {"phone_number": "+380501234567"}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["error"] == {"type": "service_unavailable", "message": SERVICE_UNAVAILABLE}
    assert body["meta"]["code"] == 503 and body["meta"]["request_id"] == response["X-Request-ID"]


def test_other_database_errors_stay_bugs(caller, monkeypatch):
    from django.db import ProgrammingError

    def bug(**kwargs):
        raise ProgrammingError("column does not exist")

    monkeypatch.setattr(services, "verification_initialize", bug)
    caller.http.raise_request_exception = False
    response = caller.post("/api/verifications", {"phone_number": "+380501234567"}, format="json")
    assert response.status_code == 500 and response.json()["error"]["type"] == "internal_error"


def test_the_admin_answers_a_plain_503(admin_client, monkeypatch):
    from django.contrib.admin import AdminSite

    def lost(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(AdminSite, "get_app_list", lost)
    response = admin_client.get("/admin/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.content.decode() == SERVICE_UNAVAILABLE
