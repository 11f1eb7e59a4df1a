"""Approvals over HTTP: create, list, read, activate, reject (seed 001's resend: test_resend.py)."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from approvals.models import Approval
from core.documents.uploads import storage_name
from core.models import Event
from tests.declarations.factories import EmployeeFactory
from tests.persons.factories import PersonFactory

from .conftest import (
    EPISODE,
    SERVICE_REQUEST,
    body,
    code_of,
    offline_patient,
    reference,
    sms_to,
    third_person_patient,
    url,
)

pytestmark = pytest.mark.django_db

PHONE = "+380931234585"


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["message"]


def invalid(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.json()
    return [(e["entry"], r["description"]) for e in response.json()["error"]["invalid"] for r in e["rules"]]


# --- create -----------------------------------------------------------------------------------


def test_create_otp_answers_the_seeds_shape_and_sends_the_code(
    caller, doctor, patient, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    # the request's own queries; the SMS task runs on commit, after them
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(15):
        response = caller.post(url(patient), body(doctor), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    approval = Approval.objects.get(pk=data["id"])
    assert data == {
        "id": str(approval.pk),
        "patient_id": str(patient.pk),
        "granted_resources": [{**reference("episode_of_care", EPISODE), "display_value": None}],
        "granted_to": {**reference("employee", str(doctor.pk)), "display_value": str(doctor)},
        "expires_at": int(approval.expires_at.timestamp()),
        "reason": {**reference("service_request", SERVICE_REQUEST), "display_value": None},
        "status": "new",
        "access_level": "read",
        "authentication_method_current": {"type": "OTP", "number": "+38093*****85"},
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }
    assert "urgent" not in response.json()
    assert abs(approval.expires_at - (timezone.now() + timedelta(minutes=1440))) < timedelta(minutes=1)
    assert approval.legal_entity_id == caller.client.legal_entity_id
    assert approval.verification is not None and approval.verification.status == "NEW"
    assert len(sms_to(PHONE)) == 1 and code_of(PHONE).isdigit()
    assert Event.objects.filter(entity_id=str(approval.pk), property="status", new_value="new").exists()


def test_create_with_a_third_person_sends_the_code_to_their_phone(caller, doctor, send):
    child, method = third_person_patient()
    response = send(caller.post, url(child), body(doctor, authorize_with=str(method.pk)), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["authentication_method_current"] == {"type": "OTP", "number": "+38067*****33"}
    assert len(sms_to("+380671112233")) == 1


def test_create_offline_sends_nothing_and_asks_for_the_consent_scan(caller, doctor, send):
    patient = offline_patient()
    response = send(caller.post, url(patient), body(doctor), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["authentication_method_current"] == {"type": "OFFLINE", "number": None}
    [document] = response.json()["urgent"]["documents"]
    assert document["type"] == "SIGNED_CONSENT" and "/api/uploads/" in document["url"]
    assert Approval.objects.get().verification is None
    from verifications.sms import locmem

    assert locmem.outbox == []


def test_create_refusals(caller, caller_factory, doctor, patient):
    assert error(caller.post(url(uuid.uuid4()), body(doctor), format="json")) == (404, "Person not found")
    inactive = PersonFactory(status="inactive")
    assert error(caller.post(url(inactive), body(doctor), format="json")) == (404, "Person not found")
    assert error(caller.post(url(PersonFactory(primary="NA")), body(doctor), format="json")) == (
        409,
        "Request can not be confirmed by authentication method NA",
    )
    other_doctor = EmployeeFactory(client=caller_factory(name="Other MIS").client)
    field = "$.granted_to.identifier.value"
    assert invalid(caller.post(url(patient), body(other_doctor), format="json")) == [(field, "Employee not found")]
    dismissed = EmployeeFactory(client=caller.client, dismissed=True)
    assert invalid(caller.post(url(patient), body(dismissed), format="json")) == [(field, "Employee is not active")]
    assert invalid(caller.post(url(patient), body(doctor, authorize_with=str(uuid.uuid4())), format="json")) == [
        ("$.authorize_with", "Authentication method not found")
    ]
    assert Approval.objects.count() == 0


def test_create_validates_the_references(caller, doctor, patient):
    wrong_code = body(doctor, granted_resources=[reference("medication", EPISODE)])
    [(entry, _)] = invalid(caller.post(url(patient), wrong_code, format="json"))
    assert entry == "$.granted_resources[0].identifier.type.coding[0].code"
    assert invalid(caller.post(url(patient), body(doctor, granted_resources=[]), format="json"))[0][0] == (
        "$.granted_resources"
    )
    not_employee = body(doctor, granted_to=reference("care_plan", str(doctor.pk)))
    assert invalid(caller.post(url(patient), not_employee, format="json"))[0][0] == (
        "$.granted_to.identifier.type.coding[0].code"
    )
    assert invalid(caller.post(url(patient), body(doctor, access_level="write"), format="json"))[0][0] == (
        "$.access_level"
    )
    assert invalid(caller.post(url(patient), body(doctor, extra=1), format="json")) == [
        ("$.extra", "Schema does not allow additional properties")
    ]
    for code in ("episode_of_care", "diagnostic_report", "service_request", "care_plan"):
        response = caller.post(url(patient), body(doctor, granted_resources=[reference(code, EPISODE)]), format="json")
        assert response.status_code == 201, response.json()


def test_create_needs_the_create_scope(caller_factory, patient):
    reader = caller_factory(scopes=["approval:read"])
    response = reader.post(url(patient), body(EmployeeFactory(client=reader.client)), format="json")
    assert error(response) == (
        403,
        "Your scope does not allow to access this resource. Missing allowances: approval:create",
    )


# --- list and read ----------------------------------------------------------------------------


def test_list_filters_pages_and_hides_other_legal_entities(
    caller, caller_factory, doctor, patient, create, django_assert_max_num_queries
):
    first = create(patient)
    second = create(patient)
    other_doctor = EmployeeFactory(client=caller.client)
    third = create(patient, granted_to=reference("employee", str(other_doctor.pk)))
    Approval.objects.filter(pk=first.pk).update(status="rejected")
    other = caller_factory(name="Other MIS")
    create(patient, http=other, granted_to=reference("employee", str(EmployeeFactory(client=other.client).pk)))

    with django_assert_max_num_queries(4):
        response = caller.get(url(patient))
    assert [a["id"] for a in response.json()["data"]] == [str(third.pk), str(second.pk), str(first.pk)]
    assert response.json()["paging"] == {"page_number": 1, "page_size": 50, "total_entries": 3, "total_pages": 1}
    assert [a["id"] for a in caller.get(url(patient), {"status": "new"}).json()["data"]] == [
        str(third.pk),
        str(second.pk),
    ]
    by_doctor = caller.get(url(patient), {"granted_to": str(other_doctor.pk)}).json()["data"]
    assert [a["id"] for a in by_doctor] == [str(third.pk)]
    page = caller.get(url(patient), {"page": 2, "page_size": 2}).json()
    assert [a["id"] for a in page["data"]] == [str(first.pk)]
    assert invalid(caller.get(url(patient), {"status": "open"}))[0][0] == "$.status"
    assert error(caller.get(url(uuid.uuid4()))) == (404, "Person not found")


def test_list_queries_do_not_grow_with_rows(caller, patient, create, django_assert_max_num_queries):
    for _ in range(5):
        create(patient)
    with django_assert_max_num_queries(4):
        assert len(caller.get(url(patient)).json()["data"]) == 5


def test_retrieve(caller, caller_factory, patient, create, django_assert_max_num_queries):
    approval = create(patient)
    with django_assert_max_num_queries(3):
        response = caller.get(url(patient, approval))
    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(approval.pk)
    not_found = (404, "Approval with such id is not found")
    assert error(caller_factory(name="Other MIS").get(url(patient, approval))) == not_found
    assert error(caller.get(url(PersonFactory(), approval))) == not_found
    assert error(caller.get(url(patient, uuid.uuid4()))) == not_found
    assert error(caller.get(url(uuid.uuid4(), approval))) == (404, "Person not found")
    assert caller.get(f"/api/patients/{patient.pk}/approvals/not-a-uuid").status_code == 404


def test_another_client_of_the_same_legal_entity_sees_the_approval(caller, caller_factory, patient, create):
    approval = create(patient)
    colleague = caller_factory(name="Second MIS", legal_entity_id=caller.client.legal_entity_id)
    assert colleague.get(url(patient, approval)).status_code == 200


# --- activate ---------------------------------------------------------------------------------


def test_activate_with_the_code(caller, patient, create, django_assert_max_num_queries):
    approval = create(patient)
    with django_assert_max_num_queries(20):
        response = caller.patch(url(patient, approval), {"code": code_of(PHONE)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["status"] == "active"
    approval.refresh_from_db()
    assert approval.status == "active" and approval.verification.status == "VERIFIED"
    assert Event.objects.filter(entity_id=str(approval.pk), old_value="new", new_value="active").exists()
    assert error(caller.patch(url(patient, approval), {"code": code_of(PHONE)}, format="json")) == (
        409,
        "Approval is not in status new",
    )


def test_activate_refuses_a_wrong_or_missing_code_on_dollar_code(caller, patient, create, settings):
    approval = create(patient)
    right = code_of(PHONE)
    wrong = "1" * len(right) if right != "1" * len(right) else "2" * len(right)
    assert invalid(caller.patch(url(patient, approval), {}, format="json")) == [
        ("$.code", "Verification code is required")
    ]
    for _ in range(settings.OTP_MAX_ATTEMPTS - 1):
        assert invalid(caller.patch(url(patient, approval), {"code": wrong}, format="json")) == [
            ("$.code", "Invalid verification code")
        ]
    assert invalid(caller.patch(url(patient, approval), {"code": wrong}, format="json")) == [
        ("$.code", "Invalid verification code")
    ]
    assert invalid(caller.patch(url(patient, approval), {"code": right}, format="json")) == [
        ("$.code", "Maximum attempts exceed")
    ]
    approval.refresh_from_db()
    assert approval.status == "new"


def test_activate_with_an_expired_code(caller, patient, create):
    approval = create(patient)
    code = code_of(PHONE)
    approval.verification.__class__.objects.filter(pk=approval.verification_id).update(
        code_expired_at=timezone.now() - timedelta(seconds=1)
    )
    assert invalid(caller.patch(url(patient, approval), {"code": code}, format="json")) == [
        ("$.code", "Verification code expired")
    ]


def test_activate_an_expired_or_rejected_approval_is_409(caller, patient, create):
    approval = create(patient)
    code = code_of(PHONE)
    Approval.objects.filter(pk=approval.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert error(caller.patch(url(patient, approval), {"code": code}, format="json")) == (409, "Approval is expired")
    Approval.objects.filter(pk=approval.pk).update(status="rejected")
    assert error(caller.patch(url(patient, approval), {"code": code}, format="json")) == (
        409,
        "Approval is not in status new",
    )


def test_activate_rechecks_the_person_and_the_method(caller, patient, create):
    approval = create(patient)
    code = code_of(PHONE)
    patient.authentication_methods.update(ended_at=timezone.now() - timedelta(seconds=1))
    assert error(caller.patch(url(patient, approval), {"code": code}, format="json")) == (
        409,
        "Authentication method has changed",
    )
    patient.__class__.objects.filter(pk=patient.pk).update(status="inactive")
    assert error(caller.patch(url(patient, approval), {"code": code}, format="json")) == (409, "Person is not active")
    approval.refresh_from_db()
    assert approval.status == "new" and approval.verification.status == "NEW"  # the code was not spent


def test_activate_for_a_doctor_dismissed_meanwhile_is_409(caller, patient, create, doctor):
    approval = create(patient)
    doctor.__class__.objects.filter(pk=doctor.pk).update(status="DISMISSED")
    assert error(caller.patch(url(patient, approval), {"code": code_of(PHONE)}, format="json")) == (
        409,
        "Employee is not active",
    )


def test_activate_offline_needs_the_uploaded_consent(caller, doctor, send):
    patient = offline_patient()
    approval_id = send(caller.post, url(patient), body(doctor), format="json").json()["data"]["id"]
    approval = Approval.objects.get(pk=approval_id)
    assert error(caller.patch(url(patient, approval), {}, format="json")) == (
        409,
        "Documents SIGNED_CONSENT is not uploaded",
    )
    assert invalid(caller.patch(url(patient, approval), {"code": 1234}, format="json")) == [
        ("$.code", "Verification code is not expected for OFFLINE")
    ]
    default_storage.save(storage_name(owner=approval, type="SIGNED_CONSENT"), ContentFile(b"\xff\xd8\xff scan"))
    response = caller.patch(url(patient, approval), {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["status"] == "active"


def test_activate_of_another_legal_entity_is_404(caller, caller_factory, patient, create):
    approval = create(patient)
    other = caller_factory(name="Other MIS")
    assert error(other.patch(url(patient, approval), {"code": code_of(PHONE)}, format="json")) == (
        404,
        "Approval with such id is not found",
    )


# --- reject -----------------------------------------------------------------------------------


def test_reject_a_new_or_an_active_approval(caller, caller_factory, patient, create, django_assert_max_num_queries):
    pending = create(patient)
    with django_assert_max_num_queries(7):
        response = caller.patch(url(patient, pending, "reject"))
    assert response.status_code == 200 and response.json()["data"]["status"] == "rejected"
    assert error(caller.patch(url(patient, pending, "reject"))) == (409, "Approval is not in status new or active")

    granted = create(patient)
    assert caller.patch(url(patient, granted), {"code": code_of(PHONE)}, format="json").status_code == 200
    assert caller.patch(url(patient, granted, "reject")).json()["data"]["status"] == "rejected"
    assert Event.objects.filter(entity_id=str(granted.pk), old_value="active", new_value="rejected").exists()

    third = create(patient)
    assert error(caller_factory(name="Other MIS").patch(url(patient, third, "reject"))) == (
        404,
        "Approval with such id is not found",
    )
