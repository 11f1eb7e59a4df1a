"""Domain errors and the one exception handler that maps every error to the API envelope."""

import logging
import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _
from rest_framework import exceptions
from rest_framework.response import Response

from core.observability.masking import mask_phones_in

logger = logging.getLogger(__name__)

# Messages are English constants (marked for the catalog); the answer translates them, see error_body.
VALIDATION_FAILED = _("Validation failed")
NOT_FOUND = _("Not found")

TYPE_BY_STATUS = {
    400: "request_malformed",
    401: "access_denied",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "request_conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    503: "service_unavailable",
}


def error_type_for(status: int) -> str:
    return TYPE_BY_STATUS.get(status, "internal_error" if status >= 500 else "request_malformed")


class ApiError(Exception):
    """A failure a client can act on. Services raise these; the handler renders them."""

    status = 400
    message = _("Request is malformed")

    def __init__(self, message: str | None = None, *, invalid: list | None = None, headers=None):
        self.message = message or self.message
        self.invalid = invalid
        self.headers = headers or {}
        super().__init__(self.message)

    @property
    def type(self) -> str:
        return error_type_for(self.status)

    def describe(self) -> str:
        """One line for a terminal: the message, or each failing field and why."""
        if not self.invalid:
            return self.message
        return "; ".join(f"{e['entry']}: {r['description']}" for e in self.invalid for r in e["rules"])


class NotFound(ApiError):
    status = 404
    message = _("Not found")


class Conflict(ApiError):
    status = 409
    message = _("Request conflicts with the current state")


class Forbidden(ApiError):
    status = 403
    message = _("Forbidden")


class RequestMalformed(ApiError):
    """A rule about the request as a whole was broken (422 request_malformed)."""

    status = 422

    @property
    def type(self) -> str:
        return "request_malformed"


class ValidationFailed(ApiError):
    """One field broke one rule (422 validation_failed)."""

    status = 422
    message = VALIDATION_FAILED

    def __init__(
        self,
        *,
        field: str,
        description: str,
        rule: str = "invalid",
        params: list | None = None,
        entry_type: str = "json_data_property",
    ):
        super().__init__(invalid=[invalid_entry(field, rule, description, params, entry_type=entry_type)])


class TooManyRequests(ApiError):
    status = 429
    message = _("Too many requests")

    def __init__(self, message: str | None = None, *, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, headers={"Retry-After": str(self.retry_after)})


def invalid_entry(
    field: str, rule: str, description: str, params: list | None = None, *, entry_type: str = "json_data_property"
) -> dict:
    """One failing entry; a JSON property is a `$.` path, a header (entry_type "header") its name."""
    entry = field if field.startswith("$") or entry_type != "json_data_property" else f"$.{field}"
    return {
        "entry_type": entry_type,
        "entry": entry,
        "rules": [{"rule": rule, "description": description, "params": params or []}],
    }


def _flatten_validation(detail, path="$") -> list[dict]:
    """DRF's nested error detail -> a flat list of `invalid` entries with JSON paths."""
    if isinstance(detail, dict):
        entries = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                sub = path
            elif isinstance(key, int) or (str(key).isascii() and str(key).isdigit()):  # {index: ...} of lists
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}"
            entries.extend(_flatten_validation(value, sub))
        return entries
    if isinstance(detail, list):
        messages = [item for item in detail if isinstance(item, exceptions.ErrorDetail | str)]
        if messages and len(messages) == len(detail):
            return [
                {
                    "entry_type": "json_data_property",
                    "entry": path,
                    "rules": [
                        {"rule": getattr(m, "code", "invalid") or "invalid", "description": str(m), "params": []}
                        for m in messages
                    ],
                }
            ]
        entries = []
        for index, item in enumerate(detail):
            if item:
                entries.extend(_flatten_validation(item, f"{path}[{index}]"))
        return entries
    return _flatten_validation([detail], path)


# An answer names at most this many failing fields; `invalid_count` then tells how many there were.
MAX_INVALID = 100


def error_body(status: int, message: str, *, type: str | None = None, invalid: list | None = None) -> dict:
    """The `error` part of an answer, in the request's language: our messages are English constants
    wherever they are raised (services included), so they are translated here, once, for every
    answer; the framework's own messages arrive translated already."""
    body = {"type": type or error_type_for(status), "message": _quoted_phones_masked(gettext(str(message)))}
    if invalid:
        body["invalid"] = [_translated(entry) for entry in invalid[:MAX_INVALID]]
        if len(invalid) > MAX_INVALID:
            body["invalid_count"] = len(invalid)
    return body


def _translated(entry: dict) -> dict:
    rules = [
        {**rule, "description": _quoted_phones_masked(gettext(str(rule["description"])))}
        for rule in entry.get("rules", [])
    ]
    masked = {"entry": mask_phones_in(str(entry["entry"]))} if "entry" in entry else {}  # may be a client's key
    return {**entry, **masked, "rules": rules}


_QUOTED = re.compile(r'"[^"]*"')


def _quoted_phones_masked(text: str) -> str:
    """A message quotes what the client sent (`"0501234567" is not a valid choice.`): a phone number
    in a quote is masked, as in every answer; the messages' own examples (`like +380501234567`) stay."""
    return _QUOTED.sub(lambda quote: mask_phones_in(quote.group()), text)


def error_response(status: int, message: str, *, type: str | None = None, invalid=None, headers=None) -> Response:
    response = Response(error_body(status, message, type=type, invalid=invalid), status=status, headers=headers)
    response.is_error = True
    return response


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.message, type=exc.type, invalid=exc.invalid, headers=exc.headers)
    if isinstance(exc, Http404):
        return error_response(404, NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(403, Forbidden.message)
    if isinstance(exc, exceptions.ValidationError):
        return error_response(422, VALIDATION_FAILED, invalid=_flatten_validation(exc.detail))
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return error_response(exc.status_code, str(exc.detail), headers=headers)
    return None
