"""Sign of a declaration request (the doctor's qualified electronic signature), step by step over
HTTP; each refusal verbatim and changing nothing; the declaration it makes."""

import datetime
import json

import pytest
from django.core.files.storage import default_storage

from core.models import Event
from declarations.models import Declaration, DeclarationRequest, Employee
from persons.rules import add_years, today_utc
from tests.declarations.conftest import act, error, invalid, sign, sign_body, to_be_signed
from tests.declarations.factories import EmployeeFactory
from tests.declarations.pki import b64, content_of, issue
from tests.declarations.pki import sign as cms_sign
from tests.persons.factories import PersonFactory, born_years_ago

pytestmark = pytest.mark.django_db

SIGNED = "$.signed_declaration_request"


def state(request_id) -> tuple:
    """What a refused sign must leave as it was: the request, its events, the declarations, the storage."""
    request = DeclarationRequest.objects.get(pk=request_id)
    return (
        request.status,
        Event.objects.filter(entity_id=str(request.pk)).count(),
        sorted(Declaration.objects.values_list("pk", "status")),
        default_storage.exists(f"declarations/{request.declaration_id}/signed_content.p7s"),
    )


def refused(caller, data, response, expected: list[tuple[str, str]], before) -> None:
    assert response.status_code == 422, response.json()
    assert invalid(response) == expected
    assert state(data["id"]) == before
    assert before[0] == "APPROVED"


# --- success ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["rsa", "ecdsa"])
def test_sign_makes_an_active_declaration(caller, doctor, approved, pki, algorithm):
    data = approved()
    response = sign(caller, data, pki.holder(doctor, algorithm))
    assert response.status_code == 200, response.json()
    declaration = response.json()["data"]
    today = today_utc()
    assert declaration["id"] == data["declaration_id"]  # the request's preset id and number
    assert declaration["declaration_number"] == data["declaration_number"]
    assert declaration["status"] == "active" and declaration["reason"] == ""
    assert declaration["person_id"] == data["person_id"]
    assert declaration["employee_id"] == str(doctor.pk)
    assert declaration["legal_entity_id"] == str(caller.client.legal_entity_id)
    assert declaration["declaration_request_id"] == data["id"]
    assert declaration["start_date"] == today.isoformat()
    assert declaration["end_date"] == add_years(today, 20).isoformat()
    assert declaration["created_by"] == str(caller.client.uuid)
    request = DeclarationRequest.objects.get(pk=data["id"])
    assert request.status == "SIGNED"
    assert request.declaration.pk == request.declaration_id


def test_the_signed_document_is_stored_as_sent(caller, doctor, approved, pki):
    data = approved()
    body = sign_body(content_of(to_be_signed(data)), pki.holder(doctor))
    assert act(caller, data["id"], "sign", body).status_code == 200
    with default_storage.open(f"declarations/{data['declaration_id']}/signed_content.p7s", "rb") as stored:
        assert b64(stored.read()) == body["signed_declaration_request"]


def test_sign_is_audited(caller, doctor, approved, pki):
    data = approved()
    sign(caller, data, pki.holder(doctor))
    actor = str(caller.client.uuid)
    request_events = {
        (e.property, e.old_value, e.new_value, e.actor) for e in Event.objects.filter(entity_id=data["id"])
    }
    assert ("status", "APPROVED", "SIGNED", actor) in request_events
    name = f"declarations/{data['declaration_id']}/signed_content.p7s"
    assert ("signed_content", None, name, actor) in request_events
    declaration_events = Event.objects.filter(entity_type="declarations.declaration", entity_id=data["declaration_id"])
    assert {(e.property, e.new_value) for e in declaration_events} == {
        ("status", "active"),
        ("declaration_request", data["id"]),
    }


def test_the_signed_json_may_be_spelled_differently(caller, doctor, approved, pki):
    """Key order, spacing and escapes are the signer's software's business: values are compared."""
    data = approved()
    content = json.dumps(dict(reversed(to_be_signed(data).items())), ensure_ascii=True).encode()
    response = act(caller, data["id"], "sign", sign_body(content, pki.holder(doctor)))
    assert response.status_code == 200


def test_a_drfo_without_the_tinua_prefix_is_accepted(caller, doctor, approved, pki):
    data = approved()
    response = sign(caller, data, pki.holder(doctor, serial_number=doctor.tax_id))
    assert response.status_code == 200


# --- step 1: the request's status, the body -----------------------------------------------------------


def test_a_new_request_is_409_before_the_body_is_looked_at(caller, doctor, create, pki):
    request_id = create(PersonFactory()).json()["data"]["id"]
    response = act(caller, request_id, "sign", {})
    assert response.status_code == 409
    assert error(response) == {"type": "request_conflict", "message": "Declaration request is not in status APPROVED"}


def test_a_second_sign_of_the_same_request_is_409(caller, doctor, approved, pki):
    data = approved()
    assert sign(caller, data, pki.holder(doctor)).status_code == 200
    response = sign(caller, data, pki.holder(doctor))
    assert response.status_code == 409
    assert error(response)["message"] == "Declaration request is not in status APPROVED"
    assert Declaration.objects.count() == 1


def test_an_expired_approved_request_is_409(caller, doctor, approved, pki):
    data = approved()
    DeclarationRequest.objects.filter(pk=data["id"]).update(
        expires_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    response = sign(caller, data, pki.holder(doctor))
    assert response.status_code == 409
    assert error(response)["message"] == "Declaration request is expired"


def test_a_dismissed_doctor_signs_nothing(caller, doctor, approved, pki):
    data = approved()
    Employee.objects.filter(pk=doctor.pk).update(status=Employee.Status.DISMISSED)
    response = sign(caller, data, pki.holder(doctor))
    assert response.status_code == 409
    assert error(response)["message"] == "Employee is not an active doctor"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("$.signed_declaration_request", "This field is required.")]),
        ({"signed_content_encoding": "base64"}, [("$.signed_declaration_request", "This field is required.")]),
        (
            {"signed_declaration_request": "", "signed_content_encoding": "base64"},
            [(SIGNED, "This field is required.")],
        ),
        ({"signed_declaration_request": "TUlJ"}, [("$.signed_content_encoding", "This field is required.")]),
        (
            {"signed_declaration_request": "TUlJ", "signed_content_encoding": "hex"},
            [("$.signed_content_encoding", 'Must be "base64"')],
        ),
        (
            {"signed_declaration_request": "not base64!", "signed_content_encoding": "base64"},
            [(SIGNED, "Must be a base64-encoded string")],
        ),
        (
            {"signed_declaration_request": "TUlJ", "signed_content_encoding": "base64", "extra": 1},
            [("$.extra", "Schema does not allow additional properties")],
        ),
    ],
)
def test_the_body_is_required_and_base64(caller, doctor, approved, pki, body, expected):
    data = approved()
    before = state(data["id"])
    response = act(caller, data["id"], "sign", body)
    refused(caller, data, response, expected, before)


# --- step 2: one valid signature by a trusted certificate ---------------------------------------------


def test_two_signatures_are_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    holder = pki.holder(doctor)
    second = issue(pki.ca, serial_number=f"TINUA-{doctor.tax_id}", algorithm="ecdsa", label="second")
    response = act(caller, data["id"], "sign", sign_body(content_of(to_be_signed(data)), holder, second))
    refused(caller, data, response, [(SIGNED, "Document must contain 1 signature")], before)


def test_a_certificate_of_another_ca_is_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    response = sign(caller, data, pki.holder(doctor, issuer=pki.other))
    refused(caller, data, response, [(SIGNED, "Invalid signature")], before)


def test_an_expired_certificate_is_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    holder = issue(pki.ca, serial_number=f"TINUA-{doctor.tax_id}", label="expired", days=1)
    response = sign(caller, data, holder)
    refused(caller, data, response, [(SIGNED, "Invalid signature")], before)


def test_content_altered_after_signing_is_refused(caller, doctor, approved, pki):
    """One byte of the signed content changed inside the CMS: the digest no longer matches."""
    data = approved()
    before = state(data["id"])
    content = content_of(to_be_signed(data))
    signed = bytearray(cms_sign(content, pki.holder(doctor)))
    at = bytes(signed).find(b'"declaration_number"')
    signed[at + 1] = ord("D")
    body = {"signed_declaration_request": b64(bytes(signed)), "signed_content_encoding": "base64"}
    response = act(caller, data["id"], "sign", body)
    refused(caller, data, response, [(SIGNED, "Invalid signature")], before)


@pytest.mark.parametrize("document", [b"not a CMS at all", b"0\x03\x02\x01\x01"])
def test_something_else_than_a_cms_is_refused(caller, doctor, approved, pki, document):
    data = approved()
    before = state(data["id"])
    body = {"signed_declaration_request": b64(document), "signed_content_encoding": "base64"}
    response = act(caller, data["id"], "sign", body)
    refused(caller, data, response, [(SIGNED, "Invalid signature")], before)


def test_an_unknown_digest_algorithm_is_refused_not_a_crash(caller, doctor, approved, pki):
    """Found by fuzzing the CMS: an unknown digest OID in the SignerInfo (pyHanko raises AttributeError)."""
    data = approved()
    before = state(data["id"])
    signed = cms_sign(content_of(to_be_signed(data)), pki.holder(doctor))
    sha256 = bytes.fromhex("0609608648016503040201")
    at = signed.rfind(sha256)
    mutated = signed[: at + len(sha256) - 1] + b"\x7f" + signed[at + len(sha256) :]
    body = {"signed_declaration_request": b64(mutated), "signed_content_encoding": "base64"}
    response = act(caller, data["id"], "sign", body)
    refused(caller, data, response, [(SIGNED, "Invalid signature")], before)


def test_nothing_trusted_is_503(caller, doctor, approved, pki, settings):
    data = approved()
    settings.SIGNATURE_TRUSTED_CERTS = ""
    response = sign(caller, data, pki.holder(doctor))
    assert response.status_code == 503
    assert error(response) == {"type": "service_unavailable", "message": "Signature verification is unavailable"}
    assert DeclarationRequest.objects.get(pk=data["id"]).status == "APPROVED"


# --- step 3: what was signed ---------------------------------------------------------------------------


def test_content_changed_by_one_character_is_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    content = to_be_signed(data)
    content["person"] = {**content["person"], "last_name": content["person"]["last_name"][:-1] + "X"}
    response = sign(caller, data, pki.holder(doctor), content=content)
    refused(caller, data, response, [(SIGNED, "Signed content does not match the previously created content")], before)


@pytest.mark.parametrize(
    "change",
    [
        {"patient_signed": False},  # the patient has not signed the printout
        {"patient_signed": 1},  # true, not a number that equals it
        {"seed": "0" * 64},  # another seed
    ],
)
def test_patient_signed_and_the_seed_must_be_there(caller, doctor, approved, pki, change):
    data = approved()
    before = state(data["id"])
    response = sign(caller, data, pki.holder(doctor), content={**to_be_signed(data), **change})
    refused(caller, data, response, [(SIGNED, "Signed content does not match the previously created content")], before)


def test_the_seed_left_out_is_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    content = {key: value for key, value in to_be_signed(data).items() if key != "seed"}
    response = sign(caller, data, pki.holder(doctor), content=content)
    refused(caller, data, response, [(SIGNED, "Signed content does not match the previously created content")], before)


def test_signed_json_nested_past_the_parsers_depth_is_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    deep = b"[" * 100_000 + b"]" * 100_000
    response = act(caller, data["id"], "sign", sign_body(deep, pki.holder(doctor)))
    refused(caller, data, response, [(SIGNED, "Signed content does not match the previously created content")], before)


def test_signed_content_that_is_not_json_is_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    response = act(caller, data["id"], "sign", sign_body(b"plain text, not JSON", pki.holder(doctor)))
    refused(caller, data, response, [(SIGNED, "Signed content does not match the previously created content")], before)


# --- step 4: the signer is the doctor -------------------------------------------------------------------


def test_another_doctors_signature_is_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    other = EmployeeFactory(client=caller.client)
    response = sign(caller, data, pki.holder(other))
    refused(caller, data, response, [(SIGNED, "Does not match the signer drfo")], before)


def test_a_certificate_without_a_drfo_is_refused(caller, doctor, approved, pki):
    data = approved()
    before = state(data["id"])
    response = sign(caller, data, issue(pki.ca, serial_number=None, label="anonymous"))
    refused(caller, data, response, [(SIGNED, "Does not match the signer drfo")], before)


def test_a_doctor_without_a_tax_id_cannot_sign(caller, doctor, approved, pki):
    data = approved()
    holder = pki.holder(doctor, serial_number="TINUA-")
    Employee.objects.filter(pk=doctor.pk).update(tax_id="")
    before = state(data["id"])
    response = sign(caller, data, holder)
    refused(caller, data, response, [(SIGNED, "Does not match the signer drfo")], before)


# --- step 6: the declaration -----------------------------------------------------------------------------


def test_offline_confirmation_makes_a_pending_declaration(caller, doctor, approved, pki):
    data = approved(PersonFactory(primary="OFFLINE"))
    response = sign(caller, data, pki.holder(doctor))
    assert response.status_code == 200, response.json()
    assert (response.json()["data"]["status"], response.json()["data"]["reason"]) == ("pending_verification", "offline")


def test_a_patient_without_a_tax_id_gets_a_pending_declaration(caller, doctor, approved, pki):
    data = approved(PersonFactory(no_tax_id=True))
    response = sign(caller, data, pki.holder(doctor))
    assert response.status_code == 200, response.json()
    assert (response.json()["data"]["status"], response.json()["data"]["reason"]) == (
        "pending_verification",
        "no_tax_id",
    )


def test_the_previous_declaration_ends_auto_new_declaration(caller, caller_factory, doctor, approved, pki):
    """One primary-care doctor at a time: the patient's declaration with another clinic ends today."""
    person = PersonFactory()
    other_clinic = caller_factory(name="Another clinic")
    other_doctor = EmployeeFactory(client=other_clinic.client)
    first = sign(other_clinic, approved(person, other_doctor, other_clinic), pki.holder(other_doctor))
    assert first.status_code == 200
    second = sign(caller, approved(person), pki.holder(doctor))
    assert second.status_code == 200
    previous = Declaration.objects.get(pk=first.json()["data"]["id"])
    assert (previous.status, previous.reason, previous.end_date) == ("terminated", "auto_new_declaration", today_utc())
    events = {(e.property, e.old_value, e.new_value) for e in Event.objects.filter(entity_id=str(previous.pk))}
    assert {("status", "active", "terminated"), ("reason", "", "auto_new_declaration")} <= events
    current = Declaration.objects.filter(person=person, status__in=Declaration.CURRENT)
    assert [str(d.pk) for d in current] == [second.json()["data"]["id"]]


def test_an_na_request_with_a_parent_ends_the_parent(caller, doctor, approved, pki):
    from tests.declarations.conftest import with_parent

    person = PersonFactory(primary="NA")
    extra = with_parent(person)
    data = approved(person, **extra)
    assert data["data_to_be_signed"]["patient_signed"] is None  # approve's, for NA with a parent
    response = sign(caller, data, pki.holder(doctor))
    assert response.status_code == 200
    parent = Declaration.objects.get(pk=extra["parent_declaration_id"])
    assert (parent.status, parent.reason) == ("terminated", "auto_new_declaration")


def test_a_pediatricians_patient_is_signed_until_the_day_before_18(caller, pki, approved):
    pediatrician = EmployeeFactory(client=caller.client, speciality=Employee.Speciality.PEDIATRICIAN)
    birth_date = born_years_ago(5, days=40)
    data = approved(PersonFactory(birth_date=birth_date), pediatrician)
    expected = (add_years(birth_date, 18) - datetime.timedelta(days=1)).isoformat()
    assert data["data_to_be_signed"]["end_date"] == expected  # what the doctor signs says so too
    response = sign(caller, data, pki.holder(pediatrician))
    assert response.json()["data"]["end_date"] == expected


def test_a_family_doctors_child_patient_gets_the_whole_term(caller, doctor, pki, approved, settings):
    settings.DECLARATION_TERM_YEARS = 7
    data = approved(PersonFactory(birth_date=born_years_ago(5)))
    response = sign(caller, data, pki.holder(doctor))
    assert response.json()["data"]["end_date"] == add_years(today_utc(), 7).isoformat()


def test_another_legal_entitys_request_is_404(caller, caller_factory, doctor, approved, pki):
    data = approved()
    stranger = caller_factory(name="Stranger")
    response = sign(stranger, data, pki.holder(doctor))
    assert response.status_code == 404
    assert error(response)["message"] == "Declaration request not found"


def test_sign_needs_its_scope(doctor, approved, pki):
    from tests.conftest import make_caller

    data = approved()
    response = sign(make_caller(scopes=["declaration_request:approve"]), data, pki.holder(doctor))
    assert response.status_code == 403
    assert error(response)["message"].endswith("Missing allowances: declaration_request:sign")


# --- the rules that count declarations, on rows made by sign ----------------------------------------------


def test_the_doctors_limit_counts_pending_declarations(caller, doctor, approved, create, pki, settings, send):
    settings.DECLARATION_LIMIT_FAMILY_DOCTOR = 1
    data = approved(PersonFactory(primary="OFFLINE"))  # the one approved request the limit allows
    assert sign(caller, data, pki.holder(doctor)).json()["data"]["status"] == "pending_verification"
    person = PersonFactory(primary="NA")
    from tests.declarations.conftest import with_parent

    request_id = create(person, **with_parent(person)).json()["data"]["id"]
    response = send(act, caller, request_id, "approve", {})
    assert response.status_code == 422
    assert error(response)["message"] == "This doctor has 1 declarations and could not sign more"


def test_signing_moves_the_count_from_the_request_to_the_declaration(caller, doctor, approved, pki):
    from declarations.selectors import employee_declaration_count

    data = approved()
    assert employee_declaration_count(doctor.pk) == 1
    sign(caller, data, pki.holder(doctor))
    assert employee_declaration_count(doctor.pk) == 1


@pytest.mark.parametrize(("confirmed_by", "approves"), [("OTP", True), ("OFFLINE", False)])
def test_the_na_parent_rule_needs_an_active_parent_made_by_sign(
    caller, doctor, approved, create, pki, send, confirmed_by, approves
):
    """An NA person's own NA confirms only with an active parent declaration: a signed one that is
    active confirms, a pending one (OFFLINE) does not; nor one terminated."""
    from persons.models import AuthenticationMethod

    person = PersonFactory(primary=confirmed_by)
    parent = sign(caller, approved(person), pki.holder(doctor)).json()["data"]
    AuthenticationMethod.objects.filter(person=person).update(type="NA", phone_number="")
    request_id = create(person, parent_declaration_id=parent["id"]).json()["data"]["id"]
    response = send(act, caller, request_id, "approve", {})
    if approves:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 404
        assert error(response)["message"] == "Active parent declaration was not found"


def test_a_parent_terminated_after_sign_no_longer_confirms(caller, doctor, approved, create, pki, send):
    from persons.models import AuthenticationMethod

    person = PersonFactory()
    parent = sign(caller, approved(person), pki.holder(doctor)).json()["data"]
    AuthenticationMethod.objects.filter(person=person).update(type="NA", phone_number="")
    request_id = create(person, parent_declaration_id=parent["id"]).json()["data"]["id"]
    ended = caller.patch(
        f"/api/declarations/{parent['id']}/actions/terminate", {"reason_description": "moved away"}, format="json"
    )
    assert ended.status_code == 200
    response = send(act, caller, request_id, "approve", {})
    assert response.status_code == 404
    assert error(response)["message"] == "Active parent declaration was not found"
