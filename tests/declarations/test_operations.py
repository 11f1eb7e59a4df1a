"""Operators and the back office: create_employee, expire_requests, seed_demo, merging, the admin."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import Event
from declarations import housekeeping, merging
from declarations.models import DeclarationRequest, Employee
from persons.models import Person
from tests.declarations.conftest import act, with_parent
from tests.declarations.factories import DeclarationFactory, DeclarationRequestFactory, EmployeeFactory
from tests.persons.factories import PersonFactory

pytestmark = pytest.mark.django_db


def run(*args) -> dict:
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


# --- create_employee ---------------------------------------------------------------------------------


def test_create_employee_prints_its_id(caller):
    User.objects.create_user("doc", first_name="Ірина", last_name="Коваленко")
    output = run(
        "create_employee", "--client", caller.client.client_id, "--speciality", "PEDIATRICIAN",
        "--declaration-limit", "700", "--user", "doc",
    )  # fmt: skip
    employee = Employee.objects.get(pk=output["id"])
    assert list(output) == ["id"]
    assert employee.legal_entity_id == caller.client.legal_entity_id
    assert (employee.speciality, employee.declaration_limit, employee.last_name) == ("PEDIATRICIAN", 700, "Коваленко")
    assert employee.user.username == "doc"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--client", "nope", "--speciality", "THERAPIST"], "Client not found: nope"),
        (["--speciality", "SURGEON"], "--speciality must be one of THERAPIST, PEDIATRICIAN, FAMILY_DOCTOR"),
        (["--speciality", "THERAPIST", "--declaration-limit", "0"], "--declaration-limit must be a positive integer"),
        (["--speciality", "THERAPIST", "--declaration-limit", "x"], "--declaration-limit must be a positive integer"),
        (["--speciality", "THERAPIST", "--user", "ghost"], "User not found: ghost"),
    ],
)
def test_create_employee_bad_arguments_exit_2(caller, args, message):
    if "--client" not in args:
        args = ["--client", caller.client.client_id, *args]
    with pytest.raises(CommandError) as raised:
        call_command("create_employee", *args, stdout=StringIO())
    assert str(raised.value) == message
    assert raised.value.returncode == 2
    assert not Employee.objects.exists()


# --- expire_requests ---------------------------------------------------------------------------------


def test_expire_new_and_approved_requests_past_their_term(caller):
    doctor = EmployeeFactory(client=caller.client)
    past = timezone.now() - timedelta(minutes=1)
    stale_new = DeclarationRequestFactory(employee=doctor, status="NEW", expires_at=past)
    stale_approved = DeclarationRequestFactory(employee=doctor, expires_at=past)
    fresh = DeclarationRequestFactory(employee=doctor, status="NEW")
    signed = DeclarationRequestFactory(employee=doctor, status="SIGNED", expires_at=past)
    assert housekeeping.expire() == {"declaration requests expired": 2}
    statuses = {r.pk: r.status for r in DeclarationRequest.objects.all()}
    assert statuses == {stale_new.pk: "EXPIRED", stale_approved.pk: "EXPIRED", fresh.pk: "NEW", signed.pk: "SIGNED"}
    events = Event.objects.filter(entity_type="declarations.declarationrequest").values_list(
        "entity_id", "old_value", "new_value"
    )
    assert set(events) == {(str(stale_new.pk), "NEW", "EXPIRED"), (str(stale_approved.pk), "APPROVED", "EXPIRED")}
    assert housekeeping.expire() == {}


def test_expire_requests_command_prints_the_count(caller):
    DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client), expires_at=timezone.now())
    out = StringIO()
    call_command("expire_requests", stdout=out)
    assert "declaration requests expired: 1" in out.getvalue()


# --- merging -----------------------------------------------------------------------------------------


def test_merging_cancels_the_persons_open_requests_of_every_legal_entity(caller, caller_factory):
    person = PersonFactory(primary="NA")
    ours = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client), person=person, status="NEW")
    theirs = DeclarationRequestFactory(employee=EmployeeFactory(client=caller_factory().client), person=person)
    signed = DeclarationRequestFactory(employee=ours.employee, person=person, status="SIGNED")
    someone_elses = DeclarationRequestFactory(employee=ours.employee, status="NEW")
    assert merging.cancel_open_requests(person=person, now=timezone.now(), actor="merge") == 2
    for request, status in ((ours, "CANCELLED"), (theirs, "CANCELLED"), (signed, "SIGNED"), (someone_elses, "NEW")):
        request.refresh_from_db()
        assert request.status == status
    assert ours.status_reason == "person_merged" and ours.updated_by == "merge"
    assert Event.objects.filter(entity_id=str(theirs.pk), property="status", new_value="CANCELLED").exists()


# --- seed_demo ---------------------------------------------------------------------------------------


def test_seed_demo_adds_a_doctor_the_walkthroughs_patient_and_one_open_offline_request():
    first = run("seed_demo")
    request = DeclarationRequest.objects.get()  # the walkthrough's patient has none: no code went to them
    assert first["declaration_request"] == {
        "id": str(request.pk),
        "person_id": first["persons"]["offline"],
        "status": "NEW",
        "confirmed_by": "OFFLINE",
    }
    assert str(request.employee_id) == first["employee"]["id"]
    assert Person.objects.get(pk=first["declaration_patient"]).tax_id == "3385700015"
    assert "declaration request (Коваль Олена)" in first["created"]
    second = run("seed_demo")  # idempotent
    assert not [what for what in second["created"] if "declaration" in what or "doctor" in what]
    for key in ("employee", "declaration_patient", "declaration_request"):
        assert second[key] == first[key]
    assert DeclarationRequest.objects.count() == 1 and Employee.objects.count() == 1


def test_seed_demo_never_replaces_an_open_request_whoever_made_it(caller, send):
    """A new request cancels the legal entity's open ones, so the demo makes one only while there is none."""
    first = run("seed_demo")
    demo_request = DeclarationRequest.objects.get(pk=first["declaration_request"]["id"])
    DeclarationRequest.objects.filter(pk=demo_request.pk).update(status="APPROVED")  # as if the user approved it
    second = run("seed_demo")
    assert second["created"] == [] and second["declaration_request"]["status"] == "APPROVED"
    demo_request.refresh_from_db()
    assert (demo_request.status, DeclarationRequest.objects.count()) == ("APPROVED", 1)
    DeclarationRequest.objects.filter(pk=demo_request.pk).update(status="REJECTED")  # no longer open
    third = run("seed_demo")
    assert third["created"] == ["declaration request (Коваль Олена)"]  # a new one, which cancelled nothing
    assert set(DeclarationRequest.objects.values_list("status", flat=True)) == {"REJECTED", "NEW"}


# --- admin -------------------------------------------------------------------------------------------


@pytest.fixture
def boss(client):
    user = User.objects.create_superuser("boss", password="pw")
    client.force_login(user)
    return user


def test_request_detail_shows_the_audit_trail_and_the_printout(client, boss, caller, create):
    person = PersonFactory(primary="NA")
    request_id = create(person, **with_parent(person)).json()["data"]["id"]
    act(caller, request_id, "approve", {})
    page = client.get(f"/admin/declarations/declarationrequest/{request_id}/change/").content.decode()
    assert "doctor_confirmed" in page
    assert "<iframe sandbox srcdoc=" in page and "Декларація про вибір лікаря" in page
    assert "status: NEW → APPROVED" in page or "NEW → APPROVED" in page
    listing = client.get("/admin/declarations/declarationrequest/", {"q": person.tax_id})
    assert request_id in listing.content.decode()
    assert client.get("/admin/declarations/declarationrequest/", {"status__exact": "APPROVED"}).status_code == 200


def test_employees_show_their_limit_and_count_and_are_edited_through_the_service(client, boss, caller, settings):
    settings.DECLARATION_LIMIT_FAMILY_DOCTOR = 1800
    doctor = EmployeeFactory(client=caller.client)
    DeclarationFactory(employee=doctor)
    DeclarationRequestFactory(employee=doctor)
    listing = client.get("/admin/declarations/employee/").content.decode()
    assert "1800" in listing
    page = client.get(f"/admin/declarations/employee/{doctor.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/declarations/employee/{doctor.pk}/change/",
        {
            "last_name": doctor.last_name,
            "first_name": doctor.first_name,
            "second_name": doctor.second_name,
            "speciality": "FAMILY_DOCTOR",
            "status": "APPROVED",
            "declaration_limit": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    doctor.refresh_from_db()
    assert doctor.declaration_limit == 2
    assert Event.objects.filter(entity_id=str(doctor.pk), property="declaration_limit", new_value=2).exists()
    assert ">2<" in client.get("/admin/declarations/employee/").content.decode()


def test_declarations_are_listed_read_only(client, boss, caller):
    declaration = DeclarationFactory(employee=EmployeeFactory(client=caller.client))
    assert declaration.declaration_number in client.get("/admin/declarations/declaration/").content.decode()
    page = client.get(f"/admin/declarations/declaration/{declaration.pk}/change/")
    assert page.status_code == 200 and b"Save" not in page.content


def test_the_walkthrough_of_the_guide(send):
    """create -> the SMS in the outbox -> approve -> the printout, with the demo data, as docs/api.md does it."""
    from tests.conftest import make_caller
    from tests.declarations.conftest import URL, last_code

    demo = run("seed_demo")
    patient, doctor = demo["declaration_patient"], demo["employee"]["id"]
    caller = make_caller()
    caller.http.credentials(HTTP_AUTHORIZATION=f"Bearer {demo['access_token']}", HTTP_API_KEY=demo["api_key"])
    response = send(caller.post, URL, {"person_id": patient, "employee_id": doctor}, format="json")
    assert response.status_code == 201
    assert response.json()["urgent"] == {"authentication_method_current": {"type": "OTP", "number": "+38063*****67"}}
    request_id = response.json()["data"]["id"]
    code = last_code("+380631234567")
    approved = caller.patch(f"{URL}/{request_id}/actions/approve", {"verification_code": int(code)}, format="json")
    assert approved.status_code == 201
    assert approved.json()["data"]["status_reason"] == "doctor_confirmed"
    printout = caller.get(f"{URL}/{request_id}").json()["data"]["printout_content"]
    assert printout.startswith("<!DOCTYPE html>") and "Шевченко Андрій Іванович" in printout
    assert run("seed_demo")["created"] == []  # `make run` again: the approved request stays approved
    assert DeclarationRequest.objects.get(pk=request_id).status == "APPROVED"


def test_merge_approve_cancels_the_merged_persons_declaration_requests(caller, create, send):
    from tests.declarations.conftest import last_code

    master = PersonFactory(primary__phone_number="+380671112299")
    duplicate = PersonFactory(primary="NA")
    request_id = create(duplicate, **with_parent(duplicate)).json()["data"]["id"]
    body = {"master_person_id": str(master.pk), "merge_person_id": str(duplicate.pk)}
    merge_id = send(caller.post, "/api/merge_requests", body, format="json").json()["data"]["id"]
    code = last_code("+380671112299")
    url = f"/api/merge_requests/{merge_id}/actions/approve"
    response = caller.patch(url, {"verification_code": code}, format="json")
    assert response.status_code == 200
    request = DeclarationRequest.objects.get(pk=request_id)
    assert (request.status, request.status_reason) == ("CANCELLED", "person_merged")


def test_back_office_groups_see_declarations_and_verifiers_may_resend():
    from django.contrib.auth.models import Group

    clerks = set(Group.objects.get(name="read-only clerks").permissions.values_list("codename", flat=True))
    verifiers = set(Group.objects.get(name="verifiers").permissions.values_list("codename", flat=True))
    assert {"view_employee", "view_declaration", "view_declarationrequest"} <= clerks
    assert "change_declarationrequest" not in clerks
    assert {"view_declarationrequest", "change_declarationrequest"} <= verifiers


def test_an_employee_added_in_the_admin_goes_through_the_service(client, boss, caller):
    response = client.post(
        "/admin/declarations/employee/add/",
        {
            "client": caller.client.pk,
            "last_name": "Мельник",
            "first_name": "Олег",
            "second_name": "",
            "speciality": "THERAPIST",
            "status": "APPROVED",
            "declaration_limit": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    employee = Employee.objects.get(last_name="Мельник")
    assert employee.legal_entity_id == caller.client.legal_entity_id
    assert Event.objects.filter(entity_id=str(employee.pk), property="status", new_value="APPROVED").exists()


def test_updating_a_doctor_that_does_not_exist_is_not_found(db):
    import uuid

    from core.api.errors import NotFound
    from declarations.services import employee_update

    with pytest.raises(NotFound):
        employee_update(employee_id=uuid.uuid4(), changes={"first_name": "X"}, actor="test")
