"""Approve of a declaration request, step by step; each message verbatim; all or nothing."""

import hashlib
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from core.documents.uploads import storage_name
from core.models import Event
from declarations import services
from declarations.models import ChainHead, Declaration, DeclarationRequest, Employee
from declarations.selectors import employee_declaration_count, employees_with_declaration_counts
from tests.declarations.conftest import act, error, invalid, last_code, wrong
from tests.declarations.factories import (
    DeclarationFactory,
    DeclarationRequestFactory,
    EmployeeFactory,
    parent_declaration,
)
from tests.persons.factories import PersonFactory

pytestmark = pytest.mark.django_db

PHONE = "+380931234585"


def otp_request(create, **extra) -> tuple[str, str]:
    """A NEW request confirmed by OTP: (its id, the code the patient got)."""
    response = create(PersonFactory(primary__phone_number=PHONE), **extra)
    assert response.status_code == 201
    return response.json()["data"]["id"], last_code(PHONE)


def new_request(create, primary="NA", **extra) -> str:
    """A NEW request; the person's own NA confirms only with a parent declaration, so one is made."""
    person = PersonFactory(primary=primary)
    if primary == "NA" and "parent_declaration_id" not in extra:
        extra["parent_declaration_id"] = str(parent_declaration(person).pk)
    response = create(person, **extra)
    assert response.status_code == 201
    return response.json()["data"]["id"]


def approve(caller, request_id, body=None):
    return act(caller, request_id, "approve", {} if body is None else body)


def upload(request_id, type="PASSPORT"):
    owner = DeclarationRequest.objects.get(pk=request_id)
    default_storage.save(storage_name(owner=owner, type=type), ContentFile(b"\xff\xd8\xff\xe0" + b"\x00" * 16))


def state(request_id) -> tuple:
    """What a failed approve must leave as it was: the request, its events, the declarations."""
    request = DeclarationRequest.objects.get(pk=request_id)
    return (
        request.status,
        request.status_reason,
        request.seed,
        request.printout_content,
        request.is_shareable,
        Event.objects.filter(entity_id=str(request.pk)).count(),
        Declaration.objects.count(),
    )


def assert_unchanged(request_id, before):
    assert state(request_id) == before
    assert before[0] == "NEW"


# --- the happy path ----------------------------------------------------------------------------------


def test_otp_approve_is_201_with_the_approved_request(caller, doctor, create, django_assert_max_num_queries):
    request_id, code = otp_request(create)
    with django_assert_max_num_queries(23):
        response = approve(caller, request_id, {"verification_code": int(code)})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["id"] == request_id
    assert data["status"] == "APPROVED"  # step 6
    assert data["status_reason"] == "doctor_confirmed"
    assert data["is_shareable"] is True
    assert data["updated_by"] == str(caller.client.uuid)
    request = DeclarationRequest.objects.get(pk=request_id)
    assert request.verification.status == "VERIFIED"  # step 3: the code is spent
    assert len(data["seed"]) == 64  # step 5
    assert "Декларація про вибір лікаря" in data["printout_content"]  # step 7
    events = {(e.property, e.old_value, e.new_value) for e in Event.objects.filter(entity_id=request_id)}
    assert {("status", "NEW", "APPROVED"), ("status_reason", "", "doctor_confirmed")} <= events


def test_printout_is_ukrainian_with_patient_doctor_legal_entity_dates_and_number(caller, doctor, create):
    caller.client.legal_entity_name = "КНП «Центр первинної медичної допомоги №1»"
    caller.client.save()
    person = PersonFactory(primary="NA", first_name="Олена", last_name="Петренко", second_name="Іванівна")
    request_id = create(person, parent_declaration_id=str(parent_declaration(person).pk)).json()["data"]["id"]
    data = approve(caller, request_id).json()["data"]
    printout = data["printout_content"]
    start = data["data_to_be_signed"]["start_date"].split("-")
    end = data["data_to_be_signed"]["end_date"].split("-")
    for text in (
        '<html lang="uk">',
        "Пацієнт",
        "Петренко Олена Іванівна",
        "17.05.1990",
        f"{doctor.last_name} {doctor.first_name} {doctor.second_name}",
        "Лікар загальної практики – сімейний лікар",
        "КНП «Центр первинної медичної допомоги №1»",
        f"Дата початку: {start[2]}.{start[1]}.{start[0]}",
        f"Дата закінчення: {end[2]}.{end[1]}.{end[0]}",
        f"№ {data['declaration_number']}",
    ):
        assert text in printout.replace("&laquo;", "«").replace("&raquo;", "»"), text


def test_offline_approve_after_the_upload(caller, create):
    request_id = new_request(create, "OFFLINE")
    upload(request_id)
    assert approve(caller, request_id).status_code == 201


def test_an_approve_without_a_code_checks_once_under_the_locks(caller, create, django_assert_max_num_queries):
    """No code to spend, so no unlocked checks first: the token, then one transaction (BEGIN; the request
    locked with its person and doctor; the person's methods; the doctor's two counts, declarations and
    approved requests; the chain's head moved, its new seed returned; the request; its events; COMMIT)."""
    request_id = new_request(create, "OFFLINE")
    upload(request_id)
    ChainHead.objects.get_or_create(id=ChainHead.ONLY)  # as migrations leave it (a flushed database has none)
    with django_assert_max_num_queries(10):
        assert approve(caller, request_id).status_code == 201


def test_the_persons_own_na_without_a_parent_declaration_confirms_nothing(caller, create):
    response = create(PersonFactory(primary="NA"))
    assert response.status_code == 409
    assert error(response) == {
        "type": "request_conflict",
        "message": "Request can not be confirmed by authentication method NA",
    }
    assert not DeclarationRequest.objects.exists()


# --- step 1: the body --------------------------------------------------------------------------------


def test_step_1_otp_needs_a_code(caller, create):
    request_id, _ = otp_request(create)
    before = state(request_id)
    response = approve(caller, request_id)
    assert response.status_code == 422
    assert invalid(response) == [("$.verification_code", "Verification code is required")]
    assert_unchanged(request_id, before)


@pytest.mark.parametrize("primary", ["OFFLINE", "NA"])
def test_step_1_other_methods_take_an_empty_body(caller, create, primary):
    request_id = new_request(create, primary)
    before = state(request_id)
    response = approve(caller, request_id, {"verification_code": 1234})
    assert response.status_code == 422
    assert invalid(response) == [("$.verification_code", f"Verification code is not expected for {primary}")]
    assert_unchanged(request_id, before)


def test_step_1_the_body_is_closed(caller, create):
    request_id = new_request(create)
    response = approve(caller, request_id, {"code": 1234})
    assert response.status_code == 422
    assert invalid(response) == [("$.code", "Schema does not allow additional properties")]


# --- step 2: the person's verification status --------------------------------------------------------


def test_step_2_patient_is_not_verified_and_the_code_is_kept(caller, create):
    request_id, code = otp_request(create)
    request = DeclarationRequest.objects.get(pk=request_id)
    request.person.verification_status = "NOT_VERIFIED"
    request.person.save()
    before = state(request_id)
    response = approve(caller, request_id, {"verification_code": code})
    assert response.status_code == 409
    assert error(response) == {"type": "request_conflict", "message": "Patient is not verified"}
    assert_unchanged(request_id, before)
    request.verification.refresh_from_db()
    assert request.verification.status == "NEW" and request.verification.attempts == 0


# --- step 3: the confirmation ------------------------------------------------------------------------


REFUSALS = ["Invalid verification code", "Verification code expired", "Maximum attempts exceed"]


@pytest.mark.parametrize("reason", REFUSALS)
def test_step_3_otp_refused(caller, create, reason, settings):
    request_id, code = otp_request(create)
    verification = DeclarationRequest.objects.get(pk=request_id).verification
    if reason == "Verification code expired":
        verification.code_expired_at = verification.created_at
        verification.save()
    if reason == "Maximum attempts exceed":
        for _ in range(settings.OTP_MAX_ATTEMPTS):
            approve(caller, request_id, {"verification_code": wrong(code)})
    before = state(request_id)
    response = approve(caller, request_id, {"verification_code": wrong(code) if reason.startswith("Invalid") else code})
    assert response.status_code == 422
    assert error(response)["type"] == "validation_failed"
    assert invalid(response) == [("$.verification_code", reason)]
    assert_unchanged(request_id, before)


def test_step_3_only_the_requests_own_code_confirms_it(caller, caller_factory, create):
    person = PersonFactory(primary__phone_number=PHONE)
    ours = create(person).json()["data"]["id"]
    our_code = last_code(PHONE)
    other = caller_factory(name="Other MIS")
    theirs = create(person, employee=EmployeeFactory(client=other.client), who=other).json()["data"]["id"]
    their_code = last_code(PHONE)
    if their_code != our_code:  # two random codes may match; then there is nothing to tell apart
        response = approve(caller, ours, {"verification_code": their_code})
        assert invalid(response) == [("$.verification_code", "Invalid verification code")]
    # the other legal entity's newer request replaced neither our request nor our code
    assert approve(caller, ours, {"verification_code": our_code}).status_code == 201
    assert approve(other, theirs, {"verification_code": their_code}).status_code == 201


def test_step_3_offline_documents_must_be_uploaded(caller, create):
    person = PersonFactory(
        primary="OFFLINE",
        documents=[{"type": "PASSPORT", "number": "АА1"}, {"type": "NATIONAL_ID", "number": "2"}],
    )
    request_id = create(person).json()["data"]["id"]
    upload(request_id, "NATIONAL_ID")
    before = state(request_id)
    response = approve(caller, request_id)
    assert response.status_code == 409
    assert error(response)["message"] == "Documents PASSPORT is not uploaded"
    assert_unchanged(request_id, before)


def test_step_3_na_parent_declaration_must_be_active(caller, create, doctor):
    person = PersonFactory(primary="NA")
    parent = DeclarationFactory(employee=doctor, person=person)
    request_id = create(person, parent_declaration_id=str(parent.pk)).json()["data"]["id"]
    parent.status = Declaration.Status.TERMINATED
    parent.save()
    before = state(request_id)
    response = approve(caller, request_id)
    assert response.status_code == 404
    assert error(response) == {"type": "not_found", "message": "Active parent declaration was not found"}
    assert_unchanged(request_id, before)


def test_step_3_na_with_an_active_parent_clears_the_consent_fields(caller, create, doctor):
    person = PersonFactory(primary="NA")
    parent = DeclarationFactory(employee=doctor, person=person)
    request_id = create(person, parent_declaration_id=str(parent.pk)).json()["data"]["id"]
    response = approve(caller, request_id)
    assert response.status_code == 201
    signed = response.json()["data"]["data_to_be_signed"]
    assert signed["patient_signed"] is None
    assert signed["process_disclosure_data_consent"] is None


def test_step_3_no_current_method_is_409(caller, create):
    request_id = new_request(create)
    DeclarationRequest.objects.filter(pk=request_id).update(authentication_method_current={})
    before = state(request_id)
    response = approve(caller, request_id)
    assert response.status_code == 409
    assert error(response)["message"] == "Declaration request has no authentication method"
    assert_unchanged(request_id, before)


def test_person_deactivated_meanwhile_is_409_under_the_lock(caller, create):
    request_id = new_request(create)
    DeclarationRequest.objects.get(pk=request_id).person.__class__.objects.update(status="inactive")
    response = approve(caller, request_id)
    assert response.status_code == 409
    assert error(response)["message"] == "Person is not active"
    assert DeclarationRequest.objects.get(pk=request_id).status == "NEW"


def test_method_ended_meanwhile_is_409(caller, create):
    request_id = new_request(create, "OFFLINE")
    upload(request_id)
    request = DeclarationRequest.objects.get(pk=request_id)
    request.person.authentication_methods.update(ended_at="2020-01-01T00:00:00Z")
    response = approve(caller, request_id)
    assert response.status_code == 409
    assert error(response)["message"] == "Authentication method has changed"


# --- step 4: the doctor's limit ----------------------------------------------------------------------


def fill(doctor, declarations: int, approved: int = 0):
    for _ in range(declarations):
        DeclarationFactory(employee=doctor)
    for _ in range(approved):
        DeclarationRequestFactory(employee=doctor)


def test_one_doctors_count_is_the_back_offices_count(caller, doctor):
    """The approve's plain-SQL count and the back office's annotation count the same rows."""
    other = EmployeeFactory(client=caller.client)
    fill(doctor, 3, approved=2)
    fill(other, 1, approved=1)
    DeclarationFactory(employee=doctor, terminated=True)
    DeclarationRequestFactory(employee=doctor, status=DeclarationRequest.Status.NEW)
    annotated = {e.pk: e.declaration_count for e in employees_with_declaration_counts(Employee.objects.all())}
    assert employee_declaration_count(doctor.pk) == annotated[doctor.pk] == 5
    assert employee_declaration_count(other.pk) == annotated[other.pk] == 2


def test_step_4_one_below_the_limit_passes(caller, doctor, create, settings):
    settings.DECLARATION_LIMIT_FAMILY_DOCTOR = 4
    fill(doctor, 2, 1)
    DeclarationFactory(employee=doctor, terminated=True)  # not counted
    assert approve(caller, new_request(create)).status_code == 201


def test_step_4_at_the_limit_fails_and_nothing_changes(caller, doctor, create, settings):
    settings.DECLARATION_LIMIT_FAMILY_DOCTOR = 3
    fill(doctor, 2, 1)
    request_id, code = otp_request(create)
    before = state(request_id)
    response = approve(caller, request_id, {"verification_code": code})
    assert response.status_code == 422
    assert error(response) == {
        "type": "request_malformed",
        "message": "This doctor has 3 declarations and could not sign more",
    }
    assert_unchanged(request_id, before)
    # checked before the code: the patient's code is not spent on a doomed approve
    assert DeclarationRequest.objects.get(pk=request_id).verification.status == "NEW"


def test_step_4_the_employees_own_limit_wins(caller, create, settings):
    settings.DECLARATION_LIMIT_FAMILY_DOCTOR = 1000
    doctor = EmployeeFactory(client=caller.client, declaration_limit=2)
    fill(doctor, 2)
    response = approve(caller, new_request(create, employee=doctor))
    assert response.status_code == 422
    assert error(response)["message"] == "This doctor has 2 declarations and could not sign more"
    generous = EmployeeFactory(client=caller.client, speciality="PEDIATRICIAN", declaration_limit=3)
    settings.DECLARATION_LIMIT_PEDIATRICIAN = 2
    fill(generous, 2)
    assert approve(caller, new_request(create, employee=generous)).status_code == 201


def test_step_4_speciality_limits(caller, create, settings):
    settings.DECLARATION_LIMIT_THERAPIST = 1
    therapist = EmployeeFactory(client=caller.client, speciality="THERAPIST")
    fill(therapist, 1)
    response = approve(caller, new_request(create, employee=therapist))
    assert error(response)["message"] == "This doctor has 1 declarations and could not sign more"


def test_step_4_overlimit_set_at_create_skips_the_check_and_is_audited(caller, doctor, create, settings):
    settings.DECLARATION_LIMIT_FAMILY_DOCTOR = 1
    fill(doctor, 1)
    request_id = new_request(create, overlimit=True)
    assert DeclarationRequest.objects.get(pk=request_id).overlimit is True
    overlimit = Event.objects.get(entity_id=request_id, property="overlimit")
    assert (overlimit.old_value, overlimit.new_value, overlimit.actor) == (
        False,
        True,
        str(caller.client.uuid),
    )
    assert approve(caller, request_id).status_code == 201


def test_step_4_the_message_gives_the_doctors_count_not_the_limit(caller, doctor, create, settings):
    """Seen from outside: limit 3, count 5 answered "has 3"."""
    fill(doctor, 5)
    settings.DECLARATION_LIMIT_FAMILY_DOCTOR = 3
    response = approve(caller, new_request(create))
    assert error(response)["message"] == "This doctor has 5 declarations and could not sign more"


def test_approved_requests_count_against_the_limit(caller, doctor, create, settings):
    settings.DECLARATION_LIMIT_FAMILY_DOCTOR = 2
    first, second, third = (new_request(create) for _ in range(3))
    assert approve(caller, first).status_code == 201
    assert approve(caller, second).status_code == 201
    assert approve(caller, third).status_code == 422


# --- step 5: the seed chain --------------------------------------------------------------------------


def sha256(previous: str, data: dict) -> str:
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous + payload).encode()).hexdigest()


def test_step_5_each_seed_chains_to_the_previous_approved_request(caller, create):
    first, second = new_request(create), new_request(create)
    one = approve(caller, first).json()["data"]
    two = approve(caller, second).json()["data"]
    assert one["seed"] == sha256("", one["data_to_be_signed"])
    assert two["seed"] == sha256(one["seed"], two["data_to_be_signed"])
    assert ChainHead.objects.get().seed == two["seed"]


def test_a_chain_head_that_is_gone_is_made_again_from_the_latest_approval_by_migrate(caller, create):
    """A flushed (or emptied) database: `migrate` and `flush` send post_migrate, which makes the head again."""
    first, second = new_request(create), new_request(create)
    one = approve(caller, first).json()["data"]
    ChainHead.objects.all().delete()
    call_command("migrate", verbosity=0)
    two = approve(caller, second).json()["data"]
    assert two["seed"] == sha256(one["seed"], two["data_to_be_signed"])
    assert ChainHead.objects.get().seed == two["seed"]


# --- a failure under the lock leaves nothing ---------------------------------------------------------


def test_a_failure_after_the_checks_rolls_everything_back(caller, create, monkeypatch):
    request_id = new_request(create)
    before = state(request_id)

    def broken(*args, **kwargs):
        raise RuntimeError("printout service down")

    monkeypatch.setattr(services, "render_printout", broken)
    caller.http.raise_request_exception = False
    response = approve(caller, request_id)
    assert response.status_code == 500
    assert_unchanged(request_id, before)


def test_expired_request_is_409(caller, create):
    request_id = new_request(create)
    DeclarationRequest.objects.filter(pk=request_id).update(expires_at="2020-01-01T00:00:00Z")
    response = approve(caller, request_id)
    assert response.status_code == 409
    assert error(response)["message"] == "Declaration request is expired"


def test_the_printout_shows_the_day_of_approval(caller, create):
    request_id = new_request(create)
    assert approve(caller, request_id).status_code == 201
    request = DeclarationRequest.objects.get(pk=request_id)
    assert f"Дата підтвердження: {timezone.localdate(request.approved_at):%d.%m.%Y}" in request.printout_content
