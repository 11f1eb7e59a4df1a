"""The OAuth endpoints between two clients: each may introspect and revoke only its own tokens."""

import pytest
from rest_framework.test import APIClient

from core.services import client_create, token_issue

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
