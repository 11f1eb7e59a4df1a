"""`PUT /api/uploads/<token>`: a client uploads one scanned page to the signed URL it was given."""

import re

from django.utils.translation import gettext_noop as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from core.api.errors import ValidationFailed
from core.api.responses import EnvelopeResponse
from core.api.schema import ErrorSerializer, error_responses
from core.documents.uploads import document_store


class DocumentUploadedSerializer(serializers.Serializer):
    type = serializers.CharField()
    size = serializers.IntegerField()


@extend_schema(tags=["Document uploads"])
class DocumentUploadView(APIView):
    """`PUT /api/uploads/<token>`: the signed URL is the authorization, like a presigned S3 URL."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []

    @extend_schema(
        request={"image/jpeg": OpenApiTypes.BINARY},
        responses={
            200: DocumentUploadedSerializer,
            **error_responses(403, 404, 409, 413, 422),
            415: OpenApiResponse(ErrorSerializer, description="Content-Type is not `image/jpeg`"),
        },
        description="Upload one scanned page (JPEG, at most UPLOAD_MAX_BYTES) to a URL from `urgent.documents`.",
    )
    def put(self, request, token):
        stored = document_store(
            token=token,
            content_type=request.META.get("CONTENT_TYPE", ""),
            content_length=content_length(request),
            read=request.read,
        )
        return EnvelopeResponse(stored)


_BYTES = re.compile(r"[0-9]{1,18}")  # ASCII digits, short enough for int()


def content_length(request) -> int | None:
    value = request.META.get("CONTENT_LENGTH") or None
    if value is None:
        return None
    if not _BYTES.fullmatch(value):
        raise ValidationFailed(
            field="Content-Length", entry_type="header", rule="number", description=_("Must be a number of bytes")
        )
    return int(value)
