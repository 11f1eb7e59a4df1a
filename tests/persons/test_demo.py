import json
from io import StringIO

import pytest
from django.core.management import call_command

from persons.models import AuthenticationMethod, AuthenticationMethodRequest, Person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]


def seed() -> dict:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return json.loads(out.getvalue())


def test_seed_demo_adds_persons_with_each_method_and_one_open_request():
    first = seed()
    persons = first["persons"]
    types = {
        name: set(AuthenticationMethod.objects.active().filter(person_id=pk).values_list("type", flat=True))
        for name, pk in persons.items()
    }
    assert types == {"otp": {"OTP"}, "offline": {"OFFLINE"}, "na_with_third_person": {"NA", "THIRD_PERSON"}}
    request = AuthenticationMethodRequest.objects.get()
    assert first["authentication_method_request"] == {
        "id": str(request.id),
        "person_id": persons["offline"],
        "status": "NEW",
    }
    assert request.authentication_method_current["type"] == "OFFLINE"  # no SMS: no walkthrough phone gets a code

    count = Person.objects.count()
    second = seed()  # idempotent
    assert second["persons"] == persons
    assert second["authentication_method_request"]["id"] == str(request.id)
    assert Person.objects.count() == count
    assert AuthenticationMethodRequest.objects.count() == 1
