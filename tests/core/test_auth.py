"""OAuth2 bearer tokens, the Api-key header and scopes: every 401/403, verbatim."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from tests.conftest import make_caller

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.probe_urls")]

URL = "/api/probe/scoped"


def error(response):
    return response.status_code, response.json()["error"]


def test_valid_token_and_api_key_pass(caller):
    response = caller.get(URL)
    assert response.status_code == 200
    assert response.json()["data"] == {"client": caller.client.client_id}


def test_no_token_is_401_access_denied(anonymous):
    status, body = error(anonymous.get(URL))
    assert status == 401
    assert body["type"] == "access_denied"


def test_unknown_token_is_401(caller):
    caller.http.credentials(HTTP_AUTHORIZATION="Bearer nope", HTTP_API_KEY=caller.api_key)
    assert error(caller.get(URL)) == (401, {"type": "access_denied", "message": "Invalid or expired access token"})


def test_expired_token_is_401(caller):
    AccessToken.objects.filter(token_checksum=hashlib.sha256(caller.token.encode()).hexdigest()).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    assert error(caller.get(URL)) == (401, {"type": "access_denied", "message": "Invalid or expired access token"})


def test_a_token_is_checked_with_one_query(caller, django_assert_num_queries):
    with django_assert_num_queries(1):  # the token and its client, by the token's checksum
        assert caller.get(URL).status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "bearer  nope", "Bearer a b"])
def test_a_malformed_bearer_header_is_401(caller, header):
    caller.http.credentials(HTTP_AUTHORIZATION=header, HTTP_API_KEY=caller.api_key)
    assert error(caller.get(URL)) == (401, {"type": "access_denied", "message": "Invalid or expired access token"})


def test_a_token_restricted_to_another_resource_is_401(caller):
    AccessToken.objects.filter(token_checksum=hashlib.sha256(caller.token.encode()).hexdigest()).update(
        resource=["https://elsewhere.example/api"]
    )
    assert error(caller.get(URL)) == (401, {"type": "access_denied", "message": "Invalid or expired access token"})


def test_missing_api_key_is_401(caller):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.token}")
    assert error(http.get(URL)) == (401, {"type": "access_denied", "message": "API-KEY header required"})


def test_api_key_of_another_client_is_401(caller):
    other = make_caller(name="Other MIS")
    caller.http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.token}", HTTP_API_KEY=other.api_key)
    assert error(caller.get(URL)) == (401, {"type": "access_denied", "message": "Invalid api key"})


def test_401_carries_bearer_challenge(anonymous):
    assert anonymous.get(URL)["WWW-Authenticate"].startswith("Bearer")


def test_missing_scope_is_403_with_exact_message(caller_factory):
    caller = caller_factory(scopes=["otp:write"])
    assert error(caller.get(URL)) == (
        403,
        {
            "type": "forbidden",
            "message": "Your scope does not allow to access this resource. Missing allowances: otp:read",
        },
    )


def test_client_credentials_grant_gives_only_allowed_scopes(db):
    from core.oauth.services import client_create

    new = client_create(name="MIS", scopes=["otp:read"])
    # the secret is hashed by django-oauth-toolkit; only the clear value printed once can authenticate
    response = APIClient().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "scope": "otp:read"},
        HTTP_AUTHORIZATION=_basic(new.client.client_id, new.client_secret),
    )
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["scope"] == "otp:read"
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}", HTTP_API_KEY=new.api_key)
    assert http.get(URL).status_code == 200

    refused = APIClient().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "scope": "otp:write"},
        HTTP_AUTHORIZATION=_basic(new.client.client_id, new.client_secret),
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"


def test_api_key_is_stored_only_as_digest(caller):
    caller.client.refresh_from_db()
    assert caller.api_key not in caller.client.api_key_digest
    assert len(caller.client.api_key_digest) == 64


def _basic(client_id, secret):
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_authorization_code_with_pkce_through_the_admin_login(client, django_user_model):
    """A person at an MIS logs in with their back-office account and the MIS gets a token for them."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlparse

    from core.oauth.services import client_create

    new = client_create(name="MIS", scopes=["otp:read"], redirect_uris="https://mis.example.org/callback")
    user = django_user_model.objects.create_user("doctor", password="pw")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": new.client.client_id,
        "redirect_uri": "https://mis.example.org/callback",
        "scope": "otp:read",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "xyz",
    }
    login = client.get("/oauth/authorize/", query)
    assert login.status_code == 302
    assert login["Location"].startswith("/admin/login/")

    client.force_login(user)
    assert client.get("/oauth/authorize/", query).status_code == 200  # the consent page
    allowed = client.post("/oauth/authorize/", {**query, "allow": "Authorize"})
    assert allowed.status_code == 302
    redirect = urlparse(allowed["Location"])
    code = parse_qs(redirect.query)["code"][0]

    token = APIClient().post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://mis.example.org/callback",
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=_basic(new.client.client_id, new.client_secret),
    )
    assert token.status_code == 200, token.content
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}", HTTP_API_KEY=new.api_key)
    assert http.get(URL).status_code == 200


def test_clients_cannot_be_registered_from_a_web_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("clerk", password="pw", is_staff=True))
    assert client.get("/oauth/applications/register/").status_code == 404
    assert client.get("/oauth/authorized_tokens/").status_code == 404
