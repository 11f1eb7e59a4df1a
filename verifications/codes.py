"""One-time codes: generation (random or time-based), keyed digests, encryption for the SMS task."""

import base64
import hashlib
import hmac
import secrets
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.crypto import salted_hmac

TOTP_STEP_SECONDS = 30


def random_code(length: int) -> str:
    """Uniform over the codes of `length` digits whose first digit is not zero."""
    low = 10 ** (length - 1)
    return str(low + secrets.randbelow(9 * low))


def hotp_value(key: bytes, counter: int) -> int:
    """RFC 4226 HOTP before the decimal step: HMAC-SHA1 of the counter, dynamically truncated to 31 bits."""
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF


def digits_without_leading_zero(value: int, length: int) -> str:
    low = 10 ** (length - 1)
    return str(low + value % (9 * low))


def totp_code(key: bytes, unix_time: float, length: int, step: int = TOTP_STEP_SECONDS) -> str:
    return digits_without_leading_zero(hotp_value(key, int(unix_time // step)), length)


def generate_code(*, phone_number: str, unix_time: float) -> str:
    length = settings.OTP_CODE_LENGTH
    if settings.OTP_GENERATOR == "totp":
        # a per-phone key: two phones never share a code sequence
        key = salted_hmac("verifications.totp", phone_number, algorithm="sha256").digest()
        return totp_code(key, unix_time, length)
    return random_code(length)


def code_digest(*, verification_id, code: str) -> str:
    """Keyed with SECRET_KEY and bound to the row, so a digest reveals nothing without the key."""
    return salted_hmac("verifications.code", f"{verification_id}:{code}", algorithm="sha256").hexdigest()


def code_matches(*, verification_id, code: str, digest: str) -> bool:
    return hmac.compare_digest(code_digest(verification_id=verification_id, code=code), digest)


@cache
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"verifications.sms-code").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_code(code: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(code.encode()).decode()


def decrypt_code(ciphertext: str, *, max_age_seconds: int) -> str | None:
    """The clear code, or None when the ciphertext is older than `max_age_seconds` or not ours."""
    try:
        return _fernet(settings.SECRET_KEY).decrypt(ciphertext.encode(), ttl=max_age_seconds).decode()
    except InvalidToken:
        return None
