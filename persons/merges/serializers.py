from rest_framework import serializers

from core.api.serializers import StrictSerializer
from persons.merges.models import MergeRequest
from persons.serializers import CurrentMethodOutSerializer


class MergeRequestCreateSerializer(StrictSerializer):
    master_person_id = serializers.UUIDField()
    merge_person_id = serializers.UUIDField()
    authorize_with = serializers.UUIDField(required=False, allow_null=True)


class MergeRequestFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MergeRequest.Status.choices, required=False)
    master_person_id = serializers.UUIDField(required=False)
    merge_person_id = serializers.UUIDField(required=False)


class EmptyBodySerializer(StrictSerializer):
    """Approve of a request not confirmed by OTP takes no body."""


class MergeRequestSerializer(serializers.ModelSerializer):
    master_person_id = serializers.UUIDField(read_only=True)
    merge_person_id = serializers.UUIDField(read_only=True)
    authentication_method_current = CurrentMethodOutSerializer(read_only=True)

    class Meta:
        model = MergeRequest
        fields = [
            "id",
            "status",
            "master_person_id",
            "merge_person_id",
            "authentication_method_current",
            "authorize_with",
            "documents",
            "expires_at",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = fields
