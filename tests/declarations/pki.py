"""The tests' own PKI, made with `cryptography` (independent of declarations.signatures.dev): an RSA CA
issuing RSA and ECDSA doctors' certificates, another CA nobody trusts, and CMS signatures made with
`PKCS7SignatureBuilder` (DER, the content inside, the signer's certificate included), as a doctor's
signing software makes them."""

import base64
import datetime
import json
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from declarations.signatures.dev import key_usage


@dataclass(frozen=True)
class Holder:
    certificate: x509.Certificate
    key: object


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@cache
def _rsa_key(label: str):
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _ec_key(label: str):
    return ec.generate_private_key(ec.SECP256R1())


def make_ca(name: str) -> Holder:
    key = _rsa_key(f"ca:{name}")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(days=1))
        .not_valid_after(_now() + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Holder(certificate, key)


def issue(ca: Holder, *, serial_number: str | None, algorithm: str = "rsa", label: str = "doctor", days=365) -> Holder:
    """A doctor's signing certificate from `ca`: subject serialNumber `serial_number` (their DRFO)."""
    key = _ec_key(label) if algorithm == "ecdsa" else _rsa_key(label)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, f"Doctor {label}")]
    if serial_number is not None:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    start = _now() - datetime.timedelta(days=2)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Holder(certificate, key)


def sign(content: bytes, *signers: Holder) -> bytes:
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content)
    for signer in signers:
        builder = builder.add_signer(signer.certificate, signer.key, hashes.SHA256())
    return builder.sign(serialization.Encoding.DER, [])


def pem(*holders: Holder) -> bytes:
    return b"".join(h.certificate.public_bytes(serialization.Encoding.PEM) for h in holders)


def content_of(data: dict) -> bytes:
    """The JSON a doctor's software signs (not canonical: the service compares values, not bytes)."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def b64(signed: bytes) -> str:
    return base64.b64encode(signed).decode()
