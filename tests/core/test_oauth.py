"""The OAuth endpoints between two clients: each may introspect and revoke only its own tokens."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import Client, ClientAuthFailure
from core.oauth.hashers import ClientSecretHasher
from core.oauth.provider import client_failures_delete_old
from core.oauth.services import client_create, token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients():
    a = client_create(name="MIS A", scopes=["otp:read"])
    b = client_create(name="MIS B", scopes=["otp:read"])
    return a, b


def as_client(new) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=_basic(new.client.client_id, new.client_secret))
    return http


def _basic(client_id, secret) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def introspect(http, token):
    return http.post("/oauth/introspect/", {"token": token}, format="multipart")


def test_a_client_introspects_its_own_token(clients):
    a, _ = clients
    token = token_issue(client=a.client, scopes=["otp:read"])
    response = introspect(as_client(a), token.value)
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == a.client.client_id
    assert body["scope"] == "otp:read"


def test_another_clients_token_is_inactive_to_it(clients):
    a, b = clients
    token_b = token_issue(client=b.client, scopes=["otp:read"])
    assert introspect(as_client(a), token_b.value).json() == {"active": False}
    assert introspect(as_client(b), token_b.value).json()["active"] is True


def test_unknown_token_is_inactive(clients):
    assert introspect(as_client(clients[0]), "nope").json() == {"active": False}


def test_introspection_needs_the_clients_own_credentials(clients):
    a, b = clients
    token_a = token_issue(client=a.client, scopes=["otp:read"])
    anonymous = APIClient()
    assert introspect(anonymous, token_a.value).status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=_basic(a.client.client_id, b.client_secret))
    assert introspect(wrong, token_a.value).status_code == 401
    bearer = APIClient()  # a bearer token is not a client's credentials
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {token_a.value}")
    assert introspect(bearer, token_a.value).status_code == 401


def test_get_is_not_allowed(clients):
    a, _ = clients
    token_a = token_issue(client=a.client, scopes=["otp:read"])
    assert as_client(a).get("/oauth/introspect/", {"token": token_a.value}).status_code == 405


def test_a_client_cannot_revoke_another_clients_token(clients):
    a, b = clients
    token_b = token_issue(client=b.client, scopes=["otp:read"])
    response = as_client(a).post("/oauth/revoke_token/", {"token": token_b.value}, format="multipart")
    assert response.status_code == 200  # RFC 7009: the same answer as for an unknown token
    assert introspect(as_client(b), token_b.value).json()["active"] is True
    user_b = APIClient()
    user_b.credentials(HTTP_AUTHORIZATION=f"Bearer {token_b.value}", HTTP_API_KEY=b.api_key)
    assert user_b.get("/api/verifications/+380501234567").status_code != 401


def test_a_client_revokes_its_own_token(clients):
    _, b = clients
    token_b = token_issue(client=b.client, scopes=["otp:read"])
    assert as_client(b).post("/oauth/revoke_token/", {"token": token_b.value}, format="multipart").status_code == 200
    assert introspect(as_client(b), token_b.value).json() == {"active": False}


# --- client secrets: a fast digest, and failed authentications throttled per client id ---------------


def token_request(client_id, secret, **extra):
    return APIClient().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "scope": "otp:read"},
        HTTP_AUTHORIZATION=_basic(client_id, secret),
        **extra,
    )


@pytest.fixture
def failure_limit(settings):
    settings.OAUTH_CLIENT_FAILED_LIMIT = 3
    settings.OAUTH_CLIENT_FAILED_WINDOW_SECONDS = 60
    return 3


def test_a_secret_is_stored_as_the_fast_keyed_digest(clients):
    a, _ = clients
    a.client.refresh_from_db()
    stored = a.client.client_secret
    assert stored.startswith(f"{ClientSecretHasher.algorithm}$")
    assert not stored.startswith("pbkdf2")
    assert a.client_secret not in stored
    assert ClientSecretHasher().verify(a.client_secret, stored)
    assert not ClientSecretHasher().verify(a.client_secret + "x", stored)
    a.client.save()  # DOT recognizes the digest as hashed: it is not digested again
    a.client.refresh_from_db()
    assert a.client.client_secret == stored


def test_the_production_settings_name_the_fast_digest_for_client_secrets():
    """config/test_settings.py lists its own PASSWORD_HASHERS: the production list is checked here."""
    import config.settings as production

    assert production.OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"] == ClientSecretHasher.algorithm
    assert "core.oauth.hashers.ClientSecretHasher" in production.PASSWORD_HASHERS
    assert production.PASSWORD_HASHERS[0] != "core.oauth.hashers.ClientSecretHasher"  # people's passwords stay slow
    assert production.OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"] == "core.oauth.provider.ClientValidator"


def test_the_system_check_refuses_a_client_secret_hasher_that_is_not_listed(settings):
    from core.observability.checks import check_client_secret_hasher

    assert check_client_secret_hasher(None) == []
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert [error.id for error in check_client_secret_hasher(None)] == ["core.E001"]
    settings.PASSWORD_HASHERS = [
        "core.oauth.hashers.ClientSecretHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert [error.id for error in check_client_secret_hasher(None)] == ["core.E002"]


def test_the_right_secret_gets_a_token_a_wrong_one_401(clients):
    a, b = clients
    assert token_request(a.client.client_id, a.client_secret).status_code == 200
    wrong = token_request(a.client.client_id, b.client_secret)
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


def test_after_the_limit_the_client_id_gets_429_with_retry_after(clients, failure_limit):
    a, b = clients
    for _ in range(failure_limit):
        assert token_request(a.client.client_id, "wrong").status_code == 401
    refused = token_request(a.client.client_id, a.client_secret)  # even the right secret now
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # the other endpoints that authenticate the client refuse it too
    token_b = token_issue(client=b.client, scopes=["otp:read"])
    refused_introspect = introspect(as_client(a), token_b.value)
    assert refused_introspect.status_code == 429 and refused_introspect.json()["error"] == "too_many_requests"
    assert 1 <= int(refused_introspect["Retry-After"]) <= 60
    refused_revoke = as_client(a).post("/oauth/revoke_token/", {"token": "x"}, format="multipart")
    assert refused_revoke.status_code == 429 and refused_revoke.json()["error"] == "too_many_requests"
    assert "Retry-After" in refused_revoke
    # another client id is not affected
    assert token_request(b.client.client_id, b.client_secret).status_code == 200
    assert introspect(as_client(b), token_b.value).json()["active"] is True


def test_failures_in_the_body_count_too(clients, failure_limit):
    a, _ = clients
    for _ in range(failure_limit):
        response = APIClient().post(
            "/oauth/token/",
            {"grant_type": "client_credentials", "client_id": a.client.client_id, "client_secret": "wrong"},
        )
        assert response.status_code == 401
    assert token_request(a.client.client_id, a.client_secret).status_code == 429


def test_the_window_passes(clients, failure_limit):
    a, _ = clients
    for _ in range(failure_limit):
        token_request(a.client.client_id, "wrong")
    assert token_request(a.client.client_id, a.client_secret).status_code == 429
    ClientAuthFailure.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert token_request(a.client.client_id, a.client_secret).status_code == 200
    assert client_failures_delete_old(now=timezone.now()) == failure_limit
    assert not ClientAuthFailure.objects.exists()


def test_an_unknown_client_id_gets_the_same_answers(clients, failure_limit):
    a, _ = clients
    known = token_request(a.client.client_id, "wrong")
    unknown = token_request("no-such-client", "wrong")
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert known.json() == {"error": "invalid_client"}
    for _ in range(failure_limit - 1):
        token_request("no-such-client", "wrong")
    refused = token_request("no-such-client", "wrong")
    assert refused.status_code == 429
    assert token_request("nul\x00id", "wrong").status_code == 401  # which PostgreSQL cannot even look up
    assert refused.json()["error"] == "too_many_requests"
    assert "Retry-After" in refused


def test_an_unknown_client_id_takes_the_same_path(clients, monkeypatch):
    """The same statements (but for their values) and one digest check each, known id or not."""
    a, _ = clients
    checked = []
    original = ClientSecretHasher.matching_key
    monkeypatch.setattr(
        ClientSecretHasher, "matching_key", lambda self, *args: checked.append(1) or original(self, *args)
    )

    def statements(client_id):
        with CaptureQueriesContext(connection) as queries:
            assert token_request(client_id, "wrong").status_code == 401
        return [re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"]) for query in queries.captured_queries]

    known, unknown = statements(a.client.client_id), statements("no-such-client")
    assert known == unknown
    assert len(checked) == 2


def test_an_old_pbkdf2_secret_still_authenticates_and_is_upgraded(clients, settings):
    settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    a, _ = clients
    old = PBKDF2PasswordHasher().encode(a.client_secret, "somesalt", iterations=1000)  # as stored before
    Client.objects.filter(pk=a.client.pk).update(client_secret=old)
    assert token_request(a.client.client_id, "wrong").status_code == 401
    Client.objects.filter(pk=a.client.pk).update(client_secret=old)  # a wrong secret changes nothing
    assert token_request(a.client.client_id, a.client_secret).status_code == 200
    a.client.refresh_from_db()
    assert a.client.client_secret.startswith(f"{ClientSecretHasher.algorithm}$")
    assert token_request(a.client.client_id, a.client_secret).status_code == 200


def test_a_secret_digested_with_a_previous_secret_key_still_works_and_is_redigested(clients, settings):
    a, _ = clients
    a.client.refresh_from_db()
    digested_with_old_key = a.client.client_secret
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    assert token_request(a.client.client_id, a.client_secret).status_code == 200
    a.client.refresh_from_db()
    assert a.client.client_secret != digested_with_old_key
    assert ClientSecretHasher().matching_key(a.client_secret, a.client.client_secret) == 0
    settings.SECRET_KEY_FALLBACKS = []
    assert token_request(a.client.client_id, a.client_secret).status_code == 200
