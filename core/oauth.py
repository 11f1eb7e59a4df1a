import hashlib

from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.compat import login_not_required
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.scopes import SettingsScopes
from oauth2_provider.views import IntrospectTokenView
from oauthlib.common import Request as OauthlibRequest

from core.scopes import SCOPES


class ClientScopes(SettingsScopes):
    """A client may only ever get the scopes it was registered with."""

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return super().get_available_scopes(application, request, *args, **kwargs)
        return [scope for scope in application.scope_list if scope in SCOPES]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request, *args, **kwargs)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class OwnTokenIntrospectView(View):
    """RFC 7662 introspection for a client about its own tokens only. The client authenticates with
    its id and secret (HTTP Basic or the form body); another client's token, like an unknown one,
    is `{"active": false}`, so a client learns nothing about anyone else's tokens."""

    http_method_names = ["post"]

    def post(self, request):
        oauthlib_request = _oauthlib_request(request)
        if not get_oauthlib_core().server.request_validator.authenticate_client(oauthlib_request):
            return JsonResponse({"error": "invalid_client"}, status=401, headers={"WWW-Authenticate": "Basic"})
        token_value = request.POST.get("token")
        if not token_value:
            return IntrospectTokenView.get_token_response(None)
        checksum = hashlib.sha256(token_value.encode()).hexdigest()
        if not AccessToken.objects.filter(token_checksum=checksum, application=oauthlib_request.client).exists():
            return JsonResponse({"active": False})
        return IntrospectTokenView.get_token_response(token_value)


def _oauthlib_request(request) -> OauthlibRequest:
    uri, http_method, body, headers = get_oauthlib_core()._extract_params(request)
    return OauthlibRequest(uri, http_method, body, headers)
