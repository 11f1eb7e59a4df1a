"""The persons API end to end: intake, reads, manual verification, authentication-method requests."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from core.models import Event
from persons.models import AuthenticationMethod, AuthenticationMethodRequest, Person
from tests.conftest import verify_phone
from tests.core.samples import JPEG
from tests.persons.factories import AuthenticationMethodFactory, PersonFactory, born_years_ago
from verifications.models import Verification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]

BASE = "/api/persons/{}/authentication_method_requests"


def error(response) -> dict:
    return response.json()["error"]


def invalid(response) -> tuple[str, str]:
    """The first failing field and its description."""
    entry = error(response)["invalid"][0]
    return entry["entry"], entry["rules"][0]["description"]


def primary_of(person) -> AuthenticationMethod:
    return AuthenticationMethod.objects.active().exclude(type="THIRD_PERSON").get(person=person)


@pytest.fixture
def create(caller, django_capture_on_commit_callbacks):
    """POST a request and run its on-commit work (the SMS), as a real commit would. An INSERT OTP's new
    phone is verified by the caller first, as an MIS does (`verified=False` leaves it unverified)."""

    def post(person, body, who=None, verified=True):
        method = body.get("authentication_method") or {}
        if verified and method.get("type") == "OTP" and method.get("phone_number"):
            verify_phone((who or caller).client, method["phone_number"])
        with django_capture_on_commit_callbacks(execute=True):
            return (who or caller).post(BASE.format(person.id), body, format="json")

    return post


@pytest.fixture
def intake_phone_verified(caller):
    """The intake body's OTP phone, verified by the caller."""
    verify_phone(caller.client, INTAKE["authentication_methods"][0]["phone_number"])


def approve(caller, person, request_id, body=None):
    return caller.patch(f"{BASE.format(person.id)}/{request_id}/actions/approve", body or {}, format="json")


def upload_all(client, response):
    for document in response.json()["urgent"]["documents"]:
        put = client.put(document["url"].removeprefix("http://testserver"), data=JPEG, content_type="image/jpeg")
        assert put.status_code == 200


# --- POST /api/persons ------------------------------------------------------------------------

INTAKE = {
    "first_name": "Петро",
    "last_name": "Іванов",
    "second_name": "Миколайович",
    "birth_date": "1991-08-19",
    "gender": "MALE",
    "tax_id": "3346812319",
    "no_tax_id": False,
    "documents": [{"type": "PASSPORT", "number": "АА123456"}],
    "phones": [{"type": "MOBILE", "number": "+380503410870"}],
    "authentication_methods": [{"type": "OTP", "phone_number": "+380503410870"}],
}


def test_intake_creates_a_person_with_rules_passed(caller, intake_phone_verified):
    response = caller.post("/api/persons", INTAKE, format="json")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["verification_status"] == "VERIFICATION_NEEDED"
    assert data["verification_reason"] == "RULES_PASSED"
    assert data["phones"] == [{"type": "MOBILE", "number": "+38050*****70"}]
    person = Person.objects.get(pk=data["id"])
    assert primary_of(person).phone_number == "+380503410870"
    events = set(Event.objects.filter(entity_id=str(person.id)).values_list("property", "new_value"))
    assert ("verification_status", "VERIFICATION_NEEDED") in events
    assert ("verification_reason", "RULES_PASSED") in events


def test_intake_offline_is_auto(caller):
    body = INTAKE | {"authentication_methods": [{"type": "OFFLINE"}]}
    assert caller.post("/api/persons", body, format="json").json()["data"]["verification_reason"] == "AUTO"


def test_intake_with_a_rule_triggered(caller, intake_phone_verified):
    body = INTAKE | {"tax_id": "", "no_tax_id": True}  # rule 02: an adult without a tax id
    assert caller.post("/api/persons", body, format="json").json()["data"]["verification_reason"] == "RULES_TRIGGERED"


@pytest.mark.parametrize(
    ("change", "field", "description"),
    [
        ({"tax_id": "3346812318"}, "$.tax_id", "Tax id is not valid"),
        ({"tax_id": "33468"}, "$.tax_id", "Must be 10 digits"),
        ({"tax_id": ""}, "$.tax_id", "Tax id is required unless no_tax_id is true"),
        ({"no_tax_id": True}, "$.tax_id", "Tax id must be empty when no_tax_id is true"),
        ({"birth_date": "2999-01-01"}, "$.birth_date", "Birth date must not be in the future"),
        (
            {"authentication_methods": []},
            "$.authentication_methods",
            "Exactly one primary authentication method is required",
        ),
        (
            {"authentication_methods": [{"type": "OTP"}, {"type": "NA"}]},
            "$.authentication_methods",
            "Exactly one primary authentication method is required",
        ),
        (
            {"authentication_methods": [{"type": "OTP"}]},
            "$.authentication_methods[0].phone_number",
            "Phone number is required for OTP",
        ),
        ({"nickname": "x"}, "$.nickname", "Schema does not allow additional properties"),
    ],
)
def test_intake_validation(caller, change, field, description):
    response = caller.post("/api/persons", INTAKE | change, format="json")
    assert response.status_code == 422
    assert invalid(response) == (field, description)
    assert not Person.objects.exists()


def test_intake_rejects_third_person_as_primary(caller):
    body = INTAKE | {"authentication_methods": [{"type": "THIRD_PERSON"}]}
    response = caller.post("/api/persons", body, format="json")
    assert response.status_code == 422
    entry, description = invalid(response)
    assert entry == "$.authentication_methods[0].type"
    assert description == '"THIRD_PERSON" is not a valid choice.'


def test_intake_needs_person_write(caller_factory):
    reader = caller_factory(scopes=["person:read"])
    assert reader.post("/api/persons", INTAKE, format="json").status_code == 403


# --- reads ------------------------------------------------------------------------------------


def test_get_person(caller, django_assert_max_num_queries):
    person = PersonFactory(phones=[{"type": "MOBILE", "number": "+380671234567"}])
    with django_assert_max_num_queries(2):  # the token (with its client), the person
        response = caller.get(f"/api/persons/{person.id}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == str(person.id)
    assert data["phones"] == [{"type": "MOBILE", "number": "+38067*****67"}]


def test_get_missing_person_is_404(caller):
    response = caller.get("/api/persons/8f0f6c3e-64f6-4f32-9c2b-6f5bb2d0a9a1")
    assert response.status_code == 404
    assert error(response)["message"] == "Person not found"


def test_get_authentication_methods_masks_phones(caller, django_assert_max_num_queries):
    person = PersonFactory(primary__phone_number="+380931234585")
    third = AuthenticationMethodFactory(person=person, type="THIRD_PERSON", alias="wife")
    AuthenticationMethodFactory(person=person, type="OFFLINE", ended_at=timezone.now() - timedelta(days=1))
    for _ in range(3):  # queries do not grow with rows
        AuthenticationMethodFactory(person=person, type="THIRD_PERSON")
    with django_assert_max_num_queries(3):
        response = caller.get(f"/api/persons/{person.id}/authentication_methods")
    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data) == 5  # the ended OFFLINE method is not listed
    assert data[0]["type"] == "OTP"
    assert data[0]["phone_number"] == "+38093*****85"
    listed = {item["id"]: item for item in data}
    assert listed[str(third.id)]["value"] == str(third.third_person_id)
    assert listed[str(third.id)]["phone_number"] is None


def test_reads_need_person_read(caller_factory):
    person = PersonFactory()
    writer = caller_factory(scopes=["person:write"])
    assert writer.get(f"/api/persons/{person.id}").status_code == 403
    assert writer.get(f"/api/persons/{person.id}/authentication_methods").status_code == 403


# --- manual verification ----------------------------------------------------------------------


def test_get_verification(caller):
    person = PersonFactory()
    data = caller.get(f"/api/persons/{person.id}/verification").json()["data"]
    assert data == {
        "verification_status": "VERIFICATION_NEEDED",
        "verification_reason": "RULES_PASSED",
        "verification_comment": "",
    }


@pytest.mark.parametrize("status", ["VERIFIED", "IN_REVIEW"])
def test_patch_verification(caller, status):
    person = PersonFactory()
    response = caller.patch(f"/api/persons/{person.id}/verification", {"verification_status": status}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["verification_reason"] == "MANUAL"
    person.refresh_from_db()
    assert (person.verification_status, person.verification_reason) == (status, "MANUAL")
    event = Event.objects.get(entity_id=str(person.id), property="verification_status")
    assert (event.old_value, event.new_value, event.actor) == (
        "VERIFICATION_NEEDED",
        status,
        str(caller.client.uuid),
    )


def test_not_verified_needs_a_comment(caller):
    person = PersonFactory()
    url = f"/api/persons/{person.id}/verification"
    response = caller.patch(url, {"verification_status": "NOT_VERIFIED"}, format="json")
    assert response.status_code == 422
    assert invalid(response) == ("$.verification_comment", "Comment is required for NOT_VERIFIED")
    body = {"verification_status": "NOT_VERIFIED", "verification_comment": "documents do not match"}
    assert caller.patch(url, body, format="json").json()["data"] == {
        "verification_status": "NOT_VERIFIED",
        "verification_reason": "MANUAL",
        "verification_comment": "documents do not match",
    }


def test_verification_status_must_be_a_manual_one(caller):
    person = PersonFactory()
    response = caller.patch(
        f"/api/persons/{person.id}/verification", {"verification_status": "VERIFICATION_NEEDED"}, format="json"
    )
    assert response.status_code == 422
    assert invalid(response)[0] == "$.verification_status"


def test_verification_needs_person_verify(caller_factory):
    person = PersonFactory()
    reader = caller_factory(scopes=["person:read"])
    assert reader.get(f"/api/persons/{person.id}/verification").status_code == 403
    assert reader.patch(f"/api/persons/{person.id}/verification", {}, format="json").status_code == 403


# --- authentication-method requests: create ----------------------------------------------------


def test_insert_otp_sends_a_code_to_the_current_phone(caller, create, last_code, django_assert_max_num_queries):
    person = PersonFactory(primary__phone_number="+380931234585")
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380976549872"}}
    verify_phone(caller.client, "+380976549872")
    with django_assert_max_num_queries(24):  # incl. whether the phone was verified, and the SMS task on commit
        response = create(person, body, verified=False)
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["status"] == "NEW"
    assert data["channel"] == "MIS"
    assert data["action"] == "INSERT"
    assert data["authentication_method"] == {"type": "OTP", "phone_number": "+38097*****72"}
    assert data["authentication_method_current"] == {"type": "OTP", "number": "+38093*****85"}
    assert "urgent" not in response.json()
    assert last_code("+380931234585")  # the SMS went to the phone that confirms, not to the new one
    assert "+380976549872" not in str(response.content)


def test_current_offline_returns_upload_urls(caller, create):
    person = PersonFactory(primary="OFFLINE", documents=[{"type": "PASSPORT", "number": "АА1"}])
    response = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}})
    assert response.status_code == 201
    documents = response.json()["urgent"]["documents"]
    assert [d["type"] for d in documents] == ["PASSPORT"]
    assert documents[0]["url"].startswith("http://testserver/api/uploads/")
    assert response.json()["data"]["authentication_method_current"] == {"type": "OFFLINE", "number": None}


def test_third_person_with_otp_confirms_for_a_person_without_own_method(caller, create, last_code):
    parent = PersonFactory(primary__phone_number="+380671112233")
    child = PersonFactory(primary="NA", birth_date=born_years_ago(8))
    AuthenticationMethodFactory(person=child, type="THIRD_PERSON", third_person=parent)
    response = create(child, {"action": "INSERT", "authentication_method": {"type": "OFFLINE"}})
    assert response.status_code == 201
    assert response.json()["data"]["authentication_method_current"] == {"type": "OTP", "number": "+38067*****33"}
    assert last_code("+380671112233")


@pytest.mark.parametrize(
    ("method", "field", "description"),
    [
        ({}, "$.authentication_method.type", "Type is required for INSERT"),
        ({"type": "OTP"}, "$.authentication_method.phone_number", "Phone number is required for OTP"),
        (
            {"type": "OTP", "phone_number": "0501234567"},
            "$.authentication_method.phone_number",
            "Must be a phone number like +380501234567",
        ),
        ({"type": "THIRD_PERSON"}, "$.authentication_method.value", "Third person id is required for THIRD_PERSON"),
        (
            {"type": "THIRD_PERSON", "value": "8f0f6c3e-64f6-4f32-9c2b-6f5bb2d0a9a1"},
            "$.authentication_method.value",
            "Third person not found",
        ),
        (
            {"type": "NA", "colour": "red"},
            "$.authentication_method.colour",
            "Schema does not allow additional properties",
        ),
    ],
)
def test_insert_validation(caller, create, method, field, description):
    person = PersonFactory()
    response = create(person, {"action": "INSERT", "authentication_method": method})
    assert response.status_code == 422
    assert invalid(response) == (field, description)
    assert not AuthenticationMethodRequest.objects.exists()


def test_unknown_action_is_422(caller, create):
    response = create(PersonFactory(), {"action": "DELETE", "authentication_method": {}})
    assert response.status_code == 422
    assert invalid(response) == ("$.action", '"DELETE" is not a valid choice.')


def third_person_body(third) -> dict:
    return {
        "action": "INSERT",
        "authentication_method": {"type": "THIRD_PERSON", "value": str(third.id), "alias": "mother"},
    }


def test_third_person_must_not_be_the_person(caller, create):
    person = PersonFactory()
    response = create(person, third_person_body(person))
    assert invalid(response) == ("$.authentication_method.value", "Person can not be their own third person")


def test_third_person_must_be_active(caller, create):
    third = PersonFactory(status="inactive")
    response = create(PersonFactory(), third_person_body(third))
    assert invalid(response) == ("$.authentication_method.value", "Third person not found")


def test_third_person_must_be_an_adult(caller, create):
    third = PersonFactory(birth_date=born_years_ago(18, days=-1))  # 18 tomorrow
    response = create(PersonFactory(), third_person_body(third))
    assert response.status_code == 422
    assert invalid(response) == ("$.authentication_method.value", "Third person must be an adult")
    assert create(PersonFactory(), third_person_body(PersonFactory(birth_date=born_years_ago(18)))).status_code == 201


def test_third_person_needs_otp_or_offline(caller, create):
    third = PersonFactory(primary="NA")
    response = create(PersonFactory(), third_person_body(third))
    assert response.status_code == 409
    assert error(response)["message"] == "Third person must have an OTP or OFFLINE authentication method"


def test_third_person_already_active_is_409(caller, create):
    person = PersonFactory()
    existing = AuthenticationMethodFactory(person=person, type="THIRD_PERSON")
    response = create(person, third_person_body(existing.third_person))
    assert response.status_code == 409
    assert error(response)["message"] == "This person is already a third person of the person"


def test_same_primary_method_is_409(caller, create):
    person = PersonFactory(primary__phone_number="+380931234585")
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380931234585"}}
    response = create(person, body)
    assert response.status_code == 409
    assert error(response)["message"] == "Person already has this authentication method"


def test_missing_or_inactive_person_is_404(caller, create):
    for person in (PersonFactory.build(), PersonFactory(status="inactive")):
        response = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}})
        assert response.status_code == 404
        assert error(response)["message"] == "Person not found"


def test_current_method_na_can_not_confirm(caller, create):
    response = create(PersonFactory(primary="NA"), {"action": "INSERT", "authentication_method": {"type": "OFFLINE"}})
    assert response.status_code == 409
    assert error(response)["message"] == "Request can not be confirmed by authentication method NA"


def test_person_without_a_method_is_409(caller, create):
    response = create(PersonFactory(primary=""), {"action": "INSERT", "authentication_method": {"type": "OFFLINE"}})
    assert response.status_code == 409
    assert error(response)["message"] == "Person has no active authentication method"


@pytest.mark.parametrize("action", ["UPDATE", "DEACTIVATE"])
def test_update_and_deactivate_need_an_active_method_id(caller, create, action):
    person = PersonFactory()
    response = create(person, {"action": action, "authentication_method": {"alias": "x"}})
    assert response.status_code == 422
    assert invalid(response) == ("$.authentication_method.id", f"Authentication method id is required for {action}")
    other = AuthenticationMethodFactory(type="THIRD_PERSON")  # another person's method
    ended = AuthenticationMethodFactory(person=person, type="THIRD_PERSON", ended_at=timezone.now())
    for method in (other, ended):
        response = create(person, {"action": action, "authentication_method": {"id": str(method.id), "alias": "x"}})
        assert response.status_code == 404
        assert error(response)["message"] == "Authentication method not found"


def test_update_needs_an_alias(caller, create):
    person = PersonFactory()
    response = create(person, {"action": "UPDATE", "authentication_method": {"id": str(primary_of(person).id)}})
    assert invalid(response) == ("$.authentication_method.alias", "Alias is required for UPDATE")


def test_deactivate_only_third_person(caller, create):
    person = PersonFactory()
    response = create(person, {"action": "DEACTIVATE", "authentication_method": {"id": str(primary_of(person).id)}})
    assert response.status_code == 409
    assert error(response)["message"] == "Only THIRD_PERSON authentication methods can be deactivated"


def test_a_newer_request_cancels_the_older_new_one(caller, create):
    person = PersonFactory()
    first = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    second = create(person, {"action": "INSERT", "authentication_method": {"type": "OFFLINE"}}).json()["data"]["id"]
    assert AuthenticationMethodRequest.objects.get(pk=first).status == "CANCELLED"
    assert AuthenticationMethodRequest.objects.get(pk=second).status == "NEW"
    event = Event.objects.get(entity_id=first, property="status", new_value="CANCELLED")
    assert event.old_value == "NEW"
    response = approve(caller, person, first, {"verification_code": 1234})
    assert response.status_code == 409
    assert error(response)["message"] == "Authentication method request is CANCELLED"


def test_create_needs_write_scope(caller_factory, create):
    reader = caller_factory(scopes=["authentication_method_request:read"])
    response = create(PersonFactory(), {"action": "INSERT", "authentication_method": {"type": "NA"}}, who=reader)
    assert response.status_code == 403


# --- get, resend ------------------------------------------------------------------------------


def test_get_request_of_own_legal_entity_only(caller, caller_factory, create):
    person = PersonFactory()
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    response = caller.get(f"{BASE.format(person.id)}/{request_id}")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == request_id
    other = caller_factory(name="Other MIS")
    for who, person_id in ((other, person.id), (caller, PersonFactory().id)):
        response = who.get(f"{BASE.format(person_id)}/{request_id}")
        assert response.status_code == 404
        assert error(response)["message"] == "Authentication method request not found"
    assert approve(other, person, request_id, {"verification_code": 1}).status_code == 404


def test_resend_otp_sends_a_new_code(caller, create, last_code, django_capture_on_commit_callbacks):
    person = PersonFactory(primary__phone_number="+380931234585")
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    first = last_code("+380931234585")
    with django_capture_on_commit_callbacks(execute=True):
        response = caller.post(f"{BASE.format(person.id)}/{request_id}/actions/resend_otp")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "NEW"
    second = last_code("+380931234585")
    if first != second:  # the old code no longer works
        assert approve(caller, person, request_id, {"verification_code": first}).status_code == 422
    assert approve(caller, person, request_id, {"verification_code": second}).status_code == 201


def test_resend_otp_is_409_for_offline_and_for_closed_requests(caller, create):
    person = PersonFactory(primary="OFFLINE")
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    url = f"{BASE.format(person.id)}/{request_id}/actions/resend_otp"
    response = caller.post(url)
    assert response.status_code == 409
    assert error(response)["message"] == "Resend SMS is not allowed for this authentication method"
    AuthenticationMethodRequest.objects.filter(pk=request_id).update(status="EXPIRED")
    assert error(caller.post(url))["message"] == "Authentication method request is EXPIRED"


def test_resend_otp_rate_limited(caller, create, settings):
    person = PersonFactory()
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    response = caller.post(f"{BASE.format(person.id)}/{request_id}/actions/resend_otp")
    assert response.status_code == 429
    assert "Retry-After" in response.headers


# --- approve ----------------------------------------------------------------------------------


def test_approve_insert_otp(caller, create, last_code, django_assert_max_num_queries):
    person = PersonFactory(
        primary__phone_number="+380931234585",
        verification_status="IN_REVIEW",
        verification_reason="MANUAL",
        verification_comment="x",
    )
    old = primary_of(person)
    body = {
        "action": "INSERT",
        "authentication_method": {"type": "OTP", "phone_number": "+380976549872", "alias": "mobile"},
    }
    request_id = create(person, body).json()["data"]["id"]
    with django_assert_max_num_queries(27):
        response = approve(caller, person, request_id, {"verification_code": last_code("+380931234585")})
    assert response.status_code == 201
    assert response.json()["data"] == {"id": request_id, "status": "COMPLETED", "channel": "MIS"}
    old.refresh_from_db()
    assert old.ended_at is not None
    new = primary_of(person)
    assert (new.type, new.phone_number, new.alias) == ("OTP", "+380976549872", "mobile")
    person.refresh_from_db()
    # rule 01, OTP branch: not VERIFIED, no rule of 02-05 holds → RULES_PASSED and the comment cleared
    assert (person.verification_status, person.verification_reason, person.verification_comment) == (
        "VERIFICATION_NEEDED",
        "RULES_PASSED",
        "",
    )
    amr = AuthenticationMethodRequest.objects.get(pk=request_id)
    assert amr.updated_by == str(caller.client.uuid)
    assert amr.updated_at >= amr.created_at
    properties = set(Event.objects.values_list("entity_type", "property"))
    assert {
        ("persons.authenticationmethodrequest", "status"),
        ("persons.authenticationmethod", "ended_at"),
        ("persons.authenticationmethod", "created"),
        ("persons.person", "verification_status"),
        ("persons.person", "verification_reason"),
        ("persons.person", "verification_comment"),
    } <= properties
    assert "+380976549872" not in str(list(Event.objects.values_list("new_value", flat=True)))


def test_approve_shows_the_new_method(caller, create, last_code):
    person = PersonFactory(primary__phone_number="+380931234585")
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380976549872"}}
    request_id = create(person, body).json()["data"]["id"]
    approve(caller, person, request_id, {"verification_code": last_code("+380931234585")})
    methods = caller.get(f"/api/persons/{person.id}/authentication_methods").json()["data"]
    assert [(m["type"], m["phone_number"]) for m in methods] == [("OTP", "+38097*****72")]


def test_approve_otp_rule_triggered(caller, create, last_code):
    person = PersonFactory(
        primary__phone_number="+380931234585",
        no_tax_id=True,
        verification_status="NOT_VERIFIED",
        verification_comment="keep",
    )
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380976549872"}}
    request_id = create(person, body).json()["data"]["id"]
    assert approve(caller, person, request_id, {"verification_code": last_code("+380931234585")}).status_code == 201
    person.refresh_from_db()
    assert (person.verification_status, person.verification_reason, person.verification_comment) == (
        "VERIFICATION_NEEDED",
        "RULES_TRIGGERED",
        "keep",
    )


def test_approve_otp_leaves_a_verified_person_verified(caller, create, last_code):
    person = PersonFactory(
        primary__phone_number="+380931234585", verification_status="VERIFIED", verification_reason="MANUAL"
    )
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380976549872"}}
    request_id = create(person, body).json()["data"]["id"]
    assert approve(caller, person, request_id, {"verification_code": last_code("+380931234585")}).status_code == 201
    person.refresh_from_db()
    assert (person.verification_status, person.verification_reason) == ("VERIFIED", "MANUAL")
    assert not Event.objects.filter(entity_id=str(person.id), property="verification_status").exists()


def test_approve_insert_offline_needs_documents_then_is_auto(caller, create, client, last_code):
    person = PersonFactory(
        primary__phone_number="+380931234585",
        verification_status="VERIFIED",
        documents=[{"type": "PASSPORT", "number": "1"}, {"type": "TAX_ID", "number": "2"}],
    )
    response = create(person, {"action": "INSERT", "authentication_method": {"type": "OFFLINE"}})
    request_id = response.json()["data"]["id"]
    code = last_code("+380931234585")
    missing = approve(caller, person, request_id, {"verification_code": code})
    assert missing.status_code == 409
    assert error(missing)["message"] == "Documents PASSPORT, TAX_ID is not uploaded"
    upload_all(client, response)
    assert approve(caller, person, request_id, {"verification_code": code}).status_code == 201
    assert primary_of(person).type == "OFFLINE"
    person.refresh_from_db()
    assert (person.verification_status, person.verification_reason) == ("VERIFICATION_NEEDED", "AUTO")  # rule 01


def test_approve_offline_current_with_empty_body(caller, create, client):
    person = PersonFactory(primary="OFFLINE")
    response = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}})
    request_id = response.json()["data"]["id"]
    missing = approve(caller, person, request_id)
    assert missing.status_code == 409
    assert error(missing)["message"] == "Documents PASSPORT is not uploaded"
    upload_all(client, response)
    code_sent = approve(caller, person, request_id, {"verification_code": 1234})
    assert code_sent.status_code == 422
    assert invalid(code_sent) == ("$.verification_code", "Verification code is not expected for OFFLINE")
    assert approve(caller, person, request_id).status_code == 201
    assert primary_of(person).type == "NA"


def test_approve_otp_needs_a_code(caller, create):
    person = PersonFactory()
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    response = approve(caller, person, request_id)
    assert response.status_code == 422
    assert invalid(response) == ("$.verification_code", "Verification code is required")


@pytest.mark.parametrize("code", ["abc", 0, "0123", True])
def test_approve_malformed_code_is_422(caller, create, code):
    person = PersonFactory()
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    response = approve(caller, person, request_id, {"verification_code": code})
    assert response.status_code == 422
    assert invalid(response) == ("$.verification_code", "Must be a positive integer code")


def test_wrong_code_leaves_the_request_new_and_the_methods_unchanged(caller, create, last_code):
    person = PersonFactory(primary__phone_number="+380931234585")
    before = list(AuthenticationMethod.objects.filter(person=person).values())
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380976549872"}}
    request_id = create(person, body).json()["data"]["id"]
    wrong = "1" if last_code("+380931234585") != "1" else "2"
    response = approve(caller, person, request_id, {"verification_code": wrong})
    assert response.status_code == 422
    assert invalid(response) == ("$.verification_code", "Invalid verification code")
    assert AuthenticationMethodRequest.objects.get(pk=request_id).status == "NEW"
    assert list(AuthenticationMethod.objects.filter(person=person).values()) == before


def test_attempts_are_counted_then_locked(caller, create, last_code, settings):
    person = PersonFactory(primary__phone_number="+380931234585")
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    code = last_code("+380931234585")
    wrong = str(int(code) + 1)
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        assert approve(caller, person, request_id, {"verification_code": wrong}).status_code == 422
    response = approve(caller, person, request_id, {"verification_code": code})
    assert invalid(response) == ("$.verification_code", "Maximum attempts exceed")


def test_expired_code(caller, create, last_code):
    from verifications.models import Verification

    person = PersonFactory(primary__phone_number="+380931234585")
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    Verification.objects.update(code_expired_at=timezone.now() - timedelta(seconds=1))
    response = approve(caller, person, request_id, {"verification_code": last_code("+380931234585")})
    assert invalid(response) == ("$.verification_code", "Verification code expired")


def test_no_code_for_the_phone_is_invalid_code(caller):
    from tests.persons.factories import AuthenticationMethodRequestFactory

    person = PersonFactory(primary__phone_number="+380931234585")
    amr = AuthenticationMethodRequestFactory(
        person=person,
        client=caller.client,
        authentication_method_current={"type": "OTP", "number": "+380931234585", "method_id": ""},
    )
    response = approve(caller, person, amr.id, {"verification_code": 1234})
    assert invalid(response) == ("$.verification_code", "Invalid verification code")


def test_approve_twice_is_409(caller, create, last_code):
    person = PersonFactory(primary__phone_number="+380931234585")
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    code = last_code("+380931234585")
    assert approve(caller, person, request_id, {"verification_code": code}).status_code == 201
    response = approve(caller, person, request_id, {"verification_code": code})
    assert response.status_code == 409
    assert error(response)["message"] == "Authentication method request is COMPLETED"


def test_approve_an_expired_request_is_409(caller, create, last_code):
    person = PersonFactory(primary__phone_number="+380931234585")
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    AuthenticationMethodRequest.objects.filter(pk=request_id).update(expires_at=timezone.now())
    response = approve(caller, person, request_id, {"verification_code": last_code("+380931234585")})
    assert response.status_code == 409
    assert error(response)["message"] == "Authentication method request is EXPIRED"


def test_approve_insert_third_person_for_a_ten_year_old(caller, create, last_code):
    from persons.rules import add_years

    child = PersonFactory(birth_date=born_years_ago(10), primary__phone_number="+380931234585")
    third = PersonFactory()
    request_id = create(child, third_person_body(third)).json()["data"]["id"]
    assert approve(caller, child, request_id, {"verification_code": last_code("+380931234585")}).status_code == 201
    method = AuthenticationMethod.objects.get(person=child, type="THIRD_PERSON")
    assert method.third_person == third
    assert method.alias == "mother"
    # valid through the day before the 14th birthday: it ends as that birthday starts
    assert method.ended_at == datetime.combine(add_years(child.birth_date, 14), time.min, tzinfo=UTC)
    assert primary_of(child).phone_number == "+380931234585"  # the primary method stays


def test_approve_insert_third_person_for_an_adult(caller, create, last_code, settings):
    person = PersonFactory(birth_date=born_years_ago(30), primary__phone_number="+380931234585")
    request_id = create(person, third_person_body(PersonFactory())).json()["data"]["id"]
    approve(caller, person, request_id, {"verification_code": last_code("+380931234585")})
    method = AuthenticationMethod.objects.get(person=person, type="THIRD_PERSON")
    last_day = method.started_at.date() + timedelta(days=settings.THIRD_PERSON_TERM_DAYS)
    assert method.ended_at == datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC)


def test_approve_update_sets_the_alias(caller, create, last_code):
    person = PersonFactory(primary__phone_number="+380931234585")
    trusted = AuthenticationMethodFactory(person=person, type="THIRD_PERSON", alias="husband")
    body = {"action": "UPDATE", "authentication_method": {"id": str(trusted.id), "alias": "wife"}}
    request_id = create(person, body).json()["data"]["id"]
    assert approve(caller, person, request_id, {"verification_code": last_code("+380931234585")}).status_code == 201
    trusted.refresh_from_db()
    assert trusted.alias == "wife"
    assert trusted.ended_at is None
    event = Event.objects.get(entity_id=str(trusted.id), property="alias")
    assert (event.old_value, event.new_value) == ("husband", "wife")
    person.refresh_from_db()
    assert not Event.objects.filter(entity_id=str(person.id), property="verification_status").exists()


def test_approve_deactivate_ends_the_third_person(caller, create, last_code):
    person = PersonFactory(primary__phone_number="+380931234585")
    trusted = AuthenticationMethodFactory(person=person, type="THIRD_PERSON")
    request_id = create(person, {"action": "DEACTIVATE", "authentication_method": {"id": str(trusted.id)}}).json()[
        "data"
    ]["id"]
    assert approve(caller, person, request_id, {"verification_code": last_code("+380931234585")}).status_code == 201
    trusted.refresh_from_db()
    assert trusted.ended_at is not None and trusted.ended_at <= timezone.now()
    assert [m["type"] for m in caller.get(f"/api/persons/{person.id}/authentication_methods").json()["data"]] == ["OTP"]


def test_approve_needs_write_scope(caller_factory, create):
    person = PersonFactory()
    request_id = create(person, {"action": "INSERT", "authentication_method": {"type": "NA"}}).json()["data"]["id"]
    reader = caller_factory(scopes=["authentication_method_request:read"])
    assert approve(reader, person, request_id, {"verification_code": 1}).status_code == 403


def test_non_uuid_ids_are_404(caller):
    assert caller.get("/api/persons/nope").status_code == 404
    assert caller.get("/api/persons/nope/authentication_method_requests/also-nope").status_code == 404


def test_approve_refuses_a_third_person_who_left_meanwhile_without_spending_the_code(caller, create, last_code):
    person = PersonFactory(birth_date=born_years_ago(30), primary__phone_number="+380931234585")
    third = PersonFactory()
    request_id = create(person, third_person_body(third)).json()["data"]["id"]
    Person.objects.filter(pk=third.pk).update(status=Person.Status.INACTIVE)
    response = approve(caller, person, request_id, {"verification_code": last_code("+380931234585")})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Third person not found"
    assert AuthenticationMethodRequest.objects.get(pk=request_id).status == "NEW"
    assert not AuthenticationMethod.objects.filter(person=person, type="THIRD_PERSON").exists()
    assert Verification.objects.get(phone_number="+380931234585", status="NEW").attempts == 0


def test_an_na_child_gets_a_first_guardian_confirmed_by_the_guardians_own_code(caller, create, last_code):
    """Seen from outside: a person whose only method is NA got 409 on every request, so an NA child could
    never get a guardian through the API. The third person being added now confirms it with their code."""
    child = PersonFactory(primary="NA", birth_date=born_years_ago(6))
    mother = PersonFactory(primary__phone_number="+380671110077")
    body = {"action": "INSERT", "authentication_method": {"type": "THIRD_PERSON", "value": str(mother.pk)}}
    response = create(child, body)
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["authentication_method_current"] == {"type": "OTP", "number": "+38067*****77"}
    request_id = response.json()["data"]["id"]
    response = approve(caller, child, request_id, {"verification_code": last_code("+380671110077")})
    assert response.status_code == 201
    assert child.authentication_methods.active().get(type="THIRD_PERSON").third_person == mother


def test_a_guardian_with_na_cannot_confirm_their_own_addition(caller, create):
    child = PersonFactory(primary="NA", birth_date=born_years_ago(6))
    guardian = PersonFactory(primary="NA")
    body = {"action": "INSERT", "authentication_method": {"type": "THIRD_PERSON", "value": str(guardian.pk)}}
    response = create(child, body)
    assert response.status_code == 409
    assert error(response)["message"] == "Third person must have an OTP or OFFLINE authentication method"


def test_another_request_for_an_na_person_without_a_guardian_is_still_409(caller, create):
    response = create(PersonFactory(primary="NA"), {"action": "INSERT", "authentication_method": {"type": "OFFLINE"}})
    assert response.status_code == 409


# --- a phone is verified before it becomes a method ----------------------------------------------------


def test_intake_of_an_otp_phone_nobody_verified_is_409(caller, caller_factory):
    response = caller.post("/api/persons", INTAKE, format="json")
    assert response.status_code == 409
    assert error(response) == {"type": "request_conflict", "message": "Phone number is not verified"}
    verify_phone(caller_factory(name="Another MIS").client, "+380503410870")  # verified by someone else
    assert caller.post("/api/persons", INTAKE, format="json").status_code == 409
    assert not Person.objects.exists()


def test_a_verification_older_than_its_ttl_does_not_count(caller, settings):
    verify_phone(caller.client, "+380503410870")
    Verification.objects.update(updated_at=timezone.now() - timedelta(minutes=settings.PHONE_VERIFIED_TTL_MINUTES + 1))
    assert caller.post("/api/persons", INTAKE, format="json").status_code == 409


def test_insert_otp_of_an_unverified_phone_is_409_and_sends_nothing(caller, create):
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380976549872"}}
    response = create(PersonFactory(), body, verified=False)
    assert response.status_code == 409
    assert error(response)["message"] == "Phone number is not verified"
    assert not AuthenticationMethodRequest.objects.exists()


def test_a_phone_verified_through_the_api_becomes_a_method(caller, django_capture_on_commit_callbacks, last_code):
    """The whole path as an MIS takes it: the code to the new phone, read back, then intake."""
    with django_capture_on_commit_callbacks(execute=True):
        assert caller.post("/api/verifications", {"phone_number": "+380503410870"}, format="json").status_code == 200
    code = last_code("+380503410870")
    url = "/api/verifications/+380503410870/actions/complete"
    assert caller.patch(url, {"code": code}, format="json").status_code == 200
    assert caller.post("/api/persons", INTAKE, format="json").status_code == 201
