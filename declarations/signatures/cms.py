"""`SIGNATURE_BACKEND = "cms"`: an X.509 CMS (PKCS#7) SignedData, its content inside (not detached),
verified here by pyHanko (RFC 5652: the signed attributes' content type and message digest, the
signature over them, RSA PKCS#1 v1.5 or PSS, ECDSA, EdDSA) and pyhanko-certvalidator (RFC 5280: a path
from the signer's certificate to one of `SIGNATURE_TRUSTED_CERTS`, every certificate valid now, CA
flags and key usage, the signer's key usage allowing signatures). No revocation is fetched (no CRL, no
OCSP): see docs/declarations-sign.md.
"""

import asyncio
import logging
from functools import lru_cache
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from declarations.signatures import (
    NOT_ONE_SIGNATURE,
    SignatureBackend,
    SignatureRefused,
    SignatureUnavailable,
    SignedDocument,
)

logger = logging.getLogger(__name__)

# a signing certificate: either usage says its key makes signatures (qualified ones carry both)
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


class CmsBackend(SignatureBackend):
    def verify(self, signed: bytes) -> SignedDocument:
        roots = trusted_certificates()
        signed_data, content = _parse(signed)
        try:
            status = asyncio.run(
                async_validate_cms_signature(
                    signed_data,
                    validation_context=ValidationContext(
                        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
                    ),
                    key_usage_settings=KEY_USAGE,
                )
            )
        except Exception as error:  # pyHanko's own are ValueErrors, but a malformed document also raises
            # others from deep inside (an unknown digest OID: AttributeError); never the client's 500
            logger.info("signature refused: %s: %s", type(error).__name__, error)
            raise SignatureRefused() from error
        if not status.trusted:  # intact, valid and chained to a trusted certificate
            logger.info("signature refused: %s", status.summary())
            raise SignatureRefused()
        return SignedDocument(content=content, drfo=_serial_number(status.signing_cert))


def _parse(signed: bytes) -> tuple[cms.SignedData, bytes]:
    """The SignedData and its content; exactly one signer."""
    try:
        info = cms.ContentInfo.load(signed, strict=True)
        if info["content_type"].native != "signed_data":
            raise SignatureRefused()
        signed_data = info["content"]
        signers = len(signed_data["signer_infos"])
        content = signed_data["encap_content_info"]["content"]
        content = None if content.native is None else bytes(content)
    except Exception as error:  # not DER, not CMS: asn1crypto parses lazily and raises what it meets
        raise SignatureRefused() from error
    if signers != 1:
        raise SignatureRefused(NOT_ONE_SIGNATURE)
    if content is None:  # detached: nothing here says what was signed
        raise SignatureRefused()
    return signed_data, content


def _serial_number(certificate: asn1_x509.Certificate) -> str:
    value = certificate.subject.native.get("serial_number", "")
    return value if isinstance(value, str) else ""


def trusted_certificates() -> list[asn1_x509.Certificate]:
    """The certificates of `SIGNATURE_TRUSTED_CERTS` (a PEM file), read again when the file changes."""
    path = Path(settings.SIGNATURE_TRUSTED_CERTS) if settings.SIGNATURE_TRUSTED_CERTS else None
    try:
        stat = path.stat() if path else None
    except OSError:
        stat = None
    if stat is None:
        logger.error("SIGNATURE_TRUSTED_CERTS is not a readable file: %r", settings.SIGNATURE_TRUSTED_CERTS)
        raise SignatureUnavailable()
    roots = _load(str(path), stat.st_mtime_ns, stat.st_size)
    if not roots:
        logger.error("SIGNATURE_TRUSTED_CERTS holds no certificate: %s", path)
        raise SignatureUnavailable()
    return list(roots)


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int) -> tuple[asn1_x509.Certificate, ...]:
    try:
        certificates = x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError):
        logger.exception("SIGNATURE_TRUSTED_CERTS could not be read: %s", path)
        return ()
    return tuple(asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in certificates)
