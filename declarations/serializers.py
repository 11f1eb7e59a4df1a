"""Shapes of the declaration-requests and declarations APIs: closed request bodies and responses with
masked phones."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictSerializer
from declarations.models import Declaration, DeclarationRequest
from persons.serializers import CurrentMethodOutSerializer


class DeclarationRequestCreateSerializer(StrictSerializer):
    person_id = serializers.UUIDField()
    employee_id = serializers.UUIDField(help_text="An active doctor of the caller's legal entity")
    authorize_with = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of the person's active authentication methods"
    )
    parent_declaration_id = serializers.UUIDField(required=False, allow_null=True)
    overlimit = serializers.BooleanField(
        required=False, default=False, help_text="Approve past the doctor's declaration limit (recorded, audited)"
    )


class DeclarationRequestFilterSerializer(serializers.Serializer):
    person_id = serializers.UUIDField(required=False)
    employee_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=DeclarationRequest.Status.choices, required=False)


class DeclarationRequestSerializer(serializers.ModelSerializer):
    person_id = serializers.UUIDField(read_only=True)
    employee_id = serializers.UUIDField(read_only=True)
    parent_declaration_id = serializers.UUIDField(read_only=True, allow_null=True)
    authentication_method_current = CurrentMethodOutSerializer(read_only=True)
    data_to_be_signed = serializers.JSONField(read_only=True)
    documents = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = DeclarationRequest
        fields = [
            "id",
            "status",
            "status_reason",
            "person_id",
            "employee_id",
            "legal_entity_id",
            "authentication_method_current",
            "authorize_with",
            "channel",
            "parent_declaration_id",
            "declaration_id",
            "declaration_number",
            "data_to_be_signed",
            "printout_content",
            "seed",
            "is_shareable",
            "documents",
            "overlimit",
            "expires_at",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = fields


# the rules the services and StrictSerializer enforce, stated in the OpenAPI document too
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u001f\u007f-\u009f]*$"


@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "pattern": r"^[A-Za-z0-9+/]+={0,2}$",
        "description": "The doctor's CMS SignedData (DER) in base64: the signed JSON inside, one signature, the "
        "signer's certificate with it",
    }
)
class SignedDocumentField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": ["base64"]})
class SignedContentEncodingField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": NO_CONTROL_CHARACTERS,
        "description": "Why the legal entity ends the declaration",
    }
)
class ReasonDescriptionField(serializers.CharField):
    pass


class DeclarationRequestSignSerializer(StrictSerializer):
    """The doctor's signed declaration request (the OpenAPI document's statement of the body)."""

    signed_declaration_request = SignedDocumentField(trim_whitespace=False)
    signed_content_encoding = SignedContentEncodingField(trim_whitespace=False)


class DeclarationRequestSignInputSerializer(StrictSerializer):
    """The sign's body as the view reads it: a closed object of strings, each checked by the service
    after the request's status (409 before a missing field's 422)."""

    signed_declaration_request = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    signed_content_encoding = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class DeclarationFilterSerializer(serializers.Serializer):
    person_id = serializers.UUIDField(required=False)
    employee_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=Declaration.Status.choices, required=False)


class DeclarationTerminateSerializer(StrictSerializer):
    reason_description = ReasonDescriptionField(max_length=255)


class DeclarationSerializer(serializers.ModelSerializer):
    person_id = serializers.UUIDField(read_only=True)
    employee_id = serializers.UUIDField(read_only=True)
    declaration_request_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Declaration
        fields = [
            "id",
            "declaration_number",
            "status",
            "reason",
            "reason_description",
            "person_id",
            "employee_id",
            "legal_entity_id",
            "declaration_request_id",
            "start_date",
            "end_date",
            "signed_at",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = fields
