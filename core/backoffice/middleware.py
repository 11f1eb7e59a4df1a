"""The back office's requests (`/admin/`): Kyiv time, and on PostgreSQL a statement timeout for the
pages that read (a list, a search, a filter), answered by a friendly page instead of a 500."""

import logging
import zoneinfo

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

READS = ("GET", "HEAD")


def is_back_office(request) -> bool:
    return request.path.startswith("/admin/")


def is_query_cancelled(error: BaseException) -> bool:
    """PostgreSQL cancelled the statement (statement_timeout): SQLSTATE 57014."""
    cause = error.__cause__
    return isinstance(error, OperationalError) and getattr(cause, "sqlstate", None) == "57014"


class BackOfficeMiddleware:
    """On `/admin/`: times in ADMIN_TIME_ZONE (Europe/Kyiv; the API keeps UTC); and a read runs in a
    transaction with `SET LOCAL statement_timeout = ADMIN_STATEMENT_TIMEOUT_MS` on PostgreSQL, so a
    query that would run for minutes is cancelled by the server (not only abandoned by the web worker).
    Writes (actions, verification) run as before: their services keep their own transactions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_back_office(request):
            return self.get_response(request)
        timezone.activate(zoneinfo.ZoneInfo(settings.ADMIN_TIME_ZONE))
        try:
            if request.method in READS and connection.vendor == "postgresql" and settings.ADMIN_STATEMENT_TIMEOUT_MS:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        # SET LOCAL, with the value as a parameter (SET itself takes none)
                        cursor.execute(
                            "SELECT set_config('statement_timeout', %s, true)",
                            [str(int(settings.ADMIN_STATEMENT_TIMEOUT_MS))],
                        )
                    response = self.get_response(request)
                if getattr(request, "backoffice_query_cancelled", False):
                    # rendered after the rollback: the page itself reads the database (the user's apps)
                    return timeout_page(request)
                return response
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_exception(self, request, exception):
        if not is_back_office(request) or not is_query_cancelled(exception):
            return None
        transaction.set_rollback(True)
        request.backoffice_query_cancelled = True
        logger.warning("back office query cancelled after %s ms: %s", settings.ADMIN_STATEMENT_TIMEOUT_MS, request.path)
        return HttpResponse(status=503)  # replaced by timeout_page once the transaction is rolled back


def timeout_page(request):
    from django.contrib import admin

    context = {
        **admin.site.each_context(request),
        "title": gettext("This page took too long"),
        "seconds": settings.ADMIN_STATEMENT_TIMEOUT_MS / 1000,
        "back": request.path,
    }
    return TemplateResponse(request, "admin/query_timeout.html", context, status=503).render()
