import hashlib

from django.utils import timezone
from django.utils.translation import gettext_noop as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model, get_application_model
from rest_framework import exceptions

from core.db.hot_reads import Read, Table

API_KEY_REQUIRED = _("API-KEY header required")
INVALID_API_KEY = _("Invalid api key")
INVALID_TOKEN = _("Invalid or expired access token")


TOKEN_WITH_CLIENT = Read(
    Table(get_access_token_model(), "t"),
    Table(get_application_model(), "a"),
    sql="FROM {t} t JOIN {a} a ON {a.c.id} = {t.c.application} WHERE {t.c.token_checksum} = %s",
)


def access_token_for(value: str):
    """The unexpired access token with this bearer value, with its client: one indexed lookup.

    django-oauth-toolkit stores only the SHA-256 checksum of a token; this is the lookup its own
    validator makes, without parsing the whole request through oauthlib first. A token without a
    client (none is issued so) is no token here.
    """
    found = TOKEN_WITH_CLIENT.one([hashlib.sha256(value.encode()).hexdigest()])
    if found is None:
        return None
    token, client = found
    token.application = client
    return None if token.expires <= timezone.now() else token


class ClientTokenAuthentication(OAuth2Authentication):
    """A bearer token of django-oauth-toolkit plus the `Api-key` header of the token's own client.

    Tokens restricted to a resource (RFC 8707) are not issued here, so none is accepted.
    """

    def authenticate(self, request):
        scheme, _space, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = access_token_for(value.strip())
        if token is None or token.resource or not token.application.is_usable(request):
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        api_key = request.headers.get("Api-key")
        if not api_key:
            raise exceptions.AuthenticationFailed(API_KEY_REQUIRED)
        if not token.application.has_api_key(api_key):
            raise exceptions.AuthenticationFailed(INVALID_API_KEY)
        return token.user, token
