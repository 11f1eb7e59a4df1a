import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from core.masking import mask_log_record, mask_phones_in

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
                from core.api.views import bad_request

                logging.getLogger("django.security.DisallowedHost").error("%s", error)
                return bad_request(request, error)
        return self.get_response(request)


class RequestIdLogFilter(logging.Filter):
    """Adds the request id to every record and masks every phone number in it, whoever logged it
    (Django's own `django.request` warnings carry URLs like /api/verifications/+380501234567). Its
    "Not Found" line is written after the middleware is done: the id is the record's request's."""

    def filter(self, record):
        record.request_id = getattr(getattr(record, "request", None), "request_id", None) or _current_request_id.get()
        mask_log_record(record)
        return True


API_LANGUAGE = "en"


class ApiLocaleMiddleware(LocaleMiddleware):
    """One language per answer. The API speaks English (its integrators' documents are English)
    unless `Accept-Language` asks for another language we have, whatever LANGUAGE_CODE (Ukrainian,
    for the back office) says; its messages and the framework's follow the same choice. Everything
    else (the admin) keeps Django's usual choice: cookie, header, then LANGUAGE_CODE."""

    def process_request(self, request):
        if not request.path.startswith("/api/"):
            return super().process_request(request)
        translation.activate(api_language(request.headers.get("Accept-Language", "")))
        request.LANGUAGE_CODE = translation.get_language()
        return None


def api_language(accept_language: str) -> str:
    for code, _quality in parse_accept_lang_header(accept_language):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return API_LANGUAGE if any(code == API_LANGUAGE for code, _name in settings.LANGUAGES) else settings.LANGUAGE_CODE
