"""Fixtures every suite shares: API clients with real OAuth tokens and API keys."""

from dataclasses import dataclass

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.oauth.scopes import SCOPES
from core.oauth.services import client_create, token_issue

# who acts, in tests that call a service directly: an id, as the API and the back office pass it
ACTOR = "3f6c2d0e-7b1a-4c5e-9d8f-0a1b2c3d4e5f"


@dataclass
class Caller:
    """An MIS as the API sees it: its client row, API key, token, and a DRF test client using both."""

    client: object
    api_key: str
    token: str
    http: APIClient

    def __getattr__(self, name):  # caller.get(...), caller.post(...), ...
        return getattr(self.http, name)


def make_caller(*, scopes=None, legal_entity_id=None, name="Test MIS") -> Caller:
    scopes = list(SCOPES) if scopes is None else scopes
    new = client_create(name=name, scopes=list(SCOPES), legal_entity_id=legal_entity_id)
    token = token_issue(client=new.client, scopes=scopes)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token.value}", HTTP_API_KEY=new.api_key)
    return Caller(client=new.client, api_key=new.api_key, token=token.value, http=http)


@pytest.fixture
def caller(db) -> Caller:
    """A client of one legal entity whose token has every scope."""
    return make_caller()


@pytest.fixture
def caller_factory(db):
    return make_caller


@pytest.fixture
def database_tasks(settings):
    """Tasks go to the database queue, for a real worker process (tests/workers.py) to run."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
    if connection.vendor != "postgresql":
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


def verify_phone(client, phone_number: str) -> None:
    """The phone as `client` verified it through the verification endpoints (its own code, VERIFIED):
    what an MIS does before the phone becomes an OTP method (intake, INSERT OTP)."""
    from django.utils import timezone

    from verifications.models import Verification

    Verification.objects.create(
        phone_number=phone_number,
        kind="verification",
        client=client,
        status=Verification.Status.VERIFIED,
        code_digest="",
        code_expired_at=timezone.now(),
    )
