from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from core.api.responses import EnvelopeResponse
from core.api.views import ClientViewSet
from core.jobs.selectors import job_get_for_client
from core.models import Job


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
