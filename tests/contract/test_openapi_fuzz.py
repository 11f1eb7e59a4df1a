"""Schemathesis over our own OpenAPI document: nothing a client sends may produce a 500,
and every answer must match what the document promises."""

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Calling the WSGI app directly fires request_finished, which would close the connection that
    holds the test's transaction; Django's own test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_answers_within_its_contract(case, caller):
    if case.headers and "Idempotency-Key" in case.headers:
        # every example is a new request: a generated key reused with another body is a (documented) 422
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    case.call_and_validate(headers={"Authorization": f"Bearer {caller.token}", "Api-key": caller.api_key})
