from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

MISSING_ALLOWANCES = _("Your scope does not allow to access this resource. Missing allowances: {}")


def required_scopes(view) -> list[str] | None:
    """The scopes of the view's current action: `scope_map[action]`, or `required_scopes` on a plain view."""
    scope_map = getattr(view, "scope_map", None)
    if scope_map is not None:
        scopes = scope_map.get(getattr(view, "action", None))
    else:
        scopes = getattr(view, "required_scopes", None)
    if isinstance(scopes, str):
        return [scopes]
    return scopes


def handles_method(view, method: str) -> bool:
    """Whether the view answers this HTTP method at all (a viewset only has its routed actions)."""
    name = method.lower()
    return name in view.http_method_names and hasattr(view, name)


class HasActionScope(BasePermission):
    """Needs a token whose scopes include every scope the action declares. Fails closed.

    A method the route does not have is 405 before any scope is asked for (its action has no
    scope), and `OPTIONS` needs no token: it only lists the route's methods."""

    def has_permission(self, request, view):
        if not handles_method(view, request.method):
            raise exceptions.MethodNotAllowed(request.method)
        if request.method == "OPTIONS":
            return True
        token = request.auth
        if token is None:
            raise exceptions.NotAuthenticated()
        scopes = required_scopes(view)
        if scopes is None:  # an action without a declared scope is a programming error: deny
            raise exceptions.PermissionDenied(gettext(MISSING_ALLOWANCES).format("unknown"))
        missing = [scope for scope in scopes if scope not in token.scope.split()]
        if missing:
            raise exceptions.PermissionDenied(gettext(MISSING_ALLOWANCES).format(", ".join(missing)))
        return True
