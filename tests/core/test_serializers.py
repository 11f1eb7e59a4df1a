"""Fields built once per serializer class: every serializer still has fields of its own."""

from rest_framework import serializers

from core.api.serializers import StrictSerializer
from persons.serializers import AuthenticationMethodRequestCreateSerializer, AuthenticationMethodRequestSerializer


def test_two_serializers_never_share_a_bound_field():
    first, second = AuthenticationMethodRequestSerializer(), AuthenticationMethodRequestSerializer()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other and field.parent is first and other.parent is second
    nested = first.fields["authentication_method_current"]
    assert all(child.parent is nested for child in nested.fields.values())
    assert nested is not second.fields["authentication_method_current"]


def test_each_validation_sees_only_its_own_data():
    good = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380501234567"}}
    bad = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "12"}}
    valid, invalid = (
        AuthenticationMethodRequestCreateSerializer(data=good),
        AuthenticationMethodRequestCreateSerializer(data=bad),
    )
    assert invalid.is_valid() is False and "authentication_method" in invalid.errors
    assert valid.is_valid(), valid.errors
    assert valid.validated_data["authentication_method"]["phone_number"] == "+380501234567"


def test_text_fields_still_refuse_control_characters():
    class Note(StrictSerializer):
        text = serializers.CharField()

    serializer = Note(data={"text": "a\x1b[2Jb"})
    assert serializer.is_valid() is False
    assert serializer.errors["text"][0].code == "format"


def test_a_lists_child_is_bound_to_its_own_list():
    class Item(serializers.Serializer):
        name = serializers.CharField()

    class Order(serializers.Serializer):
        tags = serializers.ListField(child=serializers.CharField())
        items = Item(many=True)

    first, second = Order(), Order()
    for name in ("tags", "items"):
        mine, theirs = first.fields[name], second.fields[name]
        assert mine.child is not theirs.child and mine.child.parent is mine and theirs.child.parent is theirs
    assert first.fields["items"].child.fields["name"] is not second.fields["items"].child.fields["name"]
    data = {"tags": ["a", "b"], "items": [{"name": "x"}, {"name": "y"}]}
    assert Order(data).data == data
    checked = Order(data={"tags": ["a", 1], "items": [{"name": "x"}, {}]})
    assert checked.is_valid() is False and checked.errors["items"][1]["name"][0].code == "required"


def test_validations_that_share_fields_keep_their_answers_apart():
    """`validated` makes a serializer (and its fields) per call: each answer and each error is its own
    body's."""
    import pytest
    from rest_framework.exceptions import ValidationError

    from core.api.serializers import validated

    def body(phone):
        return {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": phone}}

    first = validated(AuthenticationMethodRequestCreateSerializer, body("+380501234567"))
    with pytest.raises(ValidationError) as wrong_phone:
        validated(AuthenticationMethodRequestCreateSerializer, body("12"))
    with pytest.raises(ValidationError) as unknown:
        validated(AuthenticationMethodRequestCreateSerializer, {**body("+380501234567"), "extra": 1})
    second = validated(AuthenticationMethodRequestCreateSerializer, body("+380507654321"))
    assert first["authentication_method"]["phone_number"] == "+380501234567"
    assert second["authentication_method"]["phone_number"] == "+380507654321"
    assert set(wrong_phone.value.detail["authentication_method"]) == {"phone_number"}
    assert set(unknown.value.detail) == {"extra"}
    with pytest.raises(ValidationError) as nothing:
        validated(AuthenticationMethodRequestCreateSerializer, None)
    assert nothing.value.detail["non_field_errors"][0].code == "null"
