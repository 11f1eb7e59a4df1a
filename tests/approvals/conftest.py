import re

import pytest

from approvals.models import Approval
from tests.declarations.factories import EmployeeFactory
from tests.persons.factories import AuthenticationMethodFactory, PersonFactory
from verifications.sms import locmem

SYSTEM = "eHealth/resources"
EPISODE = "d5a5d991-0bf7-476f-b3cf-bec73f044b2e"
SERVICE_REQUEST = "9183a36b-4d45-4244-9339-63d81cd08d9c"


def reference(code: str, value: str) -> dict:
    return {"identifier": {"type": {"coding": [{"system": SYSTEM, "code": code}]}, "value": value}}


def url(patient, approval=None, action: str = "") -> str:
    base = f"/api/patients/{getattr(patient, 'pk', patient)}/approvals"
    if approval is not None:
        base += f"/{getattr(approval, 'pk', approval)}"
    return base + (f"/actions/{action}" if action else "")


def sms_to(phone_number: str) -> list[str]:
    return [m["body"] for m in locmem.outbox if m["phone_number"] == phone_number]


def code_of(phone_number: str) -> str:
    bodies = sms_to(phone_number)
    assert bodies, f"no SMS to {phone_number}"
    return re.search(r"(\d+)\s*$", bodies[-1]).group(1)


@pytest.fixture(autouse=True)
def approval_defaults(settings):
    """Resend right after create (the send limits have their own tests); an empty outbox."""
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1000
    settings.OTP_PHONE_SEND_LIMIT = 1000
    settings.APPROVAL_RESEND_MODE = "async"
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a call and the tasks it queues on commit (the SMS, the job), as the worker would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def doctor(caller):
    return EmployeeFactory(client=caller.client)


@pytest.fixture
def patient():
    return PersonFactory(primary__phone_number="+380931234585")


def body(doctor, **extra) -> dict:
    return {
        "granted_resources": [reference("episode_of_care", EPISODE)],
        "granted_to": reference("employee", str(doctor.pk)),
        "reason": reference("service_request", SERVICE_REQUEST),
        "access_level": "read",
        **extra,
    }


@pytest.fixture
def create(caller, doctor, send):
    """POST an approval for the patient (the SMS sent); the Approval row."""

    def run(patient, http=None, **extra) -> Approval:
        response = send((http or caller).post, url(patient), body(doctor, **extra), format="json")
        assert response.status_code == 201, response.json()
        return Approval.objects.get(pk=response.json()["data"]["id"])

    return run


def offline_patient():
    return PersonFactory(primary="OFFLINE")


def third_person_patient(third_type: str = "OTP"):
    """A child whose primary method is NA and whose parent (the third person) confirms."""
    child = PersonFactory(primary="NA")
    parent = PersonFactory(primary=third_type, primary__phone_number="+380671112233" if third_type == "OTP" else "")
    method = AuthenticationMethodFactory(person=child, type="THIRD_PERSON", third_person=parent)
    return child, method
