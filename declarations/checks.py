"""System checks of the declarations app: what makes every sign of a declaration request fail."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register

from declarations.signatures import BACKENDS


@register(Tags.security, deploy=True)
def check_signature_settings(app_configs, **kwargs):
    """`cms` needs the trusted CA certificates; `http` its service's URL. Without them every sign answers
    503 (a deployment that does not sign yet may leave SIGNATURE_TRUSTED_CERTS empty; one that names a
    file must name a real one); the development CA must never be what production trusts."""
    backend = settings.SIGNATURE_BACKEND
    if backend == "http" and not settings.SIGNATURE_HTTP_URL.startswith(("https://", "http://")):
        return [
            Warning(
                "SIGNATURE_BACKEND is 'http' but SIGNATURE_HTTP_URL is not an http(s) URL: every sign fails.",
                hint="Set SIGNATURE_HTTP_URL to the signature service's verification endpoint.",
                id="declarations.W002",
            )
        ]
    if backend != "cms":
        return [] if backend in BACKENDS or "." in backend else [_unknown(backend)]
    trusted = settings.SIGNATURE_TRUSTED_CERTS
    if not trusted:
        return []
    if not Path(trusted).is_file():
        return [
            Warning(
                f"SIGNATURE_TRUSTED_CERTS is {trusted!r}, not a file: every sign of a declaration request fails.",
                hint="Set it to a PEM file of the CA certificates doctors' signing certificates chain to.",
                id="declarations.W001",
            )
        ]
    if Path(trusted).resolve() == (Path(settings.SIGNATURE_DEV_CA_DIR) / "ca.pem").resolve():
        return [
            Warning(
                "SIGNATURE_TRUSTED_CERTS is the development CA: anyone with var/dev-ca/ signs as any doctor.",
                hint="Trust the qualified trust services' CA certificates instead.",
                id="declarations.W003",
            )
        ]
    return []


def _unknown(backend: str) -> Warning:
    return Warning(
        f"SIGNATURE_BACKEND is {backend!r}: neither {' nor '.join(BACKENDS)} nor a dotted path.",
        id="declarations.W004",
    )
