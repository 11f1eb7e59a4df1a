"""`/api/health/live` (the process answers) and `/api/health/ready` (the database answers, migrated)."""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor

import core.api.views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_migration_check(monkeypatch):
    monkeypatch.setattr(core.api.views, "_migrations_applied", False)


def test_live_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0), mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/api/health/live", HTTP_X_REQUEST_ID="probe-1")
    assert response.status_code == 200
    assert response.json() == {
        "meta": {"code": 200, "url": "http://testserver/api/health/live", "type": "object", "request_id": "probe-1"},
        "data": {"status": "ok"},
    }


def test_ready_when_the_database_answers_and_is_migrated(client, settings):
    response = client.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json()["data"] == {"status": "ok", "version": settings.VERSION}


def test_ready_checks_the_migrations_once_then_only_the_connection(client, django_assert_max_num_queries):
    assert client.get("/api/health/ready").status_code == 200
    with mock.patch.object(MigrationExecutor, "migration_plan") as plan, django_assert_max_num_queries(1):
        assert client.get("/api/health/ready").status_code == 200
    plan.assert_not_called()


def test_not_ready_without_the_database(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/api/health/ready")
    assert response.status_code == 503
    assert response.json()["error"] == {"type": "service_unavailable", "message": "Database unavailable"}
    assert response.json()["meta"]["code"] == 503


def test_not_ready_while_a_migration_is_not_applied(client):
    unapplied = [(mock.Mock(), False)]
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=unapplied):
        response = client.get("/api/health/ready")
    assert response.status_code == 503
    assert response.json()["error"] == {
        "type": "service_unavailable",
        "message": "Database migrations are not applied",
    }
    assert client.get("/api/health/ready").status_code == 200  # migrated since: ready, and remembered


@pytest.mark.parametrize("path", ["/api/health/live", "/api/health/ready"])
def test_probes_are_not_redirected_to_https(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path).status_code == 200


def test_probes_are_in_the_openapi_document(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    live, ready = schema["paths"]["/api/health/live"]["get"], schema["paths"]["/api/health/ready"]["get"]
    assert set(live["responses"]) == {"200"}
    assert set(ready["responses"]) == {"200", "503"}
    assert "database" in ready["description"]
