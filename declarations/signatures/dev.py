"""A development CA, so that a newcomer's `make run` reaches a signed declaration without a qualified
certificate: `manage.py make_dev_ca` makes it, `manage.py sign_declaration_request` signs as the
request's doctor with a certificate it issues (subject serialNumber "TINUA-<the doctor's tax id>").

Kept in `SIGNATURE_DEV_CA_DIR` (var/dev-ca/): ca.pem (what `SIGNATURE_TRUSTED_CERTS` trusts with DEBUG),
ca-key.pem and one doctor-<id>.pem / doctor-<id>-key.pem per doctor; keys 0600. Never trust it in
production: anyone with the folder signs as any doctor.
"""

import datetime
import os
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from django.conf import settings

from declarations.models import Employee

CA_NAME = "eHealth consent dev CA (never trust in production)"
CA_YEARS = 10
DOCTOR_DAYS = 730


def ca_path() -> Path:
    return Path(settings.SIGNATURE_DEV_CA_DIR) / "ca.pem"


def _key_path(cert_path: Path) -> Path:
    return cert_path.with_name(cert_path.stem + "-key.pem")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _save(path: Path, certificate: x509.Certificate, key) -> None:
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(_key_path(path), key_pem, 0o600)
    _write(path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)


def _load(path: Path):
    """(certificate, key) kept at `path`, or None when either is missing or no longer valid."""
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
        key = serialization.load_pem_private_key(_key_path(path).read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    if certificate.not_valid_after_utc <= _now() + datetime.timedelta(days=1):
        return None
    return certificate, key


def dev_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey, bool]:
    """The development CA (certificate, key, whether it was made now): made on first use."""
    path = ca_path()
    kept = _load(path)
    if kept is not None:
        return *kept, False
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME), x509.NameAttribute(NameOID.COUNTRY_NAME, "UA")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _save(path, certificate, key)
    return certificate, key, True


def doctor_credentials(employee: Employee) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The doctor's signing certificate from the development CA, and its key; issued again when the
    doctor's tax id (the certificate's serialNumber) has changed, or the CA has."""
    ca_certificate, ca_key, _made = dev_ca()
    path = Path(settings.SIGNATURE_DEV_CA_DIR) / f"doctor-{employee.pk}.pem"
    serial_number = f"TINUA-{employee.tax_id}"
    kept = _load(path)
    if kept is not None:
        certificate, key = kept
        names = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        if [n.value for n in names] == [serial_number] and certificate.issuer == ca_certificate.subject:
            try:
                certificate.verify_directly_issued_by(ca_certificate)
                return certificate, key
            except (ValueError, TypeError, InvalidSignature):  # issued by an earlier CA of the same name
                pass
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, _at_most_64_bytes(str(employee)) or "Doctor"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(min(_now() + datetime.timedelta(days=DOCTOR_DAYS), ca_certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _save(path, certificate, key)
    return certificate, key


def sign(content: bytes, certificate: x509.Certificate, key) -> bytes:
    """A CMS SignedData (DER) over `content`, the content inside and the signer's certificate with it:
    what a doctor's signing software sends."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(certificate, key, hashes.SHA256())
    return builder.sign(serialization.Encoding.DER, [])


def key_usage(**allowed) -> x509.KeyUsage:
    """The key usage extension with only `allowed` set (a CA signs certificates; a doctor signs documents)."""
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return x509.KeyUsage(**{**flags, **allowed})


def _at_most_64_bytes(text: str) -> str:
    """A commonName holds 64 bytes of UTF-8 (32 Cyrillic letters)."""
    while len(text.encode()) > 64:
        text = text[:-1]
    return text
