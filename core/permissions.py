from rest_framework import exceptions
from rest_framework.permissions import BasePermission

MISSING_ALLOWANCES = "Your scope does not allow to access this resource. Missing allowances: {}"


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


class HasActionScope(BasePermission):
    """Needs a token whose scopes include every scope the action declares. Fails closed."""

    def has_permission(self, request, view):
        token = request.auth
        if token is None:
            raise exceptions.NotAuthenticated()
        scopes = required_scopes(view)
        if scopes is None:  # an action without a declared scope is a programming error: deny
            raise exceptions.PermissionDenied(MISSING_ALLOWANCES.format("unknown"))
        missing = [scope for scope in scopes if scope not in token.scope.split()]
        if missing:
            raise exceptions.PermissionDenied(MISSING_ALLOWANCES.format(", ".join(missing)))
        return True
