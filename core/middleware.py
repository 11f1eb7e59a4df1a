import logging
import re
import uuid
from contextvars import ContextVar

from django.core.exceptions import DisallowedHost

from core.masking import mask_phones_in

_current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:#@/+=-]{1,200}$")


class RequestIdMiddleware:
    """Echo the caller's X-Request-ID (or make one) on the request, the response and every log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else str(uuid.uuid4())
        token = _current_request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _current_request_id.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class ApiHostMiddleware:
    """A Host header outside ALLOWED_HOSTS on an `/api/` path answers the 400 envelope in every mode,
    before anything else asks for the host (Django's own answer is an HTML page, or its debug page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                request.get_host()
            except DisallowedHost as error:
                from core.views import bad_request

                logging.getLogger("django.security.DisallowedHost").error("%s", error)
                return bad_request(request, error)
        return self.get_response(request)


class RequestIdLogFilter(logging.Filter):
    """Adds the request id to every record and masks every phone number in it, whoever logged it
    (Django's own `django.request` warnings carry URLs like /api/verifications/+380501234567)."""

    def filter(self, record):
        record.request_id = _current_request_id.get()
        message = record.getMessage()
        masked = mask_phones_in(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
