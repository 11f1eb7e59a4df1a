"""Shapes of the declaration-requests API: closed request bodies and responses with masked phones."""

from rest_framework import serializers

from core.serializers import StrictSerializer
from declarations.models import DeclarationRequest
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
