"""factory_boy graphs for persons: a person comes with one primary method unless told otherwise."""

import math
from datetime import date, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from persons.models import AuthenticationMethod, AuthenticationMethodRequest, Person
from persons.rules import TAX_ID_EPOCH, TAX_ID_WEIGHTS, add_years, today_utc


def make_tax_id(birth_date: date, gender: str, serial: int = 0) -> str:
    """A valid RNOKPP for the birth date and gender (with its checksum)."""
    days = (birth_date - TAX_ID_EPOCH).days
    for attempt in range(serial, serial + 100):
        ninth = (attempt % 5) * 2 + (1 if gender == "MALE" else 0)
        body = f"{days:05d}{attempt // 5 % 1000:03d}{ninth}"
        total = sum(int(d) * w for d, w in zip(body, TAX_ID_WEIGHTS, strict=True))
        check = int(math.fmod(math.fmod(total, 11), 10))
        if check >= 0:
            return body + str(check)
    raise AssertionError("no tax id")


def born_years_ago(years: int, days: int = 0) -> date:
    return add_years(today_utc(), -years) - timedelta(days=days)


class PersonFactory(DjangoModelFactory):
    """`PersonFactory(primary="OTP"|"OFFLINE"|"NA"|None)`: the primary method created with the person."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    first_name = "Олена"
    last_name = factory.Sequence(lambda n: f"Петренко-{n}")
    birth_date = date(1990, 5, 17)
    gender = Person.Gender.FEMALE
    tax_id = factory.LazyAttributeSequence(lambda o, n: "" if o.no_tax_id else make_tax_id(o.birth_date, o.gender, n))
    no_tax_id = False
    documents = factory.LazyFunction(lambda: [{"type": "PASSPORT", "number": "АА123456"}])
    verification_status = Person.VerificationStatus.VERIFICATION_NEEDED
    verification_reason = Person.VerificationReason.RULES_PASSED

    @factory.post_generation
    def primary(obj, create, extracted, **kwargs):
        type = "OTP" if extracted is None else extracted
        if create and type:
            AuthenticationMethodFactory(person=obj, type=type, **kwargs)


class AuthenticationMethodFactory(DjangoModelFactory):
    class Meta:
        model = AuthenticationMethod

    person = factory.SubFactory(PersonFactory, primary="")
    type = AuthenticationMethod.Type.OTP
    phone_number = factory.LazyAttributeSequence(lambda o, n: f"+38050{n:07d}" if o.type == "OTP" else "")
    third_person = factory.Maybe(
        factory.LazyAttribute(lambda o: o.type == "THIRD_PERSON"),
        yes_declaration=factory.SubFactory(PersonFactory),
        no_declaration=None,
    )

    class Params:
        offline = factory.Trait(type=AuthenticationMethod.Type.OFFLINE)
        na = factory.Trait(type=AuthenticationMethod.Type.NA)
        third = factory.Trait(type=AuthenticationMethod.Type.THIRD_PERSON)


class AuthenticationMethodRequestFactory(DjangoModelFactory):
    """By default confirmed OFFLINE by the person's own OFFLINE method."""

    class Meta:
        model = AuthenticationMethodRequest

    person = factory.SubFactory(PersonFactory, primary="OFFLINE")
    action = AuthenticationMethodRequest.Action.INSERT
    authentication_method = factory.LazyFunction(lambda: {"type": "NA"})
    authentication_method_current = factory.LazyFunction(lambda: {"type": "OFFLINE", "number": None, "method_id": ""})
    client = None
    legal_entity_id = factory.LazyAttribute(lambda o: o.client.legal_entity_id)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    created_by = "test"
    updated_by = "test"
