"""The hasher of OAuth client secrets: a fast keyed digest, not a password hasher.

A client secret is a long random string (django-oauth-toolkit's generator: 128 characters, some 760
bits), so nobody can guess it or find it from its digest by trying candidates, and a slow KDF buys
nothing. PBKDF2 (Django's default) made every check cost ~1 s of CPU, right or wrong: a trickle of
wrong secrets took the service down, and the time told whether a client id existed. This one costs
microseconds. The digest is an HMAC-SHA256 keyed by SECRET_KEY (like the OTP codes' digests), so a copy
of the table alone does not even let one test a candidate.

DOT hashes the secret on save with the hasher its CLIENT_SECRET_HASHER setting names, `hmac_sha256`
(config/settings.py); the class must be listed in PASSWORD_HASHERS, never first (user passwords keep
the slow default), for Django to recognize the stored form. After a SECRET_KEY rotation, a secret
digested with a key of SECRET_KEY_FALLBACKS still verifies, and core.oauth.provider re-digests it at its next
use.
"""

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_noop as _

# The HMAC key's fixed name (this module's first path): every stored digest depends on it, never change it.
KEY_SALT = "core.hashers.ClientSecretHasher"


class ClientSecretHasher(BasePasswordHasher):
    algorithm = "hmac_sha256"

    def encode(self, password, salt):
        if password is None:
            raise TypeError("password must be provided.")
        if not salt or "$" in salt:
            raise ValueError("salt must be provided and cannot contain $.")
        return f"{self.algorithm}${salt}${self._digest(password, salt, settings.SECRET_KEY)}"

    def decode(self, encoded):
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password, encoded):
        return self.matching_key(password, encoded) is not None

    def matching_key(self, password, encoded) -> int | None:
        """Which key the stored digest was made with: 0 for SECRET_KEY, 1… for SECRET_KEY_FALLBACKS,
        None when the password does not match. Every key is tried, whichever matches."""
        decoded = self.decode(encoded)
        keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        matches = [constant_time_compare(self._digest(password, decoded["salt"], key), decoded["hash"]) for key in keys]
        return matches.index(True) if any(matches) else None

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("salt"): mask_hash(decoded["salt"], show=2),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password, encoded):
        pass  # every check costs the same already

    @staticmethod
    def _digest(password: str, salt: str, key: str) -> str:
        return salted_hmac(KEY_SALT, f"{salt}${password}", secret=key, algorithm="sha256").hexdigest()
