import re

from django.utils.translation import gettext_noop as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from core.documents import document_store
from core.errors import ValidationFailed
from core.models import Job
from core.responses import EnvelopeResponse
from core.schema import ErrorSerializer, error_responses
from core.selectors import job_get_for_client
from core.views import ClientViewSet


class JobSerializer(serializers.ModelSerializer):
    links = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "status", "eta", "status_code", "response_data", "error", "links"]

    def get_links(self, job) -> list[dict]:
        return [{"entity": "job", "href": f"/api/jobs/{job.id}"}]

    def to_representation(self, job):
        data = super().to_representation(job)
        # pending shows where to poll; processed its answer; failed its error
        keep = {
            Job.Status.PENDING: ("id", "status", "eta", "links"),
            Job.Status.PROCESSED: ("id", "status", "status_code", "response_data"),
            Job.Status.FAILED: ("id", "status", "status_code", "error"),
        }[job.status]
        return {key: data[key] for key in keep}


class JobStateSerializer(serializers.Serializer):
    """What JobSerializer answers, for the OpenAPI document: which keys are present depends on the status."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Job.Status.choices)
    eta = serializers.DateTimeField(required=False, help_text="pending: when to poll again")
    links = serializers.ListField(child=serializers.DictField(), required=False, help_text="pending: where to poll")
    status_code = serializers.IntegerField(required=False, help_text="processed or failed: the operation's status")
    response_data = serializers.JSONField(required=False, help_text="processed: the operation's answer")
    error = serializers.JSONField(required=False, help_text="failed: the operation's error")

    class Meta:
        ref_name = "Job"


@extend_schema(tags=["Jobs"])
class JobViewSet(ClientViewSet):
    scope_map = {"retrieve": "job:read"}

    @extend_schema(
        responses=JobStateSerializer,
        description="The state of an asynchronous job this client started: pending `{id, status, eta, links}`, "
        "processed `{id, status, status_code, response_data}`, failed `{id, status, status_code, error}`. "
        "Another client's job is 404.",
    )
    def retrieve(self, request, pk):
        return EnvelopeResponse(JobSerializer(job_get_for_client(job_id=pk, client=self.client)).data)


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
