import json
import urllib.error
import urllib.request

from django.conf import settings

from verifications.sms.base import SmsBackend, SmsDeliveryError


class HttpBackend(SmsBackend):
    """A real gateway: POST `{"phone_number", "body"}` as JSON with a bearer token; 2xx means accepted.

    The provider's message id is read from the answer's `id` (or `message_id`) when it is JSON.
    """

    def send(self, *, phone_number: str, body: str) -> str:
        if not settings.SMS_HTTP_URL.startswith(("https://", "http://")):
            raise SmsDeliveryError("SMS_HTTP_URL must be an http(s) URL")
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            settings.SMS_HTTP_URL,
            data=json.dumps({"phone_number": phone_number, "body": body}, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
                payload = response.read(64 * 1024)
        except urllib.error.HTTPError as error:
            raise SmsDeliveryError(f"gateway answered {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsDeliveryError(f"gateway unreachable: {getattr(error, 'reason', error)}") from error
        return _provider_id(payload)


def _provider_id(payload: bytes) -> str:
    try:
        data = json.loads(payload)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("id") or data.get("message_id") or "")[:128]
