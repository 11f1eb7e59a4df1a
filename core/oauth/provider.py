"""OAuth: the scopes a client may get, how a client authenticates at /oauth/, and introspection.

Client authentication (ClientValidator, DOT's OAUTH2_VALIDATOR_CLASS) serves every /oauth/ endpoint
that takes a client's id and secret: token, revoke_token and introspect. Each attempt costs the same,
whether the id is a client's or not and whether the secret is right or wrong: one read of the id's
recent failures, one read of the client, one fast digest (core.oauth.hashers; a dummy digest when no
client has the id), and one write when it fails.

Failures are counted per client id tried in the database (ClientAuthFailure), the store every web
process shares, whatever the cache is (the per-phone SMS limits are counted there too, see
verifications/limits.py): after OAUTH_CLIENT_FAILED_LIMIT failures within
OAUTH_CLIENT_FAILED_WINDOW_SECONDS, every attempt with that id, even with the right secret, is a 429
with Retry-After until the oldest of them leaves the window. The check and the write are separate
statements: requests for one id running at the same moment may each get one attempt past the limit.
"""

import base64
import binascii
import functools
import hashlib
import math
from datetime import datetime, timedelta
from urllib.parse import unquote_plus, urlencode

from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.db import DataError
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.compat import login_not_required
from oauth2_provider.models import AccessToken, get_application_model
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import IntrospectTokenView
from oauthlib.common import Request as OauthlibRequest
from oauthlib.oauth2 import OAuth2Error

from core.api.errors import TooManyRequests
from core.models import ClientAuthFailure
from core.oauth.hashers import ClientSecretHasher
from core.oauth.scopes import SCOPES

TOO_MANY_FAILURES = "Too many failed authentications with this client id; retry later"
DELETE_BATCH = 1000


class ClientScopes(SettingsScopes):
    """A client may only ever get the scopes it was registered with."""

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return super().get_available_scopes(application, request, *args, **kwargs)
        return [scope for scope in application.scope_list if scope in SCOPES]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request, *args, **kwargs)


# --- failed client authentications ----------------------------------------------------------------


def client_failures_check(client_id: str, *, now: datetime) -> None:
    """Raise TooManyRequests when the id had OAUTH_CLIENT_FAILED_LIMIT failures within the window;
    Retry-After says when the oldest of them leaves it. Reads at most the limit's count of rows."""
    limit = settings.OAUTH_CLIENT_FAILED_LIMIT
    window = timedelta(seconds=settings.OAUTH_CLIENT_FAILED_WINDOW_SECONDS)
    latest = list(
        ClientAuthFailure.objects.filter(client_key=_client_key(client_id), created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(latest) >= limit:
        raise TooManyRequests(TOO_MANY_FAILURES, retry_after=math.ceil((latest[-1] + window - now).total_seconds()))


def client_failure_record(client_id: str, *, now: datetime) -> None:
    ClientAuthFailure.objects.create(client_key=_client_key(client_id), created_at=now)


def client_failures_delete_old(*, now: datetime) -> int:
    """Delete failures out of the window (`cleanup`), in batches; how many."""
    old = ClientAuthFailure.objects.filter(
        created_at__lte=now - timedelta(seconds=settings.OAUTH_CLIENT_FAILED_WINDOW_SECONDS)
    )
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:DELETE_BATCH])
        if ids:
            deleted += ClientAuthFailure.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < DELETE_BATCH:
            return deleted


def _client_key(client_id: str) -> str:
    return hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()


# --- client authentication ------------------------------------------------------------------------


class ClientThrottled(OAuth2Error):
    """A 429 in the /oauth/ endpoints' own error shape: `{"error": ..., "error_description": ...}`."""

    error = "too_many_requests"
    status_code = 429

    def __init__(self, *, retry_after: int, description: str, request=None):
        super().__init__(description=description, request=request)
        self.retry_after = retry_after

    @property
    def headers(self):
        return {"Retry-After": str(self.retry_after)}


class ClientValidator(OAuth2Validator):
    """DOT's validator, with a client's authentication of our own (see the module's docstring)."""

    def authenticate_client(self, request, *args, **kwargs):
        client_id, secret = client_credentials(request)
        if not client_id:
            return False
        now = timezone.now()
        try:
            client_failures_check(client_id, now=now)
        except TooManyRequests as refused:
            raise ClientThrottled(
                retry_after=refused.retry_after, description=str(refused.message), request=request
            ) from None
        client = _client(client_id)
        stored = client.client_secret if client is not None else _unknown_client_secret(_preferred_hasher().algorithm)
        matches, outdated = secret_matches(secret, stored)
        if client is None or not matches or not client.is_usable(request):
            client_failure_record(client_id, now=now)
            return False
        if outdated:
            _store_secret(client, secret, stored=stored)
        request.client = client
        return True


def client_credentials(request: OauthlibRequest) -> tuple[str, str]:
    """The client id and secret a request presents: HTTP Basic (each part form-urlencoded, RFC 6749
    §2.3.1), or else the body's `client_id` and `client_secret`. Empty strings for what is missing."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, colon, secret = decoded.partition(":")
        if colon:
            return unquote_plus(client_id), unquote_plus(secret)
    return getattr(request, "client_id", None) or "", getattr(request, "client_secret", None) or ""


def secret_matches(secret: str, stored: str) -> tuple[bool, bool]:
    """Whether `secret` is the one `stored` keeps, and whether, being right, it should be stored anew:
    digested by an older hasher (PBKDF2 before the fast digest) or with a key of SECRET_KEY_FALLBACKS.
    A secret kept in clear (DOT's hash_client_secret=False) is compared in constant time."""
    try:
        hasher = identify_hasher(stored)
    except ValueError:
        return bool(secret) and constant_time_compare(secret, stored), False
    if isinstance(hasher, ClientSecretHasher):
        key = hasher.matching_key(secret, stored)
        matches, old_key = key is not None, bool(key)
    else:
        matches, old_key = hasher.verify(secret, stored), False
    matches = matches and bool(secret)
    return matches, matches and (old_key or hasher.algorithm != _preferred_hasher().algorithm)


def _client(client_id: str):
    Client = get_application_model()
    try:
        return Client.objects.get(client_id=client_id)
    except (Client.DoesNotExist, ValueError, DataError):  # a NUL in the id: PostgreSQL's text cannot hold it
        return None


def _store_secret(client, secret: str, *, stored: str) -> None:
    """The right secret, stored anew with the preferred hasher, unless the client's secret changed meanwhile."""
    encoded = make_password(secret, hasher=_preferred_hasher())
    type(client).objects.filter(pk=client.pk, client_secret=stored).update(client_secret=encoded)
    client.client_secret = encoded


def _preferred_hasher():
    return get_hasher(oauth2_settings.CLIENT_SECRET_HASHER)


@functools.cache
def _unknown_client_secret(algorithm: str) -> str:
    """What an id no client has is checked against: a digest of a random secret, as costly to check."""
    return make_password(get_random_string(64), hasher=algorithm)


# --- introspection ----------------------------------------------------------------------------------


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class OwnTokenIntrospectView(View):
    """RFC 7662 introspection for a client about its own tokens only. The client authenticates with
    its id and secret (HTTP Basic or the form body); another client's token, like an unknown one,
    is `{"active": false}`, so a client learns nothing about anyone else's tokens."""

    http_method_names = ["post"]

    def post(self, request):
        oauthlib_request = _oauthlib_request(request)
        try:
            authenticated = get_oauthlib_core().server.request_validator.authenticate_client(oauthlib_request)
        except ClientThrottled as refused:
            return HttpResponse(
                refused.json, status=refused.status_code, content_type="application/json", headers=refused.headers
            )
        if not authenticated:
            return JsonResponse({"error": "invalid_client"}, status=401, headers={"WWW-Authenticate": "Basic"})
        token_value = request.POST.get("token")
        if not token_value:
            return IntrospectTokenView.get_token_response(None)
        checksum = hashlib.sha256(token_value.encode()).hexdigest()
        if not AccessToken.objects.filter(token_checksum=checksum, application=oauthlib_request.client).exists():
            return JsonResponse({"active": False})
        return IntrospectTokenView.get_token_response(token_value)


def _oauthlib_request(request) -> OauthlibRequest:
    core = get_oauthlib_core()
    body = urlencode(core.extract_body(request))
    return OauthlibRequest(request.get_full_path(), request.method, body, core.extract_headers(request))
