import datetime

import pytest

from core.api.errors import Conflict, NotFound, ValidationFailed
from persons.models import AuthenticationMethod, Person
from persons.selectors import authentication_method_current, person_get

pytestmark = pytest.mark.django_db
Type = AuthenticationMethod.Type


def person(**methods):
    p = Person.objects.create(
        first_name="Олена", last_name="Петренко", birth_date=datetime.date(1990, 1, 1), gender="FEMALE"
    )
    for type, phone in methods.items():
        AuthenticationMethod.objects.create(person=p, type=type, phone_number=phone or "")
    return p


def test_primary_otp_method_confirms():
    p = person(OTP="+380501112233")
    method = p.authentication_methods.get()
    assert authentication_method_current(person=p) == {
        "type": "OTP",
        "number": "+380501112233",
        "method_id": str(method.id),
    }


def test_offline_has_no_number():
    p = person(OFFLINE=None)
    assert authentication_method_current(person=p)["type"] == "OFFLINE"
    assert authentication_method_current(person=p)["number"] is None


def test_third_person_routes_to_their_phone():
    child = person(NA=None)
    mother = person(OTP="+380509998877")
    trusted = AuthenticationMethod.objects.create(person=child, type=Type.THIRD_PERSON, third_person=mother)
    current = authentication_method_current(person=child, authorize_with=trusted.id)
    assert current == {"type": "OTP", "number": "+380509998877", "method_id": str(trusted.id)}


def test_authorize_with_must_be_an_active_method_of_the_person():
    p, other = person(OTP="+380501112233"), person(OTP="+380501112244")
    with pytest.raises(ValidationFailed) as error:
        authentication_method_current(person=p, authorize_with=other.authentication_methods.get().id)
    assert error.value.invalid[0]["entry"] == "$.authorize_with"


def test_no_method_is_a_conflict():
    with pytest.raises(Conflict, match="Person has no active authentication method"):
        authentication_method_current(person=person())


def test_person_get_not_found():
    with pytest.raises(NotFound, match="Person not found"):
        person_get(person_id="7d23bebb-1cf3-4221-bf21-18aada444756")


def test_offline_confirmation_needs_the_confirming_persons_scans():
    from persons.selectors import confirmation_documents

    child = person(NA=None)
    child.documents = [{"type": "BIRTH_CERTIFICATE", "number": "I-АБ 123456"}]
    child.save()
    mother = person(OFFLINE=None)
    mother.documents = [{"type": "PASSPORT", "number": "АА123456"}, {"type": "NATIONAL_ID", "number": "1"}]
    mother.save()
    trusted = AuthenticationMethod.objects.create(person=child, type=Type.THIRD_PERSON, third_person=mother)
    current = authentication_method_current(person=child, authorize_with=trusted.id)
    assert confirmation_documents(person=child, current=current) == ["NATIONAL_ID", "PASSPORT"]
    paperless = person(OFFLINE=None)  # no documents on record: a passport is asked for
    assert confirmation_documents(person=paperless, current=authentication_method_current(person=paperless)) == [
        "PASSPORT"
    ]


def test_otp_confirmation_needs_no_scans():
    from persons.selectors import confirmation_documents

    p = person(OTP="+380501112233")
    assert confirmation_documents(person=p, current=authentication_method_current(person=p)) == []
