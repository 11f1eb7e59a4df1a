"""Shapes of the persons API: closed request bodies and responses with masked phones."""

from rest_framework import serializers

from core.api.serializers import (
    MaskedPhoneField,
    OtpCodeField,
    PhoneNumberField,
    SparseOutputSerializer,
    StrictSerializer,
)
from persons.models import AuthenticationMethod, AuthenticationMethodRequest, Person

Type = AuthenticationMethod.Type


# --- requests ---------------------------------------------------------------------------------


class DocumentSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=Person.DocumentType.choices)
    number = serializers.CharField(max_length=64)


class PhoneSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=["MOBILE", "LANDLINE"])
    number = PhoneNumberField()


class IntakeMethodSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=[Type.OTP, Type.OFFLINE, Type.NA])
    phone_number = PhoneNumberField(required=False)
    alias = serializers.CharField(max_length=255, required=False, allow_blank=True)


class PersonCreateSerializer(StrictSerializer):
    first_name = serializers.CharField(max_length=255)
    last_name = serializers.CharField(max_length=255)
    second_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    birth_date = serializers.DateField()
    gender = serializers.ChoiceField(choices=Person.Gender.choices)
    tax_id = serializers.RegexField(
        r"^[0-9]{10}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Must be 10 digits"},
    )
    no_tax_id = serializers.BooleanField(required=False, default=False)
    # every list of a body has a maximum (beyond it, 422 at the list's path): a person has a few of each
    documents = DocumentSerializer(many=True, required=False, default=list, max_length=10)
    phones = PhoneSerializer(many=True, required=False, default=list, max_length=5)
    authentication_methods = IntakeMethodSerializer(many=True, max_length=5)


class PersonSearchSerializer(StrictSerializer):
    """`GET /api/persons`: a tax id, or first name, last name and birth date (checked by the selector)."""

    tax_id = serializers.RegexField(r"^[0-9]{10}$", required=False, error_messages={"invalid": "Must be 10 digits"})
    first_name = serializers.CharField(max_length=255, required=False)
    last_name = serializers.CharField(max_length=255, required=False)
    birth_date = serializers.DateField(required=False)


class RequestedMethodSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=Type.choices, required=False)
    phone_number = PhoneNumberField(required=False)
    value = serializers.UUIDField(required=False, help_text="THIRD_PERSON: the third person's id")
    alias = serializers.CharField(max_length=255, required=False)
    id = serializers.UUIDField(required=False, help_text="UPDATE, DEACTIVATE: the method's id")


class AuthenticationMethodRequestCreateSerializer(StrictSerializer):
    action = serializers.ChoiceField(choices=AuthenticationMethodRequest.Action.choices)
    authentication_method = RequestedMethodSerializer()


class OptionalVerificationCodeSerializer(StrictSerializer):
    """`{"verification_code"}` when the current method is OTP; an empty body otherwise."""

    verification_code = OtpCodeField(required=False)


class PersonVerificationUpdateSerializer(StrictSerializer):
    verification_status = serializers.ChoiceField(choices=["VERIFIED", "NOT_VERIFIED", "IN_REVIEW"])
    verification_comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --- responses --------------------------------------------------------------------------------


class PhoneOutSerializer(serializers.Serializer):
    type = serializers.CharField()
    number = MaskedPhoneField()


class PersonSerializer(serializers.ModelSerializer):
    documents = DocumentSerializer(many=True, read_only=True)
    phones = PhoneOutSerializer(many=True, read_only=True)
    merged_into = serializers.UUIDField(
        source="merged_into_id", read_only=True, allow_null=True, help_text="The master record it was merged into"
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "first_name",
            "last_name",
            "second_name",
            "birth_date",
            "gender",
            "tax_id",
            "no_tax_id",
            "documents",
            "phones",
            "status",
            "verification_status",
            "verification_reason",
            "verification_comment",
            "merged_into",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AuthenticationMethodSerializer(serializers.ModelSerializer):
    phone_number = MaskedPhoneField(allow_null=True)
    value = serializers.UUIDField(source="third_person_id", read_only=True, allow_null=True)

    class Meta:
        model = AuthenticationMethod
        fields = ["id", "type", "phone_number", "value", "alias", "started_at", "ended_at"]
        read_only_fields = fields

    def to_representation(self, method):
        data = super().to_representation(method)
        data["phone_number"] = data["phone_number"] or None
        return data


class PersonVerificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["verification_status", "verification_reason", "verification_comment"]
        read_only_fields = fields


class RequestedMethodOutSerializer(SparseOutputSerializer):
    """The requested method as stored; only the keys the action uses are present."""

    id = serializers.UUIDField(read_only=True)
    type = serializers.CharField(read_only=True)
    phone_number = MaskedPhoneField()
    value = serializers.UUIDField(read_only=True)
    alias = serializers.CharField(read_only=True)


class CurrentMethodOutSerializer(serializers.Serializer):
    type = serializers.CharField(read_only=True)
    number = MaskedPhoneField(allow_null=True)


class AuthenticationMethodRequestSerializer(serializers.ModelSerializer):
    person_id = serializers.UUIDField(read_only=True)
    authentication_method = RequestedMethodOutSerializer(read_only=True)
    authentication_method_current = CurrentMethodOutSerializer(read_only=True)

    class Meta:
        model = AuthenticationMethodRequest
        fields = [
            "id",
            "person_id",
            "action",
            "authentication_method",
            "authentication_method_current",
            "status",
            "channel",
            "expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApprovedSerializer(serializers.ModelSerializer):
    """The answer of an approved authentication-method request: `{id, status: "COMPLETED", channel: "MIS"}`."""

    class Meta:
        model = AuthenticationMethodRequest
        fields = ["id", "status", "channel"]
        read_only_fields = fields
