"""Declaration requests v3: create, read, resend the code, reject; one legal entity never sees another's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Event
from declarations.models import DeclarationRequest
from tests.declarations.conftest import URL, act, error, invalid, with_parent
from tests.declarations.factories import DeclarationFactory, EmployeeFactory
from tests.persons.factories import AuthenticationMethodFactory, PersonFactory
from verifications.models import Verification
from verifications.sms import locmem

pytestmark = pytest.mark.django_db


def events(entity) -> list[tuple]:
    rows = Event.objects.filter(entity_type=entity._meta.label_lower, entity_id=str(entity.pk)).order_by("created_at")
    return [(e.property, e.old_value, e.new_value) for e in rows]


def otp_person(phone="+380931234585", **kwargs):
    return PersonFactory(primary__phone_number=phone, **kwargs)


# --- create ------------------------------------------------------------------------------------------


def test_create_with_otp_sends_the_code_and_tells_the_method(
    caller, doctor, create, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    person = otp_person()
    body = {"person_id": str(person.pk), "employee_id": str(doctor.pk)}
    # the SMS task runs on commit, after the counted request
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(15):
        response = caller.post(URL, body, format="json")
    assert response.status_code == 201
    body = response.json()
    data = body["data"]
    assert data["status"] == "NEW"
    assert data["person_id"] == str(person.pk)
    assert data["employee_id"] == str(doctor.pk)
    assert data["legal_entity_id"] == str(caller.client.legal_entity_id)
    assert data["channel"] == "MIS"
    assert data["authentication_method_current"] == {"type": "OTP", "number": "+38093*****85"}
    assert data["documents"] == []
    assert data["seed"] == "" and data["printout_content"] == "" and data["is_shareable"] is False
    assert body["urgent"] == {"authentication_method_current": {"type": "OTP", "number": "+38093*****85"}}
    assert [m["phone_number"] for m in locmem.outbox] == ["+380931234585"]
    request = DeclarationRequest.objects.get(pk=data["id"])
    assert request.verification is not None and request.verification.status == Verification.Status.NEW
    assert request.created_by == str(caller.client.uuid)
    assert events(request) == [("status", None, "NEW")]


def test_data_to_be_signed_describes_the_declaration_without_a_clear_phone(caller, doctor, create):
    person = otp_person()
    data = create(person).json()["data"]
    signed = data["data_to_be_signed"]
    assert signed["id"] == data["declaration_id"]
    assert signed["declaration_number"] == data["declaration_number"]
    assert signed["person"]["id"] == str(person.pk)
    assert signed["person"]["authentication_method_current"] == {"type": "OTP", "number": "+38093*****85"}
    assert signed["employee"]["id"] == str(doctor.pk)
    assert signed["legal_entity"] == {"id": str(caller.client.legal_entity_id), "name": "Test MIS"}
    assert signed["patient_signed"] is False and signed["process_disclosure_data_consent"] is True
    assert "+380931234585" not in str(signed)


def test_create_with_offline_answers_with_upload_urls(create):
    person = PersonFactory(primary="OFFLINE", documents=[{"type": "NATIONAL_ID", "number": "000123456"}])
    response = create(person)
    assert response.status_code == 201
    urgent = response.json()["urgent"]
    assert urgent["authentication_method_current"] == {"type": "OFFLINE", "number": None}
    assert [d["type"] for d in urgent["documents"]] == ["NATIONAL_ID"]
    assert urgent["documents"][0]["url"].startswith("http://testserver/api/uploads/")
    assert response.json()["data"]["documents"] == ["NATIONAL_ID"]
    assert locmem.outbox == []


def test_create_with_na_and_a_parent_declaration_needs_nothing(create):
    person = PersonFactory(primary="NA")
    response = create(person, **with_parent(person))
    assert response.status_code == 201
    assert response.json()["urgent"] == {"authentication_method_current": {"type": "NA", "number": None}}
    assert locmem.outbox == []


def test_authorize_with_a_third_person_sends_the_sms_to_their_phone(create):
    person = PersonFactory(primary="NA")
    mother = otp_person("+380679998877")
    trusted = AuthenticationMethodFactory(person=person, third=True, third_person=mother)
    response = create(person, authorize_with=str(trusted.pk))
    assert response.status_code == 201
    assert response.json()["urgent"]["authentication_method_current"] == {"type": "OTP", "number": "+38067*****77"}
    assert [m["phone_number"] for m in locmem.outbox] == ["+380679998877"]


def test_authorize_with_an_unknown_method_is_422(create):
    response = create(otp_person(), authorize_with="00000000-0000-4000-8000-000000000000")
    assert response.status_code == 422
    assert invalid(response) == [("$.authorize_with", "Authentication method not found")]


@pytest.mark.parametrize("status", ["inactive", None])
def test_person_must_exist_and_be_active(create, status):
    person = PersonFactory(status=status or "active")
    if status is None:
        person.pk = "00000000-0000-4000-8000-000000000000"
    response = create(person)
    assert response.status_code == 404
    assert error(response)["message"] == "Person not found"


def test_employee_must_be_an_active_doctor_of_the_callers_legal_entity(caller, caller_factory, create):
    other = caller_factory(name="Other MIS")
    for employee in (EmployeeFactory(client=caller.client, dismissed=True), EmployeeFactory(client=other.client)):
        response = create(otp_person(), employee=employee)
        assert response.status_code == 422
        assert invalid(response) == [("$.employee_id", "Employee is not an active doctor of your legal entity")]
    assert not DeclarationRequest.objects.exists()


def test_parent_declaration_must_be_the_persons(create, doctor):
    person = PersonFactory(primary="NA")
    someone_elses = DeclarationFactory(employee=doctor)
    response = create(person, parent_declaration_id=str(someone_elses.pk))
    assert response.status_code == 422
    assert invalid(response) == [("$.parent_declaration_id", "Parent declaration not found")]
    own = DeclarationFactory(employee=doctor, person=person)
    response = create(person, parent_declaration_id=str(own.pk))
    assert response.status_code == 201
    assert response.json()["data"]["parent_declaration_id"] == str(own.pk)


@pytest.mark.parametrize(
    "body, entry",
    [
        ({"employee_id": "00000000-0000-4000-8000-000000000000"}, "$.person_id"),
        ({"person_id": "nope", "employee_id": "00000000-0000-4000-8000-000000000000"}, "$.person_id"),
        (
            {
                "person_id": "00000000-0000-4000-8000-000000000000",
                "employee_id": "00000000-0000-4000-8000-000000000000",
                "extra": 1,
            },
            "$.extra",
        ),
    ],
)
def test_create_body_is_a_closed_schema(caller, body, entry):
    response = caller.post(URL, body, format="json")
    assert response.status_code == 422
    assert [e for e, _ in invalid(response)] == [entry]


def test_a_newer_request_cancels_the_same_legal_entitys_open_ones_only(caller, caller_factory, create, doctor):
    person = PersonFactory(primary="NA")
    parent = with_parent(person)
    other = caller_factory(name="Other MIS")
    theirs = create(person, employee=EmployeeFactory(client=other.client), who=other, **parent).json()["data"]["id"]
    first = create(person, **parent).json()["data"]["id"]
    approved = create(person, **parent).json()["data"]["id"]
    assert act(caller, approved, "approve", {}).status_code == 201
    newest = create(person, **parent).json()["data"]["id"]
    statuses = dict(DeclarationRequest.objects.values_list("id", "status"))
    assert {str(k): v for k, v in statuses.items()} == {
        theirs: "NEW",
        first: "CANCELLED",
        approved: "CANCELLED",
        newest: "NEW",
    }
    cancelled = DeclarationRequest.objects.get(pk=approved)
    assert cancelled.status_reason == "replaced_by_newer_request"
    assert events(cancelled)[-2:] == [
        ("status", "APPROVED", "CANCELLED"),
        ("status_reason", "doctor_confirmed", "replaced_by_newer_request"),
    ]


def test_create_that_fails_to_send_leaves_nothing(create, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    person = otp_person()
    assert create(person).status_code == 201
    response = create(person)  # the per-phone cooldown: 429, and the first request stays as it was
    assert response.status_code == 429
    assert DeclarationRequest.objects.get().status == "NEW"


# --- read --------------------------------------------------------------------------------------------


def test_list_filters_and_pages(caller, create, doctor, django_assert_max_num_queries):
    people = [PersonFactory(primary="OFFLINE") for _ in range(3)]
    ids = [create(p).json()["data"]["id"] for p in people]
    other_doctor = EmployeeFactory(client=caller.client)
    create(people[0], employee=other_doctor)  # cancels people[0]'s first request
    with django_assert_max_num_queries(6):
        response = caller.get(URL, {"page_size": 2})
    body = response.json()
    assert response.status_code == 200
    assert body["paging"] == {"page_number": 1, "page_size": 2, "total_entries": 4, "total_pages": 2}
    assert len(body["data"]) == 2
    by_person = caller.get(URL, {"person_id": str(people[0].pk)}).json()["data"]
    assert [r["status"] for r in by_person] == ["NEW", "CANCELLED"]
    by_doctor = caller.get(URL, {"employee_id": str(doctor.pk), "status": "NEW"}).json()["data"]
    assert sorted(r["id"] for r in by_doctor) == sorted(ids[1:])
    assert caller.get(URL, {"status": "SIGNED"}).json()["data"] == []
    response = caller.get(URL, {"status": "nope"})
    assert response.status_code == 422 and invalid(response)[0][0] == "$.status"


def test_list_queries_do_not_grow_with_rows(caller, create):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert caller.get(URL).status_code == 200
        return len(queries)

    create(PersonFactory(primary="OFFLINE"))
    few = count_queries()
    for _ in range(6):
        create(PersonFactory(primary="OFFLINE"))
    assert count_queries() == few <= 6


def test_retrieve(caller, create):
    request_id = create(otp_person()).json()["data"]["id"]
    response = caller.get(f"{URL}/{request_id}")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == request_id
    assert response.json()["data"]["authentication_method_current"]["number"] == "+38093*****85"


def test_another_legal_entity_gets_404_on_every_route(caller_factory, create):
    request_id = create(otp_person()).json()["data"]["id"]
    other = caller_factory(name="Other MIS")
    responses = [
        other.get(f"{URL}/{request_id}"),
        act(other, request_id, "resend_otp", method="post"),
        act(other, request_id, "approve", {"verification_code": 1234}),
        act(other, request_id, "approve"),  # without a code nothing is read before the locks
        act(other, request_id, "reject"),
    ]
    for response in responses:
        assert response.status_code == 404
        assert error(response)["message"] == "Declaration request not found"
    assert other.get(URL).json()["data"] == []
    assert DeclarationRequest.objects.get().status == "NEW"


@pytest.mark.parametrize(
    "method, path, scope",
    [
        ("get", "", "declaration_request:read"),
        ("post", "", "declaration_request:write"),
        ("get", "/{id}", "declaration_request:read"),
        ("post", "/{id}/actions/resend_otp", "declaration_request:write"),
        ("patch", "/{id}/actions/approve", "declaration_request:approve"),
        ("patch", "/{id}/actions/reject", "declaration_request:reject"),
    ],
)
def test_each_route_needs_its_scope(caller_factory, method, path, scope):
    from core.oauth.scopes import SCOPES

    limited = caller_factory(scopes=[s for s in SCOPES if s != scope])
    url = URL + path.format(id="00000000-0000-4000-8000-000000000000")
    response = getattr(limited, method)(url, {}, format="json")
    assert response.status_code == 403
    assert error(response)["message"].endswith(f"Missing allowances: {scope}")


def test_openapi_documents_every_route_with_its_scope(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    expected = {
        "/api/v3/declaration_requests": {"get": "declaration_request:read", "post": "declaration_request:write"},
        "/api/v3/declaration_requests/{id}": {"get": "declaration_request:read"},
        "/api/v3/declaration_requests/{id}/actions/resend_otp": {"post": "declaration_request:write"},
        "/api/v3/declaration_requests/{id}/actions/approve": {"patch": "declaration_request:approve"},
        "/api/v3/declaration_requests/{id}/actions/reject": {"patch": "declaration_request:reject"},
    }
    for path, operations in expected.items():
        assert path in paths, path
        for method, scope in operations.items():
            operation = paths[path][method]
            assert operation["security"][0]["oauth2"] == [scope]
            assert "404" in operation["responses"] or "{" not in path
    approve = paths["/api/v3/declaration_requests/{id}/actions/approve"]["patch"]["responses"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(approve)
    create = paths["/api/v3/declaration_requests"]["post"]["responses"]["201"]
    assert "urgent" in create["content"]["application/json"]["schema"]["properties"]


# --- resend, reject ----------------------------------------------------------------------------------


def test_resend_replaces_the_requests_code(caller, create, send):
    request_id = create(otp_person()).json()["data"]["id"]
    first = DeclarationRequest.objects.get(pk=request_id).verification
    response = send(act, caller, request_id, "resend_otp", method="post")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "NEW" and data["active"] is True
    request = DeclarationRequest.objects.get(pk=request_id)
    assert str(request.verification_id) == data["id"] != str(first.pk)
    assert len(locmem.outbox) == 2
    assert events(request)[-1] == ("otp_sent", None, "+38093*****85")


def test_resend_saves_a_method_that_became_otp(caller, create, send):
    person = PersonFactory(primary="OFFLINE")
    request_id = create(person).json()["data"]["id"]
    person.authentication_methods.update(ended_at="2020-01-01T00:00:00Z")
    AuthenticationMethodFactory(person=person, phone_number="+380501112233")
    assert send(act, caller, request_id, "resend_otp", method="post").status_code == 200
    request = DeclarationRequest.objects.get(pk=request_id)
    assert request.confirmation_type == "OTP" and request.documents == []
    assert ("authentication_method_current", "OFFLINE", "OTP") in events(request)


@pytest.mark.parametrize("primary", ["OFFLINE", "NA"])
def test_resend_is_only_for_otp(caller, create, primary):
    person = PersonFactory(primary=primary)
    request_id = create(person, **(with_parent(person) if primary == "NA" else {})).json()["data"]["id"]
    response = act(caller, request_id, "resend_otp", method="post")
    assert response.status_code == 409
    assert error(response)["message"] == "Resend OTP is not allowed for this authentication method"


def test_resend_and_approve_need_a_new_request(caller, create):
    request_id = create(otp_person()).json()["data"]["id"]
    assert act(caller, request_id, "reject").json()["data"]["status"] == "REJECTED"
    for response in (
        act(caller, request_id, "resend_otp", method="post"),
        act(caller, request_id, "approve", {"verification_code": 1234}),
    ):
        assert response.status_code == 409
        assert error(response)["message"] == "Declaration request is not in status NEW"
    response = act(caller, request_id, "reject")
    assert response.status_code == 409
    assert error(response)["message"] == "Declaration request is not in status NEW or APPROVED"


def test_reject_an_approved_request(caller, create):
    person = PersonFactory(primary="NA")
    request_id = create(person, **with_parent(person)).json()["data"]["id"]
    act(caller, request_id, "approve", {})
    response = act(caller, request_id, "reject")
    assert response.status_code == 200
    request = DeclarationRequest.objects.get(pk=request_id)
    assert request.status == "REJECTED"
    assert events(request)[-1] == ("status", "APPROVED", "REJECTED")
