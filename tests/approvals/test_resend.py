"""Seed 001: `PATCH /api/patients/{patient_id}/approvals/{id}/actions/resend`, synchronous and as a job."""

import uuid

import pytest
from django.db import transaction

from approvals import services
from approvals.models import Approval
from approvals.tasks import approval_resend_job
from core.models import Job
from tests.persons.factories import PersonFactory

from .conftest import body, code_of, offline_patient, sms_to, third_person_patient, url

pytestmark = pytest.mark.django_db

PHONE = "+380931234585"
NOT_ALLOWED = "Resend SMS is not allowed for this authentication method"


@pytest.fixture(params=["sync", "async"])
def mode(request, settings):
    settings.APPROVAL_RESEND_MODE = request.param
    return request.param


def resend(caller, send, patient, approval):
    """The resend's answer as the client ends up with it: sync directly, async from the processed job."""
    response = send(caller.patch, url(patient, approval, "resend"))
    if response.status_code != 202:
        return response.status_code, response.json().get("data"), response.json().get("error")
    job = caller.get(response.json()["data"]["links"][0]["href"]).json()["data"]
    return job["status_code"], job.get("response_data"), job.get("error")


def test_sync_resend_answers_201_with_the_approval(caller, patient, create, send, settings):
    settings.APPROVAL_RESEND_MODE = "sync"
    approval = create(patient)
    first = code_of(PHONE)
    response = send(caller.patch, url(patient, approval, "resend"))
    assert response.status_code == 201, response.json()
    assert response.json()["data"] == caller.get(url(patient, approval)).json()["data"]
    assert response.json()["data"]["authentication_method_current"] == {"type": "OTP", "number": "+38093*****85"}
    assert len(sms_to(PHONE)) == 2
    approval.refresh_from_db()
    assert approval.verification.status == "NEW"
    # the new code activates; the first one was replaced
    second = code_of(PHONE)
    if first != second:
        assert caller.patch(url(patient, approval), {"code": first}, format="json").status_code == 422
    assert caller.patch(url(patient, approval), {"code": second}, format="json").status_code == 200


def test_async_resend_answers_202_with_a_job_whose_result_is_the_sync_answer(
    caller, patient, create, django_capture_on_commit_callbacks
):
    approval = create(patient)
    with django_capture_on_commit_callbacks() as queued:
        response = caller.patch(url(patient, approval, "resend"))
    assert response.status_code == 202, response.json()
    data = response.json()["data"]
    job = Job.objects.get()
    assert data == {
        "id": str(job.pk),
        "status": "pending",
        "eta": data["eta"],
        "links": [{"entity": "job", "href": f"/api/jobs/{job.pk}"}],
    }
    assert caller.get(f"/api/jobs/{job.pk}").json()["data"]["status"] == "pending"
    assert len(sms_to(PHONE)) == 1  # nothing is sent before the worker runs the job

    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    result = caller.get(f"/api/jobs/{job.pk}").json()["data"]
    assert result == {
        "id": str(job.pk),
        "status": "processed",
        "status_code": 201,
        "response_data": caller.get(url(patient, approval)).json()["data"],
    }
    assert len(sms_to(PHONE)) == 2
    assert caller.patch(url(patient, approval), {"code": code_of(PHONE)}, format="json").status_code == 200


def test_resend_to_a_third_persons_phone(caller, doctor, send, mode):
    child, method = third_person_patient()
    response = send(caller.post, url(child), body(doctor, authorize_with=str(method.pk)), format="json")
    approval = Approval.objects.get(pk=response.json()["data"]["id"])
    status, data, _ = resend(caller, send, child, approval)
    assert status == 201
    assert data["authentication_method_current"] == {"type": "OTP", "number": "+38067*****33"}
    assert len(sms_to("+380671112233")) == 2


def test_resend_person_not_found(caller, patient, create, send, mode):
    approval = create(patient)
    response = send(caller.patch, url(uuid.uuid4(), approval, "resend"))
    assert (response.status_code, response.json()["error"]["message"]) == (404, "Person not found")
    assert not Job.objects.exists()


def test_resend_approval_not_found_also_for_another_legal_entity(caller, caller_factory, patient, create, send, mode):
    approval = create(patient)
    other = caller_factory(name="Other MIS")
    for who, approval_id, person in (
        (caller, uuid.uuid4(), patient),
        (caller, approval.pk, PersonFactory()),  # another patient's id in the path
        (other, approval.pk, patient),
    ):
        response = send(who.patch, url(person, approval_id, "resend"))
        assert (response.status_code, response.json()["error"]["message"]) == (
            404,
            "Approval with such id is not found",
        )
    assert not Job.objects.exists()
    assert len(sms_to(PHONE)) == 1


def test_resend_is_not_allowed_for_offline(caller, doctor, send, mode):
    patient = offline_patient()
    response = send(caller.post, url(patient), body(doctor), format="json")
    approval = Approval.objects.get(pk=response.json()["data"]["id"])
    response = send(caller.patch, url(patient, approval, "resend"))
    assert (response.status_code, response.json()["error"]["message"]) == (409, NOT_ALLOWED)


def test_resend_is_not_allowed_for_a_third_person_confirming_offline(caller, doctor, send, mode):
    child, method = third_person_patient("OFFLINE")
    response = send(caller.post, url(child), body(doctor, authorize_with=str(method.pk)), format="json")
    approval = Approval.objects.get(pk=response.json()["data"]["id"])
    response = send(caller.patch, url(child, approval, "resend"))
    assert (response.status_code, response.json()["error"]["message"]) == (409, NOT_ALLOWED)


def test_resend_of_an_approval_no_longer_new_is_409(caller, patient, create, send, mode):
    approval = create(patient)
    assert caller.patch(url(patient, approval), {"code": code_of(PHONE)}, format="json").status_code == 200
    response = send(caller.patch, url(patient, approval, "resend"))
    assert (response.status_code, response.json()["error"]["message"]) == (409, "Approval is not in status new")


def test_resend_keeps_the_phones_send_limits(caller, patient, create, send, settings, mode):
    approval = create(patient)
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    status, _, error = resend(caller, send, patient, approval)
    assert status == 429
    assert error == {
        "type": "too_many_requests",
        "message": "A verification code was sent to this phone number moments ago",
    }
    assert not Job.objects.exists()  # async too: refused at once, before any job is made


def test_resend_changes_since_the_202_make_the_job_fail_with_the_sync_answer(caller, patient, create):
    approval = create(patient)
    with transaction.atomic():  # no on-commit run: the test is the worker
        job = services.approval_resend_start(
            patient_id=patient.pk, approval_id=approval.pk, client=caller.client, actor="test"
        )
    Approval.objects.filter(pk=approval.pk).update(status="rejected")
    arguments = {"job_id": str(job.pk), "patient_id": str(patient.pk), "approval_id": str(approval.pk), "actor": "t"}
    assert approval_resend_job.call(**arguments) == "failed"
    data = caller.get(f"/api/jobs/{job.pk}").json()["data"]
    assert data == {
        "id": str(job.pk),
        "status": "failed",
        "status_code": 409,
        "error": {"type": "request_conflict", "message": "Approval is not in status new"},
    }
    assert approval_resend_job.call(**arguments) == "ALREADY_DONE"  # a second run changes nothing


def test_the_job_is_only_the_starting_clients(caller, caller_factory, patient, create, send):
    approval = create(patient)
    href = send(caller.patch, url(patient, approval, "resend")).json()["data"]["links"][0]["href"]
    colleague = caller_factory(name="Second MIS", legal_entity_id=caller.client.legal_entity_id)
    other = caller_factory(name="Other MIS")
    assert caller.get(href).status_code == 200
    for stranger in (colleague, other):
        response = stranger.get(href)
        assert (response.status_code, response.json()["error"]["message"]) == (404, "Job not found")


def test_resend_queries(
    caller, patient, create, django_capture_on_commit_callbacks, django_assert_max_num_queries, settings
):
    approval = create(patient)
    # the async start also checks who confirms and the phone's limits, so a refused resend makes no job
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(13):
        assert caller.patch(url(patient, approval, "resend")).status_code == 202
    settings.APPROVAL_RESEND_MODE = "sync"
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(20):
        assert caller.patch(url(patient, approval, "resend")).status_code == 201
