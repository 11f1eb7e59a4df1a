"""The admin login's lockout (django-axes, configured in config/settings.py): whose address a login
attempt comes from."""

from django.conf import settings


def client_ip(request) -> str:
    """The address of whoever sent the request: REMOTE_ADDR without proxies in front of the service,
    otherwise the one the outermost of the TRUSTED_PROXY_COUNT proxies saw, taken from the right of
    X-Forwarded-For (what a client writes at its left is never trusted)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies <= 0 or not forwarded:
        return request.META.get("REMOTE_ADDR", "")
    return forwarded[-min(proxies, len(forwarded))]
