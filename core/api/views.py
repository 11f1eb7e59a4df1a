import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils.translation import gettext_noop as _
from django.views.decorators.csrf import csrf_exempt
from django_tasks_db.models import DBTaskResult
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from core.api.envelope import envelope
from core.api.errors import NOT_FOUND, error_body, error_response
from core.api.idempotency import IdempotentViewMixin
from core.api.schema import ErrorSerializer

logger = logging.getLogger(__name__)


class ClientViewSet(IdempotentViewMixin, viewsets.GenericViewSet):
    """Base of every API viewset: UUID ids in URLs, scopes per action in `scope_map`, `Idempotency-Key`
    on every POST and PATCH (core.api.idempotency)."""

    lookup_value_converter = "uuid"
    scope_map: dict[str, str] = {}

    @property
    def client(self):
        return self.request.auth.application


@extend_schema(
    responses=inline_serializer(
        "Health",
        {
            "status": serializers.CharField(),
            "database": serializers.BooleanField(),
            "pending_tasks": serializers.IntegerField(allow_null=True),
            "version": serializers.CharField(),
        },
    ),
    description="Liveness and readiness: the database answers, how many tasks wait for a worker. No auth.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = True
        pending = DBTaskResult.objects.ready().count()
    except Exception:  # the point of a health check is to report this, not to fail on it
        logger.exception("health check: database unreachable")
        database, pending = False, None
    data = {
        "status": "ok" if database else "degraded",
        "database": database,
        "pending_tasks": pending,
        "version": settings.VERSION,
    }
    return Response(data, status=200 if database else 503)


@extend_schema(
    responses=inline_serializer("Live", {"status": serializers.CharField()}),
    description="Liveness: the process answers requests. Touches nothing else (no database), so a "
    "database outage never restarts healthy web processes. No auth.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health_live(request):
    return Response({"status": "ok"})


DATABASE_UNAVAILABLE = _("Database unavailable")
MIGRATIONS_NOT_APPLIED = _("Database migrations are not applied")
# once this process found every migration applied, it stays so: the check then costs one SELECT 1
_migrations_applied = False


def migrations_applied() -> bool:
    """Whether every migration this code has is applied to the database (`manage.py migrate` ran)."""
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


@extend_schema(
    responses={
        200: inline_serializer("Ready", {"status": serializers.CharField(), "version": serializers.CharField()}),
        503: OpenApiResponse(ErrorSerializer, description="The database does not answer, or is not migrated"),
    },
    description="Readiness: the database answers and every migration is applied; 503 "
    "`service_unavailable` otherwise, so a load balancer sends this process no traffic. No auth.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health_ready(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        migrated = migrations_applied()
    except DatabaseError:  # the point of a readiness check is to report this, not to fail on it
        logger.warning("readiness: the database does not answer", exc_info=True)
        return error_response(503, DATABASE_UNAVAILABLE)
    if not migrated:
        return error_response(503, MIGRATIONS_NOT_APPLIED)
    return Response({"status": "ok", "version": settings.VERSION})


def _json_error(request, status: int, message: str) -> JsonResponse:
    return JsonResponse(
        envelope(request, status, error_body(status, message), is_error=True),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _is_api(request):
        return _json_error(request, 404, NOT_FOUND)
    from django.views.defaults import page_not_found as default

    return default(request, exception)


@csrf_exempt  # API clients send no CSRF token: a POST to an unknown route is a 404 too, not a 403
def api_not_found(request, *args, **kwargs):
    """The catch-all route under /api/: no view, so the 404 envelope (whatever the method)."""
    return _json_error(request, 404, NOT_FOUND)


def server_error(request):
    if _is_api(request):
        return _json_error(request, 500, INTERNAL_ERROR)
    from django.views.defaults import server_error as default

    return default(request)


INVALID_HOST = _("Invalid Host header")
INTERNAL_ERROR = _("Internal server error")
BAD_REQUEST = _("Bad request")


def bad_request(request, exception=None):
    if _is_api(request):
        return _json_error(request, 400, INVALID_HOST if isinstance(exception, DisallowedHost) else BAD_REQUEST)
    from django.views.defaults import bad_request as default

    return default(request, exception)
