"""Who confirms, in every flow: one rule, tried over HTTP as a clinic would, at create and at approve.

The person's own OTP phone or OFFLINE documents confirm; a THIRD_PERSON method confirms only through
the third person's *own* OTP phone or OFFLINE documents; a third person with NA or with no active
method confirms nothing; the patient's own NA confirms only a declaration with a parent declaration.
"""

import pytest
from django.utils import timezone

from persons.models import AuthenticationMethod
from tests.conftest import verify_phone
from tests.declarations.factories import EmployeeFactory, parent_declaration
from tests.persons.factories import AuthenticationMethodFactory, PersonFactory
from verifications.sms import locmem

pytestmark = pytest.mark.django_db

PATIENT_PHONE = "+380501110001"
THIRD_PHONE = "+380671110002"
THIRD_NO_METHOD = "Third person has no authentication method"
NA_CONFIRMS_NOTHING = "Request can not be confirmed by authentication method NA"
REFERENCE = "eHealth/resources"


def reference(code: str, value: str) -> dict:
    return {"identifier": {"type": {"coding": [{"system": REFERENCE, "code": code}]}, "value": value}}


@pytest.fixture(autouse=True)
def sends_freely(settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1000
    settings.OTP_PHONE_SEND_LIMIT = 1000
    locmem.outbox.clear()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


# --- the flows: how a clinic creates, resends and approves each one ------------------------------


class Flow:
    """One flow as a clinic calls it. `authorize_with=None`: the person's default method confirms."""

    def __init__(self, caller, send):
        self.caller, self.send = caller, send
        self.doctor = EmployeeFactory(client=caller.client)

    def post(self, url, body):
        return self.send(self.caller.post, url, body, format="json")

    def patch(self, url, body=None):
        return self.send(self.caller.patch, url, body or {}, format="json")


class AuthenticationMethodRequests(Flow):
    takes_authorize_with = False

    def create(self, person, authorize_with=None, **_):
        body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380991234567"}}
        verify_phone(self.caller.client, "+380991234567")
        self.person = person
        return self.post(f"/api/persons/{person.pk}/authentication_method_requests", body)

    def base(self, request_id):
        return f"/api/persons/{self.person.pk}/authentication_method_requests/{request_id}"

    def resend(self, request_id):
        return self.post(f"{self.base(request_id)}/actions/resend_otp", {})

    def approve(self, request_id, code):
        return self.patch(f"{self.base(request_id)}/actions/approve", {"verification_code": code})


class MergeRequests(Flow):
    takes_authorize_with = True

    def create(self, person, authorize_with=None, **_):
        body = {"master_person_id": str(person.pk), "merge_person_id": str(PersonFactory(primary="OFFLINE").pk)}
        if authorize_with:
            body["authorize_with"] = str(authorize_with)
        return self.post("/api/merge_requests", body)

    def resend(self, request_id):
        return self.post(f"/api/merge_requests/{request_id}/actions/resend_otp", {})

    def approve(self, request_id, code):
        return self.patch(f"/api/merge_requests/{request_id}/actions/approve", {"verification_code": code})


class DeclarationRequests(Flow):
    takes_authorize_with = True

    def create(self, person, authorize_with=None, parent=False):
        body = {"person_id": str(person.pk), "employee_id": str(self.doctor.pk)}
        if authorize_with:
            body["authorize_with"] = str(authorize_with)
        if parent:
            body["parent_declaration_id"] = str(parent_declaration(person).pk)
        return self.post("/api/v3/declaration_requests", body)

    def resend(self, request_id):
        return self.post(f"/api/v3/declaration_requests/{request_id}/actions/resend_otp", {})

    def approve(self, request_id, code):
        return self.patch(f"/api/v3/declaration_requests/{request_id}/actions/approve", {"verification_code": code})


class Approvals(Flow):
    takes_authorize_with = True

    def create(self, person, authorize_with=None, **_):
        self.person = person
        body = {
            "granted_resources": [reference("episode_of_care", "7a3b2c1d-0000-4000-8000-000000000001")],
            "granted_to": reference("employee", str(self.doctor.pk)),
            "access_level": "read",
        }
        if authorize_with:
            body["authorize_with"] = str(authorize_with)
        return self.post(f"/api/patients/{person.pk}/approvals", body)

    def resend(self, request_id):
        return self.patch(f"/api/patients/{self.person.pk}/approvals/{request_id}/actions/resend")

    def approve(self, request_id, code):
        return self.patch(f"/api/patients/{self.person.pk}/approvals/{request_id}", {"code": code})


FLOWS = [AuthenticationMethodRequests, MergeRequests, DeclarationRequests, Approvals]


# --- the people: a patient and, for THIRD_PERSON, who confirms for them ------------------------------


def third_person(kind: str):
    """An adult who confirms for a patient, with their own method of `kind` ("ended": none active)."""
    person = PersonFactory(primary="")
    if kind == "OTP":
        AuthenticationMethodFactory(person=person, phone_number=THIRD_PHONE)
    elif kind == "ended":
        AuthenticationMethodFactory(person=person, phone_number=THIRD_PHONE, ended_at=timezone.now())
    else:
        AuthenticationMethodFactory(person=person, type=kind)
    return person


def patient(case: str, *, default_is_third_person: bool):
    """The patient of a case, and the method a clinic names in `authorize_with` (None: the default).

    For flows without `authorize_with` the patient's own primary is NA, so their third person confirms
    by default; otherwise the patient has an OTP phone and the clinic names the THIRD_PERSON method:
    the chain seen from outside."""
    if case in ("OTP", "OFFLINE", "NA"):
        return PersonFactory(primary=case, **({"primary__phone_number": PATIENT_PHONE} if case == "OTP" else {})), None
    kind = case.removeprefix("THIRD_PERSON:")
    if default_is_third_person:
        person = PersonFactory(primary="NA")
    else:
        person = PersonFactory(primary="OTP", primary__phone_number=PATIENT_PHONE)
    method = AuthenticationMethodFactory(person=person, third=True, third_person=third_person(kind))
    return person, (None if default_is_third_person else method.pk)


def conflict(response) -> str:
    assert response.status_code == 409, response.content
    return response.json()["error"]["message"]


# create: what each case answers in every flow (for NA: besides a declaration with a parent declaration)
CREATE = {
    "OTP": ("OTP", PATIENT_PHONE),
    "OFFLINE": ("OFFLINE", None),
    "NA": NA_CONFIRMS_NOTHING,
    "THIRD_PERSON:OTP": ("OTP", THIRD_PHONE),
    "THIRD_PERSON:OFFLINE": ("OFFLINE", None),
    "THIRD_PERSON:NA": THIRD_NO_METHOD,
    "THIRD_PERSON:ended": THIRD_NO_METHOD,
}


@pytest.mark.parametrize("flow_class", FLOWS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", list(CREATE))
def test_who_confirms_at_create(caller, send, flow_class, case):
    flow = flow_class(caller, send)
    person, authorize_with = patient(case, default_is_third_person=not flow.takes_authorize_with)
    response = flow.create(person, authorize_with)
    expected = CREATE[case]
    if isinstance(expected, str):
        assert conflict(response) == expected
        assert locmem.outbox == []  # nobody was asked
        return
    assert response.status_code == 201, response.content
    body = response.json()
    current = (body.get("urgent") or {}).get("authentication_method_current") or body["data"].get(
        "authentication_method_current"
    )
    type, phone = expected
    assert current["type"] == type
    assert [m["phone_number"] for m in locmem.outbox] == ([phone] if phone else [])


def test_the_patients_own_na_confirms_a_declaration_only_with_a_parent_declaration(caller, send):
    flow = DeclarationRequests(caller, send)
    assert conflict(flow.create(PersonFactory(primary="NA"))) == NA_CONFIRMS_NOTHING
    response = flow.create(PersonFactory(primary="NA"), parent=True)
    assert response.status_code == 201
    request_id = response.json()["data"]["id"]
    assert flow.patch(f"/api/v3/declaration_requests/{request_id}/actions/approve").status_code == 201


def test_the_reported_chain_no_longer_approves_a_declaration_without_consent(caller, send):
    """A patient with an OTP phone and a THIRD_PERSON whose third person is NA: a clinic that names that
    method got an NA request approved with an empty body and no SMS to anyone."""
    flow = DeclarationRequests(caller, send)
    person, authorize_with = patient("THIRD_PERSON:NA", default_is_third_person=False)
    assert conflict(flow.create(person, authorize_with)) == THIRD_NO_METHOD
    assert locmem.outbox == []
    assert not person.declaration_requests.exists()


@pytest.mark.parametrize("flow_class", FLOWS, ids=lambda f: f.__name__)
def test_who_confirms_again_at_resend_and_approve(caller, send, flow_class):
    """Made through a third person's OTP; the third person's phone then gives way to NA: the code already
    sent approves nothing, and no new one is sent."""
    flow = flow_class(caller, send)
    person, authorize_with = patient("THIRD_PERSON:OTP", default_is_third_person=not flow.takes_authorize_with)
    response = flow.create(person, authorize_with)
    assert response.status_code == 201, response.content
    request_id = response.json()["data"]["id"]
    code = locmem.outbox[-1]["body"].rsplit(" ", 1)[-1]
    third = person.authentication_methods.get(type="THIRD_PERSON").third_person
    third.authentication_methods.update(ended_at=timezone.now())
    AuthenticationMethod.objects.create(person=third, type="NA")
    locmem.outbox.clear()

    assert conflict(flow.resend(request_id)) in (
        THIRD_NO_METHOD,
        "Resend OTP is not allowed for this authentication method",
    )
    assert conflict(flow.approve(request_id, code)) == THIRD_NO_METHOD
    assert locmem.outbox == []
