"""Approvals API: `/api/patients/{patient_id}/approvals`."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action

from approvals import services
from approvals.selectors import approval_get, approval_list
from approvals.serializers import (
    ApprovalActivateSerializer,
    ApprovalCreateSerializer,
    ApprovalFilterSerializer,
    ApprovalSerializer,
)
from core.api.responses import EnvelopeResponse
from core.api.schema import error_responses
from core.api.serializers import validated
from core.api.views import ClientViewSet
from core.audit.events import actor_of
from core.documents.uploads import document_upload_urls
from core.jobs.api import JobSerializer, JobStateSerializer

SYNC = "sync"


@extend_schema(tags=["Approvals"])
class ApprovalViewSet(ClientViewSet):
    """A patient's approvals: access to their records granted to a doctor, confirmed by the patient."""

    scope_map = {
        "list": "approval:read",
        "retrieve": "approval:read",
        "create": "approval:create",
        "partial_update": "approval:create",
        "reject": "approval:create",
        "resend": "approval:create",
    }
    urgent_actions = ("create",)

    @extend_schema(
        parameters=[ApprovalFilterSerializer],
        responses={200: ApprovalSerializer(many=True), **error_responses(404, 422)},
        description="The patient's approvals made by your legal entity, newest first. 404 `Person not found`.",
    )
    def list(self, request, patient_id):
        # a plain dict: DRF would read an empty query value (`?status=`) as "not given" and list everything
        filters = validated(ApprovalFilterSerializer, request.query_params.dict())
        page = self.paginate_queryset(approval_list(client=self.client, patient_id=patient_id, **filters))
        return self.get_paginated_response(ApprovalSerializer(page, many=True).data)

    @extend_schema(
        responses={200: ApprovalSerializer, **error_responses(404)},
        description="One approval. 404 `Person not found`; `Approval with such id is not found` (also another "
        "legal entity's).",
    )
    def retrieve(self, request, patient_id, pk):
        approval = approval_get(client=self.client, patient_id=patient_id, approval_id=pk)
        return EnvelopeResponse(ApprovalSerializer(approval).data)

    @extend_schema(
        request=ApprovalCreateSerializer,
        responses={
            201: OpenApiResponse(ApprovalSerializer, description="Created in status `new`"),
            **error_responses(404, 409, 422, 429),
        },
        description="Grants `granted_to` (an active doctor of your legal entity) access to the resources, once the "
        "patient confirms. OTP, or THIRD_PERSON whose third person uses OTP, sends the code by SMS; OFFLINE sends "
        "nothing and answers with `urgent.documents`: where to upload the signed consent scan. NA cannot confirm "
        "(409). `expires_at` is Unix time.",
    )
    def create(self, request, patient_id):
        data = validated(ApprovalCreateSerializer, request.data)
        approval = services.approval_create(
            patient_id=patient_id,
            granted_resources=data["granted_resources"],
            granted_to_id=data["granted_to"]["identifier"]["value"],
            reason=data.get("reason"),
            access_level=data["access_level"],
            authorize_with=data.get("authorize_with"),
            client=self.client,
            actor=actor_of(request),
        )
        urgent = None
        if approval.documents:
            urgent = {"documents": document_upload_urls(owner=approval, types=approval.documents, request=request)}
        return EnvelopeResponse(ApprovalSerializer(approval).data, status=201, urgent=urgent)

    @extend_schema(
        request=ApprovalActivateSerializer,
        responses={200: OpenApiResponse(ApprovalSerializer, description="Now `active`"), **error_responses(404, 409)},
        description='Activates a `new` approval: `{"code"}` from the SMS when it is confirmed by OTP (422 on `$.code`: '
        "`Invalid verification code`, `Verification code expired`, `Maximum attempts exceed`); an empty body when "
        "OFFLINE, once the consent scan is uploaded (else 409 `Documents SIGNED_CONSENT is not uploaded`).",
    )
    def partial_update(self, request, patient_id, pk):
        data = validated(ApprovalActivateSerializer, request.data)
        approval = services.approval_activate(
            patient_id=patient_id, approval_id=pk, client=self.client, code=data.get("code"), actor=actor_of(request)
        )
        return EnvelopeResponse(ApprovalSerializer(approval).data)

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(ApprovalSerializer, description="Now `rejected`"), **error_responses(409)},
        description="Refuses a `new` approval, or revokes an `active` one.",
    )
    @action(detail=True, methods=["patch"], url_path="actions/reject")
    def reject(self, request, patient_id, pk):
        approval = services.approval_reject(
            patient_id=patient_id, approval_id=pk, client=self.client, actor=actor_of(request)
        )
        return EnvelopeResponse(ApprovalSerializer(approval).data)

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(ApprovalSerializer, description="`APPROVAL_RESEND_MODE=sync`: the code was resent"),
            202: OpenApiResponse(
                JobStateSerializer,
                description="`APPROVAL_RESEND_MODE=async` (default): poll `GET /api/jobs/{id}` (`job:read`); when "
                "processed, its `response_data` is the approval the synchronous mode answers",
            ),
            **error_responses(404, 409, 429),
        },
        description="Sends the code again to the phone of the method chosen at create. 404 `Person not "
        "found`, `Approval with such id is not found`; 409 `Resend SMS is not allowed for this authentication "
        "method` unless that method is OTP, or THIRD_PERSON whose third person uses OTP. Synchronous or a job, as "
        "the server is configured.",
    )
    @action(detail=True, methods=["patch"], url_path="actions/resend")
    def resend(self, request, patient_id, pk):
        arguments = {"patient_id": patient_id, "approval_id": pk, "client": self.client, "actor": actor_of(request)}
        if settings.APPROVAL_RESEND_MODE == SYNC:
            return EnvelopeResponse(ApprovalSerializer(services.approval_resend(**arguments)).data, status=201)
        job = services.approval_resend_start(**arguments)
        return EnvelopeResponse(JobSerializer(job).data, status=202)
