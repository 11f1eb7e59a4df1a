"""Declaration requests v3: a patient's choice of a family doctor; and the declarations their signature
makes."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action

from core.api.responses import EnvelopeResponse
from core.api.schema import error_responses
from core.api.serializers import validated
from core.api.views import ClientViewSet
from core.audit.events import actor_of
from core.documents.uploads import document_upload_urls
from declarations import services
from declarations.selectors import declaration_get, declaration_list, declaration_request_get, declaration_request_list
from declarations.serializers import (
    DeclarationFilterSerializer,
    DeclarationRequestCreateSerializer,
    DeclarationRequestFilterSerializer,
    DeclarationRequestSerializer,
    DeclarationRequestSignInputSerializer,
    DeclarationRequestSignSerializer,
    DeclarationSerializer,
    DeclarationTerminateSerializer,
)
from persons.serializers import CurrentMethodOutSerializer, OptionalVerificationCodeSerializer
from verifications.serializers import VerificationSerializer


@extend_schema(tags=["Declaration requests"])
class DeclarationRequestViewSet(ClientViewSet):
    """`/api/v3/declaration_requests`: a client sees only its legal entity's requests."""

    scope_map = {
        "list": "declaration_request:read",
        "retrieve": "declaration_request:read",
        "create": "declaration_request:write",
        "resend_otp": "declaration_request:write",
        "approve": "declaration_request:approve",
        "reject": "declaration_request:reject",
        "sign": "declaration_request:sign",
    }
    urgent_actions = ("create",)

    @extend_schema(
        parameters=[DeclarationRequestFilterSerializer],
        responses={200: DeclarationRequestSerializer(many=True), **error_responses(422)},
        description="This legal entity's declaration requests, newest first.",
    )
    def list(self, request):
        # a plain dict: DRF would read an empty query value (`?status=`) as "not given" and list everything
        filters = validated(DeclarationRequestFilterSerializer, request.query_params.dict())
        page = self.paginate_queryset(declaration_request_list(client=self.client, **filters))
        return self.get_paginated_response(DeclarationRequestSerializer(page, many=True).data)

    @extend_schema(responses=DeclarationRequestSerializer, description="One declaration request.")
    def retrieve(self, request, pk):
        declaration_request = declaration_request_get(request_id=pk, client=self.client)
        return EnvelopeResponse(DeclarationRequestSerializer(declaration_request).data)

    @extend_schema(
        request=DeclarationRequestCreateSerializer,
        responses={201: DeclarationRequestSerializer, **error_responses(404, 409, 429)},
        description=(
            "A NEW request to an active doctor of the caller's legal entity (else 422 on `$.employee_id`), "
            "confirmed by the person's authentication method (or `authorize_with`): OTP sends a code by SMS "
            "(to the third person's phone for THIRD_PERSON); OFFLINE answers with `urgent.documents` to upload; "
            "NA needs nothing. `urgent.authentication_method_current` tells which (phone masked). Cancels this "
            "legal entity's earlier NEW or APPROVED requests of the person."
        ),
    )
    def create(self, request):
        data = validated(DeclarationRequestCreateSerializer, request.data)
        declaration_request = services.declaration_request_create(**data, client=self.client, actor=actor_of(request))
        current = declaration_request.authentication_method_current
        urgent = {"authentication_method_current": CurrentMethodOutSerializer(current).data}
        if declaration_request.documents:  # OFFLINE: where to upload the scans that approve will check
            urgent["documents"] = document_upload_urls(
                owner=declaration_request, types=declaration_request.documents, request=request
            )
        return EnvelopeResponse(DeclarationRequestSerializer(declaration_request).data, status=201, urgent=urgent)

    @extend_schema(
        request=None,
        responses={200: VerificationSerializer, **error_responses(409, 429)},
        description=(
            "Sends a new code for a NEW request whose person confirms by OTP (or THIRD_PERSON whose third "
            "person uses OTP), replacing the request's previous code; saves that method on the request."
        ),
    )
    @action(detail=True, methods=["post"], url_path="actions/resend_otp")
    def resend_otp(self, request, pk):
        verification = services.declaration_request_resend_otp(
            request_id=pk, client=self.client, actor=actor_of(request)
        )
        return EnvelopeResponse(VerificationSerializer(verification).data)

    @extend_schema(
        request=OptionalVerificationCodeSerializer,
        responses={
            201: OpenApiResponse(DeclarationRequestSerializer, description="Approved"),
            **error_responses(409),
        },
        description=(
            '`{"verification_code"}` when the request is confirmed by OTP, an empty body otherwise. '
            "409 `Patient is not verified`; OFFLINE needs the documents uploaded (409); NA with a parent "
            "declaration needs it active (404); 422 `request_malformed` when the doctor is at their declaration "
            "limit. The request becomes APPROVED (`doctor_confirmed`, shareable) with its seed and printout."
        ),
    )
    @action(detail=True, methods=["patch"], url_path="actions/approve")
    def approve(self, request, pk):
        data = validated(OptionalVerificationCodeSerializer, request.data)
        declaration_request = services.declaration_request_approve(
            request_id=pk,
            client=self.client,
            verification_code=data.get("verification_code"),
            actor=actor_of(request),
        )
        return EnvelopeResponse(DeclarationRequestSerializer(declaration_request).data, status=201)

    @extend_schema(
        request=None,
        responses={200: DeclarationRequestSerializer, **error_responses(409)},
        description="A NEW or APPROVED request becomes REJECTED.",
    )
    @action(detail=True, methods=["patch"], url_path="actions/reject")
    def reject(self, request, pk):
        declaration_request = services.declaration_request_reject(
            request_id=pk, client=self.client, actor=actor_of(request)
        )
        return EnvelopeResponse(DeclarationRequestSerializer(declaration_request).data)

    @extend_schema(
        request=DeclarationRequestSignSerializer,
        responses={200: DeclarationSerializer, **error_responses(409, 422, 503)},
        description=(
            "The doctor's qualified electronic signature over the APPROVED request makes its declaration "
            "(docs/declarations-sign.md). Body: `signed_declaration_request`, a CMS SignedData (DER, base64) "
            "whose content is the JSON of `data_to_be_signed` with `patient_signed: true` and the request's "
            '`seed` added, and `signed_content_encoding: "base64"`. In this order: 409 `Declaration request is '
            "not in status APPROVED`; 422 on a missing field; 422 on `$.signed_declaration_request`: `Invalid "
            "signature`, `Document must contain 1 signature`, `Signed content does not match the previously "
            "created content`, `Does not match the signer drfo` (the certificate's serialNumber, "
            "`TINUA-<digits>` or the digits, is the doctor's tax id). Then the signed document is stored, the "
            "declaration is made (`active`, or `pending_verification` when confirmed OFFLINE or the patient "
            "has no tax id), the patient's current declaration ends (`auto_new_declaration`) and the request "
            "becomes SIGNED. 503 when the signature cannot be checked now."
        ),
    )
    @action(detail=True, methods=["patch"], url_path="actions/sign")
    def sign(self, request, pk):
        data = validated(DeclarationRequestSignInputSerializer, request.data)
        declaration = services.declaration_request_sign(
            request_id=pk,
            client=self.client,
            signed_declaration_request=data.get("signed_declaration_request"),
            signed_content_encoding=data.get("signed_content_encoding"),
            actor=actor_of(request),
        )
        return EnvelopeResponse(DeclarationSerializer(declaration).data)


@extend_schema(tags=["Declarations"])
class DeclarationViewSet(ClientViewSet):
    """`/api/declarations`: a client sees and ends only its legal entity's declarations."""

    scope_map = {
        "list": "declaration:read",
        "retrieve": "declaration:read",
        "terminate": "declaration:write",
    }

    @extend_schema(
        parameters=[DeclarationFilterSerializer],
        responses={200: DeclarationSerializer(many=True), **error_responses(422)},
        description="This legal entity's declarations, newest first.",
    )
    def list(self, request):
        # a plain dict: DRF would read an empty query value (`?status=`) as "not given" and list everything
        filters = validated(DeclarationFilterSerializer, request.query_params.dict())
        page = self.paginate_queryset(declaration_list(client=self.client, **filters))
        return self.get_paginated_response(DeclarationSerializer(page, many=True).data)

    @extend_schema(responses=DeclarationSerializer, description="One declaration of this legal entity.")
    def retrieve(self, request, pk):
        declaration = declaration_get(declaration_id=pk, client=self.client)
        return EnvelopeResponse(DeclarationSerializer(declaration).data)

    @extend_schema(
        request=DeclarationTerminateSerializer,
        responses={200: DeclarationSerializer, **error_responses(409, 422)},
        description=(
            "An active or pending_verification declaration ends today: `terminated`, reason `manual_employee` "
            "with the body's `reason_description`. 409 otherwise."
        ),
    )
    @action(detail=True, methods=["patch"], url_path="actions/terminate")
    def terminate(self, request, pk):
        data = validated(DeclarationTerminateSerializer, request.data)
        declaration = services.declaration_terminate(
            declaration_id=pk,
            client=self.client,
            reason_description=data["reason_description"],
            actor=actor_of(request),
        )
        return EnvelopeResponse(DeclarationSerializer(declaration).data)
