"""Declarations: list and read (one legal entity never sees another's), terminate (API and back office)."""

import datetime

import pytest
from django.contrib.auth.models import User

from core.audit.events import user_id_of
from core.models import Event
from declarations.models import Declaration
from tests.declarations.conftest import error, invalid, sign
from tests.declarations.factories import DeclarationFactory, EmployeeFactory
from tests.persons.factories import PersonFactory

pytestmark = pytest.mark.django_db

URL = "/api/declarations"


def terminate(caller, declaration_id, body=None):
    body = {"reason_description": "The patient moved to another city"} if body is None else body
    return caller.patch(f"{URL}/{declaration_id}/actions/terminate", body, format="json")


# --- list, read ------------------------------------------------------------------------------------


def test_list_is_the_legal_entitys_own_newest_first_and_paged(caller, caller_factory, doctor):
    older = DeclarationFactory(employee=doctor)
    newer = DeclarationFactory(employee=doctor)
    Declaration.objects.filter(pk=older.pk).update(created_at=newer.created_at - datetime.timedelta(hours=1))
    DeclarationFactory(employee=EmployeeFactory(client=caller_factory(name="Another clinic").client))
    body = caller.get(URL, {"page_size": 1}).json()
    assert [d["id"] for d in body["data"]] == [str(newer.pk)]
    assert body["paging"] == {"page_number": 1, "page_size": 1, "total_entries": 2, "total_pages": 2}
    assert [d["id"] for d in caller.get(URL, {"page": 2, "page_size": 1}).json()["data"]] == [str(older.pk)]


def test_list_filters(caller, doctor):
    other_doctor = EmployeeFactory(client=caller.client)
    person = PersonFactory()
    mine = DeclarationFactory(employee=doctor, person=person)
    theirs = DeclarationFactory(employee=other_doctor)
    ended = DeclarationFactory(employee=other_doctor, terminated=True)

    def ids(**query):
        return {d["id"] for d in caller.get(URL, query).json()["data"]}

    assert ids(person_id=str(person.pk)) == {str(mine.pk)}
    assert ids(employee_id=str(other_doctor.pk)) == {str(theirs.pk), str(ended.pk)}
    assert ids(status="terminated") == {str(ended.pk)}
    assert ids(status="active", employee_id=str(other_doctor.pk)) == {str(theirs.pk)}


@pytest.mark.parametrize(
    ("query", "entry"),
    [({"status": "closed"}, "$.status"), ({"status": ""}, "$.status"), ({"person_id": "x"}, "$.person_id")],
)
def test_a_bad_filter_is_422(caller, query, entry):
    response = caller.get(URL, query)
    assert response.status_code == 422
    assert [e for e, _ in invalid(response)] == [entry]


def test_read_one_and_another_legal_entitys_is_404(caller, caller_factory, doctor):
    declaration = DeclarationFactory(employee=doctor)
    data = caller.get(f"{URL}/{declaration.pk}").json()["data"]
    assert data["declaration_number"] == declaration.declaration_number
    assert data["status"] == "active"
    stranger = caller_factory(name="Stranger")
    response = stranger.get(f"{URL}/{declaration.pk}")
    assert response.status_code == 404
    assert error(response) == {"type": "not_found", "message": "Declaration not found"}


def test_a_signed_declaration_reads_as_sign_answered(caller, doctor, approved, pki):
    signed = sign(caller, approved(), pki.holder(doctor)).json()["data"]
    assert caller.get(f"{URL}/{signed['id']}").json()["data"] == signed


def test_reads_need_declaration_read(doctor):
    from tests.conftest import make_caller

    declaration = DeclarationFactory(employee=doctor)
    caller = make_caller(scopes=["declaration_request:read"])
    assert caller.get(URL).status_code == 403
    assert caller.get(f"{URL}/{declaration.pk}").status_code == 403


# --- terminate -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["active", "pending_verification"])
def test_terminate_ends_the_declaration_today(caller, doctor, status):
    declaration = DeclarationFactory(employee=doctor, status=status)
    response = terminate(caller, declaration.pk)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    today = datetime.datetime.now(datetime.UTC).date()
    assert (data["status"], data["reason"], data["end_date"]) == ("terminated", "manual_employee", today.isoformat())
    assert data["reason_description"] == "The patient moved to another city"
    assert data["updated_by"] == str(caller.client.uuid)
    events = {(e.property, e.old_value, e.new_value) for e in Event.objects.filter(entity_id=str(declaration.pk))}
    assert {
        ("status", status, "terminated"),
        ("reason", "", "manual_employee"),
        ("end_date", "2046-01-01", today.isoformat()),
        ("reason_description", "", "The patient moved to another city"),
    } <= events


def test_terminate_of_a_terminated_declaration_is_409(caller, doctor):
    declaration = DeclarationFactory(employee=doctor, terminated=True)
    response = terminate(caller, declaration.pk)
    assert response.status_code == 409
    assert error(response) == {
        "type": "request_conflict",
        "message": "Declaration is not in status active or pending_verification",
    }


def test_terminate_of_another_legal_entitys_declaration_is_404(caller_factory, doctor):
    declaration = DeclarationFactory(employee=doctor)
    response = terminate(caller_factory(name="Stranger"), declaration.pk)
    assert response.status_code == 404
    assert Declaration.objects.get(pk=declaration.pk).status == "active"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("$.reason_description", "This field is required.")]),
        ({"reason_description": ""}, [("$.reason_description", "This field may not be blank.")]),
        (
            {"reason_description": "x" * 256},
            [("$.reason_description", "Ensure this field has no more than 255 characters.")],
        ),
        ({"reason_description": "ok", "status": "x"}, [("$.status", "Schema does not allow additional properties")]),
    ],
)
def test_terminate_body(caller, doctor, body, expected):
    declaration = DeclarationFactory(employee=doctor)
    response = terminate(caller, declaration.pk, body)
    assert response.status_code == 422
    assert invalid(response) == expected
    assert Declaration.objects.get(pk=declaration.pk).status == "active"


def test_terminate_needs_declaration_write(doctor):
    from tests.conftest import make_caller

    declaration = DeclarationFactory(employee=doctor)
    assert terminate(make_caller(scopes=["declaration:read"]), declaration.pk).status_code == 403


def test_a_signed_declaration_terminated_frees_the_patient_for_nobody_else(caller, doctor, approved, pki):
    """Terminate ends it; the next sign for the patient finds nothing current to end."""
    person = PersonFactory()
    first = sign(caller, approved(person), pki.holder(doctor)).json()["data"]
    assert terminate(caller, first["id"]).status_code == 200
    second = sign(caller, approved(person), pki.holder(doctor)).json()["data"]
    assert Declaration.objects.get(pk=first["id"]).reason == "manual_employee"  # not auto_new_declaration
    assert second["status"] == "active"


# --- the back office ---------------------------------------------------------------------------------


def test_the_back_office_terminates_through_the_service(client, doctor):
    active, ended = DeclarationFactory(employee=doctor), DeclarationFactory(employee=doctor, terminated=True)
    user = User.objects.create_superuser("admin", password="pw")
    client.force_login(user)
    response = client.post(
        "/admin/declarations/declaration/",
        {"action": "terminate", "_selected_action": [str(active.pk), str(ended.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    active.refresh_from_db()
    assert (active.status, active.reason, active.reason_description) == (
        "terminated",
        "manual_employee",
        "Terminated in the back office",
    )
    assert active.updated_by == user_id_of(user)
    messages = [str(m) for m in response.context["messages"]]
    assert any("1" in m and "Declaration is not in status active or pending_verification" in m for m in messages)


def test_the_back_office_shows_a_declaration(client, doctor):
    declaration = DeclarationFactory(employee=doctor, reason="offline", status="pending_verification")
    client.force_login(User.objects.create_superuser("admin", password="pw"))
    page = client.get(f"/admin/declarations/declaration/{declaration.pk}/change/")
    assert page.status_code == 200
    assert declaration.declaration_number in page.content.decode()
