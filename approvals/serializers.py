"""Shapes of the approvals API: references in the registry's form, closed request bodies, the seed's answer."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import Approval
from core.api.serializers import OtpCodeField, StrictSerializer
from persons.serializers import CurrentMethodOutSerializer

SYSTEM = "eHealth/resources"
RESOURCE_CODES = ("episode_of_care", "diagnostic_report", "service_request", "care_plan")


def _reference(name: str, codes: tuple[str, ...]) -> type[StrictSerializer]:
    """`{"identifier": {"type": {"coding": [{"system": "eHealth/resources", "code"}]}, "value": <uuid>}}`
    whose code is one of `codes`; each kind gets its own classes, so the OpenAPI document names them."""
    coding = type(
        f"{name}CodingSerializer",
        (StrictSerializer,),
        {
            "__module__": __name__,
            "system": serializers.ChoiceField(choices=[SYSTEM]),
            "code": serializers.ChoiceField(choices=codes),
        },
    )
    concept = type(
        f"{name}TypeSerializer",
        (StrictSerializer,),
        {"__module__": __name__, "coding": coding(many=True, allow_empty=False, max_length=1)},
    )
    identifier = type(
        f"{name}IdentifierSerializer",
        (StrictSerializer,),
        {
            "__module__": __name__,
            "type": concept(),
            "value": serializers.UUIDField(),
            "validate_value": lambda self, value: str(value),  # stored as JSON
        },
    )
    return type(f"{name}ReferenceSerializer", (StrictSerializer,), {"__module__": __name__, "identifier": identifier()})


ResourceReferenceSerializer = _reference("Resource", RESOURCE_CODES)
EmployeeReferenceSerializer = _reference("Employee", ("employee",))
ReasonReferenceSerializer = _reference("Reason", ("service_request",))


class ApprovalCreateSerializer(StrictSerializer):
    granted_resources = ResourceReferenceSerializer(many=True, allow_empty=False, max_length=100)
    granted_to = EmployeeReferenceSerializer(help_text="An active doctor of your legal entity")
    reason = ReasonReferenceSerializer(required=False, allow_null=True)
    access_level = serializers.ChoiceField(choices=Approval.AccessLevel.choices)
    authorize_with = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of the patient's active authentication methods"
    )


class ApprovalActivateSerializer(StrictSerializer):
    """`{"code"}` when the approval is confirmed by OTP; an empty body when OFFLINE."""

    code = OtpCodeField(required=False)


class ApprovalFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Approval.Status.choices, required=False)
    granted_to = serializers.UUIDField(required=False, help_text="The doctor's (employee's) id")


# --- responses --------------------------------------------------------------------------------


class CodingOutSerializer(serializers.Serializer):
    system = serializers.CharField()
    code = serializers.CharField()


class ConceptOutSerializer(serializers.Serializer):
    coding = CodingOutSerializer(many=True)


class IdentifierOutSerializer(serializers.Serializer):
    type = ConceptOutSerializer()
    value = serializers.UUIDField()


class ReferenceOutSerializer(serializers.Serializer):
    identifier = IdentifierOutSerializer()
    display_value = serializers.CharField(allow_null=True)


def _shown(reference: dict | None, display_value: str | None = None) -> dict | None:
    return None if reference is None else {"identifier": reference["identifier"], "display_value": display_value}


class ApprovalSerializer(serializers.ModelSerializer):
    """An approval as the registry shows it: references with `display_value`, `expires_at` as Unix
    seconds, the phone masked."""

    patient_id = serializers.UUIDField(read_only=True)
    granted_resources = serializers.SerializerMethodField()
    granted_to = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    expires_at = serializers.SerializerMethodField()
    authentication_method_current = CurrentMethodOutSerializer(read_only=True)

    class Meta:
        model = Approval
        fields = [
            "id",
            "patient_id",
            "granted_resources",
            "granted_to",
            "expires_at",
            "reason",
            "status",
            "access_level",
            "authentication_method_current",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ReferenceOutSerializer(many=True))
    def get_granted_resources(self, approval) -> list[dict]:
        return [_shown(reference) for reference in approval.granted_resources]

    @extend_schema_field(ReferenceOutSerializer)
    def get_granted_to(self, approval) -> dict:
        employee = approval.granted_to
        reference = {
            "identifier": {
                "type": {"coding": [{"system": SYSTEM, "code": "employee"}]},
                "value": str(employee.pk),
            }
        }
        return _shown(reference, str(employee))

    @extend_schema_field(ReferenceOutSerializer(allow_null=True))
    def get_reason(self, approval) -> dict | None:
        return _shown(approval.reason)

    @extend_schema_field({"type": "integer", "description": "Unix time, seconds", "example": 1498749591})
    def get_expires_at(self, approval) -> int:
        return int(approval.expires_at.timestamp())
