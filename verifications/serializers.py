from rest_framework import serializers

from core.api.serializers import OtpCodeField, PhoneNumberField, StrictSerializer
from verifications.models import Verification


class VerificationInitializeSerializer(StrictSerializer):
    phone_number = PhoneNumberField()


class VerificationCompleteSerializer(StrictSerializer):
    code = OtpCodeField()


class VerificationSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(read_only=True, help_text="NEW and not yet expired")

    class Meta:
        model = Verification
        fields = ["id", "status", "code_expired_at", "active"]


class VerifiedPhoneSerializer(serializers.Serializer):
    phone_number = serializers.CharField(help_text="The phone number looked up, as given")
