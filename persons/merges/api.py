from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from core.api.responses import EnvelopeResponse
from core.api.schema import error_responses
from core.api.serializers import VerificationCodeSerializer, validated
from core.api.views import ClientViewSet
from core.audit.events import actor_of
from core.documents.uploads import document_upload_urls
from persons.merges.selectors import merge_request_get, merge_request_list
from persons.merges.serializers import (
    EmptyBodySerializer,
    MergeRequestCreateSerializer,
    MergeRequestFilterSerializer,
    MergeRequestSerializer,
)
from persons.merges.services import (
    merge_request_approve,
    merge_request_create,
    merge_request_reject,
    merge_request_resend_otp,
)
from persons.models import AuthenticationMethod
from persons.serializers import OptionalVerificationCodeSerializer
from verifications.serializers import VerificationSerializer


@extend_schema(tags=["Merge requests"])
class MergeRequestViewSet(ClientViewSet):
    """Merging a duplicate person into the master record, confirmed by the master person."""

    scope_map = {
        "list": "merge_request:read",
        "retrieve": "merge_request:read",
        "create": "merge_request:write",
        "resend_otp": "merge_request:write",
        "approve": "merge_request:write",
        "reject": "merge_request:write",
    }
    urgent_actions = ("create",)

    def _get(self, pk):
        return merge_request_get(merge_request_id=pk, client=self.client)

    @extend_schema(
        parameters=[MergeRequestFilterSerializer],
        responses={200: MergeRequestSerializer(many=True), **error_responses(422)},
        description="This legal entity's merge requests, newest first.",
    )
    def list(self, request):
        # a plain dict: DRF would read an empty query value (`?status=`) as "not given" and list everything
        filters = validated(MergeRequestFilterSerializer, request.query_params.dict())
        page = self.paginate_queryset(merge_request_list(client=self.client, **filters))
        return self.get_paginated_response(MergeRequestSerializer(page, many=True).data)

    @extend_schema(responses=MergeRequestSerializer, description="One merge request.")
    def retrieve(self, request, pk):
        return EnvelopeResponse(MergeRequestSerializer(self._get(pk)).data)

    @extend_schema(
        request=MergeRequestCreateSerializer,
        responses={201: MergeRequestSerializer, **error_responses(404, 409, 429)},
        description=(
            "Creates a NEW request confirmed by the master person's authentication method (or `authorize_with`): "
            "OTP sends a code by SMS (to the third person's phone for THIRD_PERSON); OFFLINE answers with "
            "`urgent.documents` to upload. NA cannot confirm a merge (409)."
        ),
    )
    def create(self, request):
        body = validated(MergeRequestCreateSerializer, request.data)
        merge_request = merge_request_create(**body, client=self.client, actor=actor_of(request))
        urgent = None
        if merge_request.documents:  # OFFLINE: where to upload the scans that approve will check
            urls = document_upload_urls(owner=merge_request, types=merge_request.documents, request=request)
            urgent = {"documents": urls}
        return EnvelopeResponse(MergeRequestSerializer(merge_request).data, status=201, urgent=urgent)

    @extend_schema(
        request=None,
        responses={200: VerificationSerializer, **error_responses(409, 429)},
        description=(
            "Sends a new code for a NEW request whose master person confirms by OTP "
            "(or THIRD_PERSON whose third person uses OTP); saves that method on the request."
        ),
    )
    @action(detail=True, methods=["post"], url_path="actions/resend_otp")
    def resend_otp(self, request, pk):
        verification = merge_request_resend_otp(merge_request=self._get(pk), actor=actor_of(request))
        return EnvelopeResponse(VerificationSerializer(verification).data)

    @extend_schema(
        # the body depends on the request: a code when OTP confirms it, none otherwise, so neither the body
        # nor its field is required here; the action checks the one the request needs (422 otherwise)
        request=OptionalVerificationCodeSerializer,
        responses={200: MergeRequestSerializer, **error_responses(409)},
        description=(
            "`{verification_code}` when the request is confirmed by OTP (422 without it), an empty body or none "
            "when OFFLINE (the documents must be uploaded). The merge person becomes inactive and points to the "
            "master person."
        ),
    )
    @action(detail=True, methods=["patch"], url_path="actions/approve")
    def approve(self, request, pk):
        merge_request = self._get(pk)
        otp = merge_request.confirmation_type == AuthenticationMethod.Type.OTP
        body = validated(VerificationCodeSerializer if otp else EmptyBodySerializer, request.data)
        merge_request = merge_request_approve(
            merge_request=merge_request,
            verification_code=body.get("verification_code"),
            actor=actor_of(request),
        )
        return EnvelopeResponse(MergeRequestSerializer(merge_request).data)

    @extend_schema(request=None, responses={200: MergeRequestSerializer, **error_responses(409)})
    @action(detail=True, methods=["patch"], url_path="actions/reject")
    def reject(self, request, pk):
        merge_request = merge_request_reject(merge_request=self._get(pk), actor=actor_of(request))
        return EnvelopeResponse(MergeRequestSerializer(merge_request).data)
