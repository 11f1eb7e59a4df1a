from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from oauth2_provider import views as oauth
from rest_framework.permissions import AllowAny

from core.api.views import api_not_found, health, health_live, health_ready
from core.oauth.provider import OwnTokenIntrospectView

oauth_endpoints = [
    path("authorize/", oauth.AuthorizationView.as_view(), name="authorize"),
    path("token/", oauth.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth.RevokeTokenView.as_view(), name="revoke-token"),
    # a client may introspect only its own tokens; revocation is limited to one's own by the toolkit
    path("introspect/", OwnTokenIntrospectView.as_view(), name="introspect"),
]
public = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # the back office's language switch (setlang)
    # Only the OAuth endpoints: clients are registered by `create_client`, never from a web page.
    path("oauth/", include((oauth_endpoints, "oauth2_provider"))),
    path("api/health", health, name="health"),
    path("api/health/live", health_live, name="health-live"),
    path("api/health/ready", health_ready, name="health-ready"),
    path("api/schema/", SpectacularAPIView.as_view(**public), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema", **public), name="docs"),
    path("api/", include("core.urls")),
    path("api/", include("verifications.urls")),
    path("api/", include("persons.urls")),
    path("api/", include("declarations.urls")),
    path("api/", include("approvals.urls")),
    # Keep last: any other /api/ path (an unknown route, an id that is not a UUID) is the 404
    # envelope in every mode; with DEBUG, Django would answer its HTML page listing every route.
    re_path(r"^api/", api_not_found),
]

handler400 = "core.api.views.bad_request"
handler403 = "core.backoffice.views.permission_denied"
handler404 = "core.api.views.page_not_found"
handler500 = "core.api.views.server_error"
