"""Persons API: intake, reads, manual verification, and authentication-method requests."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action

from core.api.responses import EnvelopeResponse
from core.api.schema import error_responses
from core.api.serializers import validated
from core.api.views import ClientViewSet
from core.audit.events import actor_of
from core.documents.uploads import document_upload_urls
from persons import services
from persons.models import AuthenticationMethod
from persons.selectors import authentication_method_request_get, person_get, persons_search
from persons.serializers import (
    ApprovedSerializer,
    AuthenticationMethodRequestCreateSerializer,
    AuthenticationMethodRequestSerializer,
    AuthenticationMethodSerializer,
    OptionalVerificationCodeSerializer,
    PersonCreateSerializer,
    PersonSearchSerializer,
    PersonSerializer,
    PersonVerificationSerializer,
    PersonVerificationUpdateSerializer,
)


@extend_schema(tags=["Persons"])
class PersonViewSet(ClientViewSet):
    scope_map = {
        "list": "person:read",
        "create": "person:write",
        "retrieve": "person:read",
        "authentication_methods": "person:read",
        "verification": "person:verify",
    }

    @extend_schema(
        request=PersonCreateSerializer,
        responses={201: PersonSerializer},
        description="Registry intake: a person with documents and one primary authentication method "
        "(OTP with a phone, OFFLINE or NA). The tax id's checksum is checked unless `no_tax_id`. "
        "The person starts in VERIFICATION_NEEDED with the reason of rules 01-05.",
    )
    def create(self, request):
        data = validated(PersonCreateSerializer, request.data)
        person = services.person_create(**data, actor=actor_of(request), client=self.client)
        return EnvelopeResponse(PersonSerializer(person).data, status=201)

    @extend_schema(
        parameters=[PersonSearchSerializer],
        responses={200: PersonSerializer(many=True), **error_responses(422)},
        description="Finds a person: by `tax_id`, or by `first_name`, `last_name` (either case) and `birth_date` "
        "together; at most 10 active persons, phones masked. Anything else is 422 `request_malformed` "
        "`Search needs tax_id, or first_name, last_name and birth_date`: the registry cannot be browsed.",
    )
    def list(self, request):
        filters = validated(PersonSearchSerializer, request.query_params.dict())
        return EnvelopeResponse(PersonSerializer(persons_search(**filters), many=True).data)

    @extend_schema(responses=PersonSerializer, description="One person; phones are masked.")
    def retrieve(self, request, pk):
        return EnvelopeResponse(PersonSerializer(person_get(person_id=pk)).data)

    @extend_schema(
        responses=AuthenticationMethodSerializer(many=True),
        description="The person's active authentication methods; phones are masked.",
    )
    @action(detail=True, methods=["get"], url_path="authentication_methods", pagination_class=None)
    def authentication_methods(self, request, pk):
        person = person_get(person_id=pk)
        methods = AuthenticationMethod.objects.active().filter(person=person).order_by("started_at")
        return EnvelopeResponse(AuthenticationMethodSerializer(methods, many=True).data)

    @extend_schema(methods=["GET"], responses=PersonVerificationSerializer, description="The verification status.")
    @extend_schema(
        methods=["PATCH"],
        request=PersonVerificationUpdateSerializer,
        responses={200: PersonVerificationSerializer},
        description="Manual verification: VERIFIED, NOT_VERIFIED (a comment is required) or IN_REVIEW; "
        "the reason becomes MANUAL.",
    )
    @action(detail=True, methods=["get", "patch"], url_path="verification")
    def verification(self, request, pk):
        person = person_get(person_id=pk)  # an unknown person is 404 whatever the body says
        if request.method == "GET":
            return EnvelopeResponse(PersonVerificationSerializer(person).data)
        data = validated(PersonVerificationUpdateSerializer, request.data)
        person = services.person_verify(
            person_id=pk,
            status=data["verification_status"],
            comment=data["verification_comment"],
            actor=actor_of(request),
        )
        return EnvelopeResponse(PersonVerificationSerializer(person).data)


@extend_schema(tags=["Authentication-method requests"])
class AuthenticationMethodRequestViewSet(ClientViewSet):
    """`/api/persons/{person_id}/authentication_method_requests`: a client sees only its legal entity's."""

    lookup_url_kwarg = "request_id"
    urgent_actions = {"create"}
    scope_map = {
        "create": "authentication_method_request:write",
        "retrieve": "authentication_method_request:read",
        "resend_otp": "authentication_method_request:write",
        "approve": "authentication_method_request:write",
    }

    @extend_schema(
        request=AuthenticationMethodRequestCreateSerializer,
        responses={201: AuthenticationMethodRequestSerializer, **error_responses(409, 429)},
        description="INSERT, UPDATE or DEACTIVATE an authentication method. When the current method is OTP "
        "a code is sent to its phone; when it is OFFLINE, `urgent.documents` lists signed upload URLs "
        "(one-page JPEG, at most 10 MB each). A newer request cancels the person's older NEW one.",
    )
    def create(self, request, person_id):
        data = validated(AuthenticationMethodRequestCreateSerializer, request.data)
        amr = services.authentication_method_request_create(
            person_id=person_id,
            action=data["action"],
            authentication_method=data["authentication_method"],
            client=self.client,
            actor=actor_of(request),
        )
        urgent = None
        if amr.documents:
            urgent = {"documents": document_upload_urls(owner=amr, types=amr.documents, request=request)}
        return EnvelopeResponse(AuthenticationMethodRequestSerializer(amr).data, status=201, urgent=urgent)

    @extend_schema(responses=AuthenticationMethodRequestSerializer, description="One request; phones are masked.")
    def retrieve(self, request, person_id, request_id):
        amr = authentication_method_request_get(person_id=person_id, request_id=request_id, client=self.client)
        return EnvelopeResponse(AuthenticationMethodRequestSerializer(amr).data)

    @extend_schema(
        request=None,
        responses={200: AuthenticationMethodRequestSerializer, **error_responses(409, 429)},
        description="Send a new code for a NEW request confirmed by OTP.",
    )
    @action(detail=True, methods=["post"], url_path="actions/resend_otp")
    def resend_otp(self, request, person_id, request_id):
        amr = services.authentication_method_request_resend_otp(
            person_id=person_id, request_id=request_id, client=self.client, actor=actor_of(request)
        )
        return EnvelopeResponse(AuthenticationMethodRequestSerializer(amr).data)

    @extend_schema(
        request=OptionalVerificationCodeSerializer,
        responses={
            201: OpenApiResponse(ApprovedSerializer, description="Completed"),
            **error_responses(409),
        },
        description='`{"verification_code"}` when the current method is OTP, an empty body when '
        "OFFLINE (documents must be uploaded first). Applies the action and, on INSERT, verification rules 01-05.",
    )
    @action(detail=True, methods=["patch"], url_path="actions/approve")
    def approve(self, request, person_id, request_id):
        data = validated(OptionalVerificationCodeSerializer, request.data)
        amr = services.authentication_method_request_approve(
            person_id=person_id,
            request_id=request_id,
            client=self.client,
            verification_code=data.get("verification_code"),
            actor=actor_of(request),
        )
        return EnvelopeResponse(ApprovedSerializer(amr).data, status=201)
