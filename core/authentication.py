from django.utils.translation import gettext_noop as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions

API_KEY_REQUIRED = _("API-KEY header required")
INVALID_API_KEY = _("Invalid api key")
INVALID_TOKEN = _("Invalid or expired access token")


class ClientTokenAuthentication(OAuth2Authentication):
    """A bearer token of django-oauth-toolkit plus the `Api-key` header of the token's own client."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            if request.headers.get("Authorization", "").lower().startswith("bearer "):
                raise exceptions.AuthenticationFailed(INVALID_TOKEN)
            return None
        api_key = request.headers.get("Api-key")
        if not api_key:
            raise exceptions.AuthenticationFailed(API_KEY_REQUIRED)
        token = result[1]
        if not token.application.has_api_key(api_key):
            raise exceptions.AuthenticationFailed(INVALID_API_KEY)
        return result
