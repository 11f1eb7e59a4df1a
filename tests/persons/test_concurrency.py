"""Two approves of one request at the same moment: exactly one 201 (PostgreSQL row locks)."""

import pytest

from persons import services
from persons.models import AuthenticationMethod, AuthenticationMethodRequest
from tests.conftest import verify_phone
from tests.parallel import in_parallel
from tests.persons.factories import PersonFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("relaxed_otp_limits"),
]

BASE = "/api/persons/{}/authentication_method_requests"


def race(caller, person, request_id, body) -> list[int]:
    url = f"{BASE.format(person.id)}/{request_id}/actions/approve"
    return sorted(response.status_code for response in in_parallel(lambda i: caller.patch(url, body, format="json"), 2))


def new_request(caller, person) -> str:
    verify_phone(caller.client, "+380976549872")
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380976549872"}}
    response = caller.post(BASE.format(person.id), body, format="json")  # commits: the SMS task runs
    assert response.status_code == 201
    return response.json()["data"]["id"]


def test_parallel_approves_past_the_code_check_one_wins(caller, monkeypatch):
    # both pass the OTP check, so the row lock alone must decide
    monkeypatch.setattr(services, "verification_confirm", lambda **kwargs: None)
    person = PersonFactory(primary__phone_number="+380931234585")
    request_id = new_request(caller, person)
    assert race(caller, person, request_id, {"verification_code": 1234}) == [201, 409]
    assert AuthenticationMethodRequest.objects.get(pk=request_id).status == "COMPLETED"
    assert AuthenticationMethod.objects.filter(person=person, type="OTP", ended_at__isnull=True).count() == 1


def test_parallel_approves_with_the_right_code_one_wins(caller, last_code):
    person = PersonFactory(primary__phone_number="+380931234585")
    request_id = new_request(caller, person)
    statuses = race(caller, person, request_id, {"verification_code": last_code("+380931234585")})
    assert statuses[0] == 201 and statuses[1] in (409, 422)
    assert AuthenticationMethod.objects.filter(person=person, phone_number="+380976549872").count() == 1
