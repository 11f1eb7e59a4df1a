"""`SIGNATURE_BACKEND = "http"`: an external service verifies the signature (Ukraine's DSTU 4145
signatures, which no Python library here verifies) and says what was signed and by whom.

Request: `POST SIGNATURE_HTTP_URL` `{"signed_content": "<base64>", "signed_content_encoding": "base64"}`,
with `Authorization: Bearer SIGNATURE_HTTP_TOKEN` when that is set.
Answer (200): `{"is_valid": true, "content": <base64 of the signed bytes, or the signed JSON itself>,
"signer": {"drfo": "..."}}`; optionally `"signatures_count"`. `is_valid: false`, or a 4xx, refuses the
signature ("Invalid signature"); a count other than 1 refuses with "Document must contain 1 signature".
The service must check the whole chain to a qualified trust service and the certificate's status.
An unreachable service, a 5xx or an answer of another shape is 503: the client may try again.
"""

import base64
import binascii
import json
import logging
import urllib.error
import urllib.request

from django.conf import settings

from declarations.signatures import (
    NOT_ONE_SIGNATURE,
    SignatureBackend,
    SignatureRefused,
    SignatureUnavailable,
    SignedDocument,
)

logger = logging.getLogger(__name__)
MAX_ANSWER = 16 * 1024 * 1024


class HttpBackend(SignatureBackend):
    def verify(self, signed: bytes) -> SignedDocument:
        answer = _post({"signed_content": base64.b64encode(signed).decode(), "signed_content_encoding": "base64"})
        if not isinstance(answer, dict):
            raise _unavailable("the answer is not a JSON object")
        count = answer.get("signatures_count", 1)
        if count != 1:
            raise SignatureRefused(NOT_ONE_SIGNATURE)
        if answer.get("is_valid") is not True:
            raise SignatureRefused()
        signer = answer.get("signer")
        drfo = signer.get("drfo") if isinstance(signer, dict) else None
        return SignedDocument(content=_content(answer.get("content")), drfo=drfo if isinstance(drfo, str) else "")


def _post(body: dict):
    url = settings.SIGNATURE_HTTP_URL
    if not url.startswith(("https://", "http://")):
        raise _unavailable("SIGNATURE_HTTP_URL must be an http(s) URL")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.SIGNATURE_HTTP_TOKEN:
        headers["Authorization"] = f"Bearer {settings.SIGNATURE_HTTP_TOKEN}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.SIGNATURE_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            payload = response.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500:  # the service refused what we sent: the signed document
            logger.info("signature service refused the document: %s", error.code)
            raise SignatureRefused() from error
        raise _unavailable(f"answered {error.code}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise _unavailable(f"unreachable: {getattr(error, 'reason', error)}") from error
    if len(payload) > MAX_ANSWER:
        raise _unavailable("the answer is too large")
    try:
        return json.loads(payload)
    except ValueError as error:
        raise _unavailable("the answer is not JSON") from error


def _content(value) -> bytes:
    """The signed bytes: the service sends them in base64, or (a JSON document) as JSON itself."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as error:
            raise _unavailable("its content is not base64") from error
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).encode()
    raise _unavailable("the answer has no content")


def _unavailable(why: str) -> SignatureUnavailable:
    logger.error("signature service: %s", why)
    return SignatureUnavailable()
