"""Serializer pieces every app uses: closed schemas, phone numbers, one-time codes."""

import re
from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_noop as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from core.observability.masking import mask_phone

PHONE_PATTERN = r"^\+380[0-9]{9}$"
ADDITIONAL_PROPERTIES = _("Schema does not allow additional properties")


class PhoneNumberConverter:
    """`<phone:phone_number>` in URLs: anything else is simply no route (404), never a database query."""

    regex = PHONE_PATTERN.strip("^$")

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


# C0 and C1 control characters, DEL included: no text a client sends needs them (line breaks and
# tabs included), and they forge log lines, terminal escapes and printouts.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
NO_CONTROL_CHARACTERS = _("Must not contain control characters")


def refuse_control_characters(value) -> None:
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise serializers.ValidationError(gettext(NO_CONTROL_CHARACTERS), code="format")


def _guard_text(field) -> None:
    """Every text input (a CharField, or the items of a list or dict of them) refuses control
    characters; this one rule replaces DRF's narrower "no NUL" check."""
    if isinstance(field, serializers.ListField | serializers.DictField):
        _guard_text(field.child)
    elif isinstance(field, serializers.CharField):
        kept = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        field.validators = [*kept, refuse_control_characters]


class _GuardedText:
    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            _guard_text(field)
        return fields


class StrictSerializer(_GuardedText, serializers.Serializer):
    """Rejects properties the schema does not define, like the registry's closed JSON schemas, and
    control characters in every text field."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [
                            ErrorDetail(
                                gettext(ADDITIONAL_PROPERTIES),
                                code="schema_does_not_allow_additional_properties",
                            )
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class SparseOutputSerializer(serializers.Serializer):
    """A response object that carries only the keys that apply to it (a requested method has `id`
    for UPDATE, `type` and `phone_number` for an OTP INSERT): the schema marks none required."""


class PhoneNumberField(serializers.RegexField):
    """A Ukrainian mobile number, `+380` and nine digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": gettext_lazy("Must be a phone number like +380501234567")})
        super().__init__(PHONE_PATTERN, **kwargs)


class MaskedPhoneField(serializers.CharField):
    """Read-only: a phone number as every response shows it, `+38093*****85`."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return mask_phone(value)


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[1-9][0-9]*$"}], "example": 1234}
)
class OtpCodeField(serializers.Field):
    """A one-time code, sent as a JSON number (`1234`) or a string of digits (`"1234"`)."""

    default_error_messages = {"invalid": gettext_lazy("Must be a positive integer code")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int) and data > 0:
            return str(data)
        if isinstance(data, str) and data.isascii() and data.isdigit() and not data.startswith("0"):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class VerificationCodeSerializer(StrictSerializer):
    """The body of every `actions/approve` confirmed by OTP."""

    verification_code = OtpCodeField()


def validated(serializer_class, data) -> dict:
    """What `serializer_class` makes of `data` (a request body or its query parameters); 422 otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
