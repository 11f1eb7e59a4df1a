"""Test-only endpoints that exercise the shared API machinery without any domain app."""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core.api import errors
from core.api.serializers import OtpCodeField, PhoneNumberField, StrictSerializer
from core.models import Event


class EchoSerializer(StrictSerializer):
    phone_number = PhoneNumberField()
    code = OtpCodeField(required=False)


@api_view(["GET"])
def scoped(request):
    return Response({"client": request.auth.application.client_id})


scoped.cls.required_scopes = ["otp:read"]


@api_view(["POST"])
def echo(request):
    serializer = EchoSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return Response(serializer.validated_data)


echo.cls.required_scopes = ["otp:write"]

FAILURES = {
    "conflict": lambda: errors.Conflict("Patient is not verified"),
    "malformed": lambda: errors.RequestMalformed("This doctor has 5 declarations and could not sign more"),
    "limited": lambda: errors.TooManyRequests("Too many codes sent to this phone", retry_after=30),
    "missing": lambda: errors.NotFound("Person not found"),
    "field": lambda: errors.ValidationFailed(field="verification_code", description="Invalid verification code"),
    "crash": lambda: RuntimeError("a bug"),
}


@api_view(["GET"])
def fail(request, kind):
    raise FAILURES[kind]()


fail.cls.required_scopes = []


class NoteSerializer(StrictSerializer):
    note = serializers.CharField()


class TextSerializer(StrictSerializer):
    name = serializers.CharField()
    names = serializers.ListField(child=serializers.CharField())
    nested = NoteSerializer()


@api_view(["POST"])
def text(request):
    serializer = TextSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return Response(serializer.validated_data)


text.cls.required_scopes = []


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "property"]


class ProbeList(generics.ListAPIView):
    """A paginated list, for the shared pagination."""

    queryset = Event.objects.order_by("created_at")
    serializer_class = EventSerializer
    required_scopes = []


urlpatterns = [
    path("api/probe/list", ProbeList.as_view()),
    path("api/probe/text", text),
    path("api/probe/scoped", scoped),
    path("api/probe/echo", echo),
    path("api/probe/fail/<str:kind>", fail),
    path("", include("config.urls")),
]
handler400 = "core.api.views.bad_request"
handler404 = "core.api.views.page_not_found"
handler500 = "core.api.views.server_error"
