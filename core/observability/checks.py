"""System checks: settings every start needs, and those of `manage.py check --deploy` (fine on a laptop,
wrong in production)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

NOT_DELIVERED = {
    "file": "writes each SMS, its code in clear, to SMS_FILE_PATH",
    "console": "prints each SMS, its code in clear, to the worker's output",
}


@register(Tags.security, deploy=True)
def check_sms_backend(app_configs, **kwargs):
    """Patients get no SMS with the development backends, and their codes end up readable."""
    reason = NOT_DELIVERED.get(settings.SMS_BACKEND)
    if reason is None:
        return []
    return [
        Warning(
            f"SMS_BACKEND is {settings.SMS_BACKEND!r}: no SMS reaches a patient; it {reason}.",
            hint="Set SMS_BACKEND=http with SMS_HTTP_URL and SMS_HTTP_TOKEN of your SMS gateway.",
            id="core.W001",
        )
    ]


@register(Tags.security)
def check_client_secret_hasher(app_configs, **kwargs):
    """Client secrets need the fast digest (core.oauth.hashers) listed in PASSWORD_HASHERS, but never first:
    the first hashes people's passwords. Unlisted, a stored digest is not recognized (no secret verifies,
    and DOT digests the digest again on each save)."""
    from django.contrib.auth.hashers import get_hasher, get_hashers
    from oauth2_provider.settings import oauth2_settings

    from core.oauth.hashers import ClientSecretHasher

    try:
        hasher = get_hasher(oauth2_settings.CLIENT_SECRET_HASHER)
    except ValueError:
        hasher = None
    if not isinstance(hasher, ClientSecretHasher):
        return [
            Error(
                f"OAUTH2_PROVIDER['CLIENT_SECRET_HASHER'] is {oauth2_settings.CLIENT_SECRET_HASHER!r}: client secrets "
                "need the fast digest, listed in PASSWORD_HASHERS.",
                hint=f"Name {ClientSecretHasher.algorithm!r}; list core.oauth.hashers.ClientSecretHasher in "
                "PASSWORD_HASHERS",
                id="core.E001",
            )
        ]
    if isinstance(get_hashers()[0], ClientSecretHasher):
        return [
            Error(
                "core.oauth.hashers.ClientSecretHasher is the first of PASSWORD_HASHERS: people's passwords would "
                "get it.",
                hint="List a password hasher (PBKDF2, Argon2) first.",
                id="core.E002",
            )
        ]
    return []
