"""Serializer pieces every app uses: closed schemas, phone numbers, one-time codes."""

import functools
import re
from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_noop as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from core.masking import mask_phone

PHONE_PATTERN = r"^\+380[0-9]{9}$"
ADDITIONAL_PROPERTIES = _("Schema does not allow additional properties")


def _copy(field):
    """A copy of a built field for one serializer (see FieldsBuiltOnce): a shallow one, without calling
    the field's constructor again as deepcopy does; a list's child is copied and bound to the copy."""
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    for name in ("child", "child_relation"):  # a list's (ListField, ListSerializer, many related fields)
        child = field.__dict__.get(name)
        if child is not None:  # bound by the list's constructor: its name and source come with the copy
            copied.__dict__[name] = _copy(child)
            copied.__dict__[name].parent = copied
    if isinstance(field, FieldsBuiltOnce):  # a nested serializer builds its own fields, bound to the copy
        copied.__dict__.pop("fields", None)
    return copied


class FieldsBuiltOnce:
    """A serializer whose fields are built once per class, not each time one is made.

    DRF builds every field for each serializer made (ModelSerializer from the model, others by deep
    copies that call each field's constructor again): nine tenths of the time a response spent
    serializing. The built fields are kept unbound; each serializer gets copies, so no two share a
    field's binding. A copy is shallow: a field's settings are never changed after it is built, only
    its binding (name, parent), which is set on the copy; a nested serializer of this kind builds its
    own fields, bound to its copy, and a list's child is a copy bound to the list's copy alone.
    """

    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return {name: _copy(field) for name, field in built.items()}


class Serializer(FieldsBuiltOnce, serializers.Serializer):
    """DRF's Serializer with its fields built once per class (FieldsBuiltOnce)."""


class ModelSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """DRF's ModelSerializer with its fields built from the model once per class (FieldsBuiltOnce)."""


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


class StrictSerializer(FieldsBuiltOnce, _GuardedText, serializers.Serializer):
    """Rejects properties the schema does not define, like the registry's closed JSON schemas, and
    control characters in every text field. Its fields are built once per class (FieldsBuiltOnce)."""

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


class SparseOutputSerializer(Serializer):
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


@functools.cache
def _bound_fields(serializer_class):
    """The fields of one serializer of the class, built and bound once: `validated` lends them to each
    serializer it makes, as validation keeps nothing on its fields (the answer and the errors are the
    serializer's). A body is checked in 60% of the time it took with fields of its own."""
    return serializer_class().fields


def validated(serializer_class, data) -> dict:
    """What `serializer_class` makes of `data` (a request body or its query parameters); 422 otherwise."""
    serializer = serializer_class(data=data)
    serializer.__dict__["fields"] = _bound_fields(serializer_class)  # the cached `fields`, filled in
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
