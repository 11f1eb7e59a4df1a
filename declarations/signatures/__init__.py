"""Verification of a doctor's qualified electronic signature over a declaration, by the backend that
the `SIGNATURE_BACKEND` setting names (like Django's email backends): `cms` (X.509 CMS SignedData,
RSA and ECDSA, verified here) or `http` (an external service, for Ukraine's DSTU 4145 signatures), or
a dotted path to a class. docs/declarations-sign.md tells how each works and why.

A backend answers what was signed and who signed it, or refuses with one of the messages below.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop as _

from core.api.errors import ApiError

BACKENDS = {
    "cms": "declarations.signatures.cms.CmsBackend",
    "http": "declarations.signatures.http.HttpBackend",
}

INVALID_SIGNATURE = _("Invalid signature")
NOT_ONE_SIGNATURE = _("Document must contain 1 signature")
UNAVAILABLE = _("Signature verification is unavailable")


class SignatureRefused(Exception):
    """The signed document is not acceptable; `message` says why (one of the messages above)."""

    def __init__(self, message: str = INVALID_SIGNATURE):
        self.message = message
        super().__init__(message)


class SignatureUnavailable(ApiError):
    """The signature could not be checked at all (the external service is down, nothing is trusted):
    not the client's fault, so 503; the client may try again."""

    status = 503
    message = UNAVAILABLE


@dataclass(frozen=True)
class SignedDocument:
    """What a valid signature covers (`content`, the bytes signed) and the signer's DRFO as their
    certificate states it (`drfo`, "" when it states none)."""

    content: bytes
    drfo: str


class SignatureBackend:
    def verify(self, signed: bytes) -> SignedDocument:
        """The document inside `signed` (a CMS SignedData, DER) if it holds exactly one valid signature
        by a trusted certificate; else SignatureRefused (or SignatureUnavailable)."""
        raise NotImplementedError


def get_backend() -> SignatureBackend:
    """`SIGNATURE_BACKEND` is a short name from BACKENDS or a dotted path to a backend class."""
    name = settings.SIGNATURE_BACKEND
    return import_string(BACKENDS.get(name, name))()


def verify(signed: bytes) -> SignedDocument:
    return get_backend().verify(signed)


# A Ukrainian qualified certificate names its holder's DRFO in the subject's serialNumber, as
# "TINUA-1234567890" (ETSI EN 319 412-1's semantics identifier) or, in older ones, the bare number.
_TIN_PREFIX = re.compile(r"^TINUA-", re.IGNORECASE)


def drfo_normalized(value: str | None) -> str:
    """A DRFO as compared: without the "TINUA-" prefix and spaces, upper case (a passport number has
    letters); "" for none."""
    return _TIN_PREFIX.sub("", (value or "").strip()).replace(" ", "").upper()
