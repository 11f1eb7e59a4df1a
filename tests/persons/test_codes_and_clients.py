"""A code confirms one thing for one client: the attacks a second MIS could try, over HTTP.

Client A (one legal entity) has open requests for a patient; client B (another legal entity) tries
to replace, guess, cancel or discover them.
"""

import pytest
from django.utils import timezone

from core.models import Event
from persons.merges.services import merge_request_approve
from persons.models import AuthenticationMethodRequest, MergeRequest, Person
from tests.conftest import verify_phone
from tests.persons.factories import AuthenticationMethodFactory, PersonFactory
from verifications.models import Verification
from verifications.sms import locmem

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]

PHONE = "+380931234585"
REQUESTS = "/api/persons/{}/authentication_method_requests"


@pytest.fixture
def a(caller_factory):
    return caller_factory(name="Clinic A")


@pytest.fixture
def b(caller_factory):
    return caller_factory(name="Clinic B")


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """An API call with its on-commit work (the SMS) done, as a real commit and worker would."""

    def call(method, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return method(*args, format="json", **kwargs)

    return call


@pytest.fixture
def patient():
    return PersonFactory(primary__phone_number=PHONE)


def new_method_request(caller, run, person, phone="+380976549872"):
    verify_phone(caller.client, phone)  # a new OTP phone is verified by the clinic first
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": phone}}
    response = run(caller.post, REQUESTS.format(person.id), body)
    assert response.status_code == 201, response.json()
    return response.json()["data"]["id"]


def approve_method_request(caller, person, request_id, code):
    url = f"{REQUESTS.format(person.id)}/{request_id}/actions/approve"
    return caller.patch(url, {"verification_code": code}, format="json")


def rule(response) -> tuple[str, str]:
    entry = response.json()["error"]["invalid"][0]
    return entry["entry"], entry["rules"][0]["description"]


def message(response) -> str:
    return response.json()["error"]["message"]


def events(entity, property="status") -> list[tuple]:
    rows = Event.objects.filter(entity_type=entity._meta.label_lower, entity_id=str(entity.pk), property=property)
    return [(e.old_value, e.new_value) for e in rows.order_by("created_at")]


# --- the three attacks of the issue ------------------------------------------------------------


def test_another_clients_code_for_the_phone_neither_replaces_nor_approves_a_request(a, b, run, patient, last_code):
    request_id = new_method_request(a, run, patient)
    a_code = last_code(PHONE)
    assert run(b.post, "/api/verifications", {"phone_number": PHONE}).status_code == 200
    b_code = last_code(PHONE)

    if b_code != a_code:
        refused = approve_method_request(a, patient, request_id, b_code)
        assert refused.status_code == 422
        assert rule(refused) == ("$.verification_code", "Invalid verification code")
    approved = approve_method_request(a, patient, request_id, a_code)
    assert approved.status_code == 201, approved.json()
    assert approved.json()["data"]["status"] == "COMPLETED"


def test_another_clients_wrong_guesses_cannot_lock_a_requests_code(a, b, run, patient, last_code, settings):
    request_id = new_method_request(a, run, patient)
    code = last_code(PHONE)
    for _ in range(settings.OTP_MAX_ATTEMPTS + 1):
        guess = b.patch(f"/api/verifications/{PHONE}/actions/complete", {"code": "1111"}, format="json")
        assert guess.status_code == 404  # B never asked for a code for this phone: there is none for B
    assert approve_method_request(a, patient, request_id, code).status_code == 201


def test_another_entitys_request_for_the_person_leaves_the_first_one_open_and_hidden(a, b, run, patient):
    a_request = new_method_request(a, run, patient)
    b_request = new_method_request(b, run, patient, phone="+380671112233")
    assert AuthenticationMethodRequest.objects.get(pk=a_request).status == "NEW"
    assert AuthenticationMethodRequest.objects.get(pk=b_request).status == "NEW"
    assert a.get(f"{REQUESTS.format(patient.id)}/{a_request}").json()["data"]["status"] == "NEW"
    assert b.get(f"{REQUESTS.format(patient.id)}/{a_request}").status_code == 404


def test_a_newer_request_of_the_same_entity_cancels_its_older_one(a, caller_factory, run, patient):
    colleague = caller_factory(name="Clinic A, second MIS", legal_entity_id=a.client.legal_entity_id)
    older = new_method_request(a, run, patient)
    new_method_request(colleague, run, patient, phone="+380671112233")
    assert AuthenticationMethodRequest.objects.get(pk=older).status == "CANCELLED"


def test_merge_request_for_another_entitys_open_pair_is_created(a, b, run):
    master, duplicate = PersonFactory(primary__phone_number=PHONE), PersonFactory(primary="")
    body = {"master_person_id": str(master.pk), "merge_person_id": str(duplicate.pk)}
    first = run(a.post, "/api/merge_requests", body)
    assert first.status_code == 201
    second = run(b.post, "/api/merge_requests", body)
    assert second.status_code == 201, second.json()
    assert MergeRequest.objects.get(pk=first.json()["data"]["id"]).status == "NEW"
    again = run(a.post, "/api/merge_requests", body)  # the same entity's own pair is still one at a time
    assert (again.status_code, message(again)) == (409, "Merge request for these persons already exists")


def test_resend_replaces_only_the_requests_own_code(a, b, run, patient, last_code):
    a_request = new_method_request(a, run, patient)
    b_request = new_method_request(b, run, patient, phone="+380671112233")
    b_code = last_code(PHONE)
    resent = run(a.post, f"{REQUESTS.format(patient.id)}/{a_request}/actions/resend_otp")
    assert resent.status_code == 200, resent.json()
    a_code = last_code(PHONE)
    first_a_code = AuthenticationMethodRequest.objects.get(pk=a_request)
    assert Verification.objects.filter(pk=first_a_code.verification_id, status="NEW").exists()
    assert Verification.objects.filter(kind="authentication_method_request", status="INACTIVE").count() == 1
    assert approve_method_request(b, patient, b_request, b_code).status_code == 201
    assert approve_method_request(a, patient, a_request, a_code).status_code == 409  # B changed the phone since


# --- OTP verification codes are the calling client's own -----------------------------------------


def test_verification_codes_are_per_client(a, b, run, last_code):
    run(a.post, "/api/verifications", {"phone_number": PHONE})
    a_code = last_code(PHONE)
    run(b.post, "/api/verifications", {"phone_number": PHONE})
    assert Verification.objects.filter(phone_number=PHONE, status="NEW").count() == 2
    done = a.patch(f"/api/verifications/{PHONE}/actions/complete", {"code": a_code}, format="json")
    assert done.status_code == 200 and done.json()["data"]["status"] == "VERIFIED"
    assert b.get(f"/api/verifications/{PHONE}").status_code == 200  # a fact about the phone, for anyone


def test_a_requests_code_is_not_reachable_through_the_verification_endpoints(a, run, patient, last_code):
    new_method_request(a, run, patient)
    code = last_code(PHONE)
    response = a.patch(f"/api/verifications/{PHONE}/actions/complete", {"code": code}, format="json")
    assert (response.status_code, message(response)) == (404, "Verification not found")


def test_a_clients_new_code_replaces_only_its_own_older_one(a, run):
    run(a.post, "/api/verifications", {"phone_number": PHONE})
    run(a.post, "/api/verifications", {"phone_number": "+380671112233"})
    run(a.post, "/api/verifications", {"phone_number": PHONE})
    statuses = sorted(Verification.objects.values_list("phone_number", "status"))
    assert statuses == [("+380671112233", "NEW"), (PHONE, "INACTIVE"), (PHONE, "NEW")]


def test_one_clinics_sends_never_block_anothers_until_the_phones_own_cap(a, b, caller_factory, run, patient, settings):
    """Seen from outside: clinic B's sends made clinic A's request fail with 429. Now each clinic has
    its own limits for the phone, and only the phone's cap (for all clinics together) is shared."""
    settings.OTP_SEND_LIMIT, settings.OTP_PHONE_SEND_LIMIT = 2, 5
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    assert run(b.post, "/api/verifications", {"phone_number": PHONE}).status_code == 200
    limited = run(b.post, "/api/verifications", {"phone_number": PHONE})
    assert (limited.status_code, message(limited)) == (
        429,
        "A verification code was sent to this phone number moments ago",
    )
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    assert run(b.post, "/api/verifications", {"phone_number": PHONE}).status_code == 200  # B: 2 of 2
    limited = run(b.post, "/api/verifications", {"phone_number": PHONE})
    assert (limited.status_code, message(limited)) == (
        429,
        "Too many verification codes were requested for this phone number",
    )

    new_method_request(a, run, patient)  # A is not blocked by B
    assert run(a.post, "/api/verifications", {"phone_number": PHONE}).status_code == 200  # A: 2 of 2; phone: 4
    c = caller_factory(name="Clinic C")
    assert run(c.post, "/api/verifications", {"phone_number": PHONE}).status_code == 200  # phone: 5 of 5
    capped = run(c.post, "/api/verifications", {"phone_number": PHONE})
    assert capped.status_code == 429 and 1 <= int(capped.headers["Retry-After"]) <= 900
    assert message(capped) == "Too many verification codes were requested for this phone number"
    assert len([m for m in locmem.outbox if m["phone_number"] == PHONE]) == 5


# --- merged persons and changed methods ------------------------------------------------------------


def merge(duplicate: Person, into: Person, client) -> MergeRequest:
    """Approve a merge of `duplicate` into `into`, confirmed OFFLINE (the documents are not the point here)."""
    merge_request = MergeRequest.objects.create(
        master_person=into,
        merge_person=duplicate,
        authentication_method_current={
            "type": "OFFLINE",
            "number": None,
            "method_id": str(into.authentication_methods.get().id),
        },
        client=client,
        legal_entity_id=client.legal_entity_id,
        expires_at=timezone.now() + timezone.timedelta(days=1),
        created_by="test",
        updated_by="test",
    )
    return merge_request_approve(merge_request=merge_request, actor="test")


def test_merging_cancels_the_merged_persons_open_requests_and_they_cannot_be_approved(a, b, run, patient, last_code):
    a_request = new_method_request(a, run, patient)
    code = last_code(PHONE)
    other_pair = MergeRequest.objects.create(
        master_person=patient,
        merge_person=PersonFactory(primary=""),
        authentication_method_current={"type": "OTP", "number": PHONE, "method_id": ""},
        client=b.client,
        legal_entity_id=b.client.legal_entity_id,
        expires_at=timezone.now() + timezone.timedelta(days=1),
        created_by="test",
        updated_by="test",
    )
    master = PersonFactory(primary="OFFLINE")
    merge(patient, into=master, client=b.client)

    amr = AuthenticationMethodRequest.objects.get(pk=a_request)
    assert amr.status == "CANCELLED" and events(amr)[-1] == ("NEW", "CANCELLED")
    other_pair.refresh_from_db()
    assert other_pair.status == "CANCELLED" and events(other_pair)[-1] == ("NEW", "CANCELLED")
    refused = approve_method_request(a, patient, a_request, code)
    assert (refused.status_code, message(refused)) == (409, "Person is not active")


def test_approve_refuses_when_the_confirming_method_changed_since_the_request(a, b, run, patient, last_code):
    a_request = new_method_request(a, run, patient)
    code = last_code(PHONE)
    b_request = new_method_request(b, run, patient, phone="+380671112233")
    assert approve_method_request(b, patient, b_request, last_code(PHONE)).status_code == 201
    refused = approve_method_request(a, patient, a_request, code)
    assert (refused.status_code, message(refused)) == (409, "Authentication method has changed")
    assert Verification.objects.get(
        pk=AuthenticationMethodRequest.objects.get(pk=a_request).verification_id
    ).status == (
        "NEW"  # refused before the code was spent
    )


def test_a_merged_third_person_no_longer_confirms_for_anyone(a, run, last_code):
    third = PersonFactory(primary__phone_number=PHONE)
    child = PersonFactory(primary="NA")
    trusted = AuthenticationMethodFactory(person=child, third=True, third_person=third, alias="father")
    body = {"action": "UPDATE", "authentication_method": {"id": str(trusted.id), "alias": "dad"}}
    created = run(a.post, REQUESTS.format(child.id), body)
    assert created.status_code == 201
    code = last_code(PHONE)
    merge(third, into=PersonFactory(primary="OFFLINE"), client=a.client)

    refused = approve_method_request(a, child, created.json()["data"]["id"], code)
    assert (refused.status_code, message(refused)) == (409, "Third person is not active")
    again = run(a.post, REQUESTS.format(child.id), body)
    assert again.status_code == 409
    assert locmem.outbox[-1]["body"].endswith(code)  # no new SMS to the merged person's phone


# --- one text per purpose ------------------------------------------------------------------------------

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)


def segments(text: str) -> int:
    single, multi = (160, 153) if set(text) <= GSM7 else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // multi)


@pytest.mark.parametrize(
    "kind, says",
    [
        ("verification", "eHealth"),
        ("authentication_method_request", "способу підтвердження"),
        ("merge_request", "об'єднання"),
        ("declaration_request", "декларація"),
        ("approval", "доступ лікаря"),
    ],
)
def test_each_purpose_has_its_own_short_text(kind, says, settings):
    from verifications.services import _sms_body

    body = _sms_body(kind, "9" * 8)  # the longest code one may configure
    assert says in body and body.endswith("99999999")
    assert segments(body) <= 2
    assert segments(_sms_body(kind, "9" * settings.OTP_CODE_LENGTH)) == 1


def test_texts_differ_per_purpose():
    from verifications.models import Purpose
    from verifications.services import _sms_body

    assert len({_sms_body(kind, "1234") for kind in Purpose.values}) == len(Purpose.values)
