"""The database unreachable (restarting, failing over, out of connections) is a 503, never a 500.

A view that hits a lost connection raises django.db's OperationalError or InterfaceError; this
middleware answers it with 503 `service_unavailable` and `Retry-After`, in the API's envelope under
`/api/`. Django drops the broken connection when the request ends, so the next request reconnects.
"""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

from core.api.envelope import envelope
from core.api.errors import error_body

logger = logging.getLogger(__name__)

SERVICE_UNAVAILABLE = "Service temporarily unavailable, retry later"


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable: %s %s: %s", request.method, request.path, exception)
        retry_after = str(settings.DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS)
        if request.path.startswith("/api/"):
            body = error_body(503, SERVICE_UNAVAILABLE)
            response = JsonResponse(
                envelope(request, 503, body, is_error=True), status=503, json_dumps_params={"ensure_ascii": False}
            )
        else:
            response = HttpResponse(SERVICE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = retry_after
        return response
