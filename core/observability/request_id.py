"""Request ids: the caller's X-Request-ID (or a new one) on the request, the response and every log line."""

import logging
import re
import uuid
from contextvars import ContextVar

from core.observability.masking import mask_log_record, mask_phones_in

_current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(incoming: str) -> str:
    """The caller's X-Request-ID when it is 1-128 characters of `[A-Za-z0-9._:-]` with no phone number
    in it (it is echoed in the answer and every log line of the request), otherwise a new uuid4."""
    if _VALID_REQUEST_ID.fullmatch(incoming) and mask_phones_in(incoming) == incoming:
        return incoming
    return str(uuid.uuid4())


class RequestIdMiddleware:
    """Echo the caller's X-Request-ID (or make one, see request_id_of) on the request, the response
    and every log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request.headers.get("X-Request-ID", ""))
        token = _current_request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _current_request_id.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds the request id to every record and masks every phone number in it, whoever logged it
    (Django's own `django.request` warnings carry URLs like /api/verifications/+380501234567). Its
    "Not Found" line is written after the middleware is done: the id is the record's request's."""

    def filter(self, record):
        record.request_id = getattr(getattr(record, "request", None), "request_id", None) or _current_request_id.get()
        mask_log_record(record)
        return True
