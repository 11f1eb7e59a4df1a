"""The API's own middleware: a Host header outside ALLOWED_HOSTS answers the 400 envelope; one language
per answer, English unless `Accept-Language` asks for another."""

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


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
