from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action

from core.api.responses import EnvelopeResponse
from core.api.schema import ErrorSerializer, error_responses
from core.api.serializers import validated
from core.api.views import ClientViewSet
from core.audit.events import actor_of
from verifications import selectors, services
from verifications.serializers import (
    VerificationCompleteSerializer,
    VerificationInitializeSerializer,
    VerificationSerializer,
    VerifiedPhoneSerializer,
)

PHONE_PARAMETER = OpenApiParameter(
    "phone_number", str, OpenApiParameter.PATH, description="E.g. `+380501234567`", pattern=r"^\+380[0-9]{9}$"
)


@extend_schema(tags=["OTP verifications"])
class VerificationViewSet(ClientViewSet):
    """OTP verification of a phone number."""

    lookup_field = "phone_number"
    lookup_value_converter = "phone"
    scope_map = {"create": "otp:write", "complete": "otp:write", "retrieve": "otp:read"}

    @extend_schema(
        request=VerificationInitializeSerializer,
        responses={200: VerificationSerializer, **error_responses(429)},
        description=(
            "Sends a one-time code by SMS to the phone and makes this client's older codes for the phone "
            "inactive (other clients' codes and the codes of requests are not touched). The code itself is "
            "never returned. Per phone, whoever asks: a limited number of sends per window and a cooldown "
            "between sends (429 with `Retry-After`)."
        ),
    )
    def create(self, request):
        data = validated(VerificationInitializeSerializer, request.data)
        verification = services.verification_initialize(
            phone_number=data["phone_number"],
            kind="verification",
            owner=self.client,
            actor=actor_of(request),
        )
        return EnvelopeResponse(VerificationSerializer(verification).data)

    @extend_schema(
        parameters=[PHONE_PARAMETER],
        request=VerificationCompleteSerializer,
        responses={
            200: VerificationSerializer,
            403: OpenApiResponse(
                ErrorSerializer,
                description="The code was refused (the reason is the message), or the token lacks `otp:write`",
            ),
        },
        description=(
            "Checks the code sent to the phone. 403 `forbidden` with the reason: `Invalid verification code`, "
            "`Verification code expired` or `Maximum attempts exceed` (after the allowed wrong tries even the "
            "right code is refused). 404 when this client never asked for a code for the phone (another "
            "client's codes, and the codes sent for requests, are not reachable here)."
        ),
    )
    @action(detail=True, methods=["patch"], url_path="actions/complete")
    def complete(self, request, phone_number):
        data = validated(VerificationCompleteSerializer, request.data)
        verification = services.verification_complete(
            phone_number=phone_number,
            code=data["code"],
            client=self.client,
            actor=actor_of(request),
        )
        return EnvelopeResponse(VerificationSerializer(verification).data)

    @extend_schema(
        parameters=[PHONE_PARAMETER],
        responses=VerifiedPhoneSerializer,
        description="200 when the phone number was ever verified (by any client or flow), otherwise 404.",
    )
    def retrieve(self, request, phone_number):
        phone_number = selectors.verified_phone_get(phone_number=phone_number)
        return EnvelopeResponse(VerifiedPhoneSerializer({"phone_number": phone_number}).data)
