"""Merge requests: create, resend the OTP, approve, reject, expire."""

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.api.errors import ValidationFailed
from core.documents.uploads import storage_name
from core.models import Event
from persons import housekeeping
from persons.merges import demo as merge_demo
from persons.merges.services import merge_request_approve
from persons.models import AuthenticationMethod, MergeRequest, Person
from tests.parallel import in_parallel
from tests.persons.factories import AuthenticationMethodFactory, PersonFactory
from verifications.models import Verification
from verifications.sms import locmem

pytestmark = pytest.mark.django_db

URL = "/api/merge_requests"
Type = AuthenticationMethod.Type
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


@pytest.fixture(autouse=True)
def empty_outbox():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def no_cooldown(settings):
    """Resend right after create: the per-phone cooldown is tested on its own."""
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run an API call and the SMS tasks it queues on commit, as the worker would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def otp_person(phone=None) -> Person:
    return AuthenticationMethodFactory(**({"phone_number": phone} if phone else {})).person


def sms_phones() -> list[str]:
    return [message["phone_number"] for message in locmem.outbox]


def last_code(phone_number: str) -> str:
    body = next(m["body"] for m in reversed(locmem.outbox) if m["phone_number"] == phone_number)
    return re.search(r"(\d+)$", body).group(1)


def direct(call, *args, **kwargs):
    return call(*args, **kwargs)


def create(caller, send, master, merge, **extra):
    body = {"master_person_id": str(master.pk), "merge_person_id": str(merge.pk), **extra}
    return send(caller.post, URL, body, format="json")


def act(caller, merge_request_id, name, body=None, method="patch"):
    return getattr(caller, method)(f"{URL}/{merge_request_id}/actions/{name}", body, format="json")


def error(response) -> dict:
    return response.json()["error"]


def events(entity) -> list[tuple]:
    rows = Event.objects.filter(entity_type=entity._meta.label_lower, entity_id=str(entity.pk)).order_by("created_at")
    return [(e.property, e.old_value, e.new_value) for e in rows]


def mask(phone: str) -> str:
    return f"{phone[:6]}*****{phone[-2:]}"


# --- create ------------------------------------------------------------------------------------------


def test_create_with_otp_sends_the_code_to_the_master_person(
    caller, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    master, merge = otp_person("+380501112233"), PersonFactory(primary="")
    # the SMS task runs on commit, after the counted request
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(14):
        response = create(caller, direct, master, merge)
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["status"] == "NEW"
    assert data["master_person_id"] == str(master.pk)
    assert data["merge_person_id"] == str(merge.pk)
    assert data["authentication_method_current"] == {"type": "OTP", "number": "+38050*****33"}
    assert data["documents"] == []
    assert "urgent" not in response.json()
    assert sms_phones() == ["+380501112233"]
    merge_request = MergeRequest.objects.get(pk=data["id"])
    assert merge_request.legal_entity_id == caller.client.legal_entity_id
    assert merge_request.created_by == str(caller.client.uuid)
    assert events(merge_request) == [("status", None, "NEW")]


def test_third_person_method_sends_the_sms_to_the_third_persons_phone(caller, send):
    master, merge, mother = PersonFactory(primary=""), PersonFactory(primary=""), otp_person("+380679998877")
    AuthenticationMethodFactory(person=master, na=True)
    trusted = AuthenticationMethodFactory(person=master, third=True, third_person=mother)
    response = create(caller, send, master, merge, authorize_with=str(trusted.pk))
    assert response.status_code == 201
    assert response.json()["data"]["authentication_method_current"] == {"type": "OTP", "number": "+38067*****77"}
    assert response.json()["data"]["authorize_with"] == str(trusted.pk)
    assert sms_phones() == ["+380679998877"]
    approve = act(caller, response.json()["data"]["id"], "approve", {"verification_code": last_code("+380679998877")})
    assert approve.status_code == 200
    assert approve.json()["data"]["status"] == "APPROVED"


@pytest.mark.parametrize(
    ("documents", "expected"),
    [([{"type": "NATIONAL_ID", "number": "1"}], ["NATIONAL_ID"]), ([], ["PASSPORT"])],
)
def test_create_with_offline_asks_for_the_master_persons_documents(caller, send, documents, expected):
    master, merge = PersonFactory(primary="", documents=documents), PersonFactory(primary="")
    AuthenticationMethodFactory(person=master, offline=True)
    response = create(caller, send, master, merge)
    assert response.status_code == 201
    body = response.json()
    assert body["data"]["authentication_method_current"] == {"type": "OFFLINE", "number": None}
    assert body["data"]["documents"] == expected
    assert [d["type"] for d in body["urgent"]["documents"]] == expected
    assert body["urgent"]["documents"][0]["url"].startswith("http://testserver/api/uploads/")
    assert locmem.outbox == []


def test_na_method_cannot_confirm_a_merge(caller, send):
    master, merge = PersonFactory(primary=""), PersonFactory(primary="")
    AuthenticationMethodFactory(person=master, na=True)
    response = create(caller, send, master, merge)
    assert response.status_code == 409
    assert error(response) == {
        "type": "request_conflict",
        "message": "Request can not be confirmed by authentication method NA",
    }
    assert not MergeRequest.objects.exists()


def test_master_without_method_is_409(caller, send):
    response = create(caller, send, PersonFactory(primary=""), PersonFactory(primary=""))
    assert response.status_code == 409
    assert error(response)["message"] == "Person has no active authentication method"


def test_authorize_with_must_be_a_method_of_the_master(caller, send):
    stranger_method = AuthenticationMethodFactory()
    response = create(caller, send, otp_person(), PersonFactory(primary=""), authorize_with=str(stranger_method.pk))
    assert response.status_code == 422
    assert error(response)["invalid"][0]["entry"] == "$.authorize_with"
    assert error(response)["invalid"][0]["rules"][0]["description"] == "Authentication method not found"


@pytest.mark.parametrize("role", ["master", "merge"])
@pytest.mark.parametrize("problem", ["missing", "inactive"])
def test_unknown_or_inactive_person_is_404(caller, send, role, problem):
    persons = {"master": otp_person(), "merge": PersonFactory(primary="")}
    if problem == "missing":
        persons[role] = PersonFactory.build()
    else:
        Person.objects.filter(pk=persons[role].pk).update(status=Person.Status.INACTIVE)
    response = create(caller, send, persons["master"], persons["merge"])
    assert response.status_code == 404
    assert error(response) == {"type": "not_found", "message": "Person not found"}


def test_merged_person_cannot_be_merged_again(caller, send):
    master, merge = otp_person(), PersonFactory(primary="")
    Person.objects.filter(pk=merge.pk).update(status=Person.Status.INACTIVE, merged_into=PersonFactory(primary=""))
    response = create(caller, send, master, merge)
    assert response.status_code == 409
    assert error(response)["message"] == "Person is already merged"


def test_a_person_cannot_be_merged_into_itself(caller, send):
    person = otp_person()
    response = create(caller, send, person, person)
    assert response.status_code == 422
    assert error(response)["invalid"] == [
        {
            "entry_type": "json_data_property",
            "entry": "$.merge_person_id",
            "rules": [{"rule": "invalid", "description": "Merge person must differ from master person", "params": []}],
        }
    ]


def test_body_is_validated(caller, send):
    response = send(caller.post, URL, {"master_person_id": "nope", "extra": 1}, format="json")
    assert response.status_code == 422
    entries = {entry["entry"]: entry["rules"][0]["description"] for entry in error(response)["invalid"]}
    assert entries == {"$.extra": "Schema does not allow additional properties"}
    response = send(caller.post, URL, {"master_person_id": "nope"}, format="json")
    entries = {entry["entry"]: entry["rules"][0]["description"] for entry in error(response)["invalid"]}
    assert entries == {"$.master_person_id": "Must be a valid UUID.", "$.merge_person_id": "This field is required."}


def test_one_open_request_per_pair_in_either_direction(caller, send, no_cooldown):
    first, second = otp_person(), otp_person()
    assert create(caller, send, first, second).status_code == 201
    for master, merge in ((first, second), (second, first)):
        response = create(caller, send, master, merge)
        assert response.status_code == 409
        assert error(response)["message"] == "Merge request for these persons already exists"
    assert MergeRequest.objects.count() == 1
    # the database holds the rule too, whichever person is the master
    reverse = MergeRequest.objects.get()
    reverse.pk, reverse.master_person, reverse.merge_person = None, second, first
    with pytest.raises(IntegrityError), transaction.atomic():
        reverse.save()


def test_a_request_past_its_expiry_does_not_block_a_new_one(caller, send, no_cooldown):
    master, merge = otp_person(), PersonFactory(primary="")
    old = MergeRequest.objects.get(pk=create(caller, send, master, merge).json()["data"]["id"])
    MergeRequest.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    assert create(caller, send, master, merge).status_code == 201
    old.refresh_from_db()
    assert old.status == "EXPIRED"
    assert events(old)[-1] == ("status", "NEW", "EXPIRED")


def test_send_limits_apply_and_roll_back_the_request(caller, send):
    master = otp_person("+380501112233")
    assert create(caller, send, master, PersonFactory(primary="")).status_code == 201
    response = create(caller, send, master, PersonFactory(primary=""))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert MergeRequest.objects.count() == 1
    assert sms_phones() == ["+380501112233"]


# --- list and retrieve -------------------------------------------------------------------------------


def make_requests(client, count, status=MergeRequest.Status.NEW, master=None) -> list[MergeRequest]:
    master = master or otp_person("+380501112233")
    method = master.authentication_methods.active().exclude(type="THIRD_PERSON").get()
    return [
        MergeRequest.objects.create(
            master_person=master,
            merge_person=PersonFactory(primary=""),
            status=status,
            authentication_method_current={"type": "OTP", "number": method.phone_number, "method_id": str(method.id)},
            client=client,
            legal_entity_id=client.legal_entity_id,
            expires_at=timezone.now() + datetime.timedelta(days=1),
            created_by="test",
            updated_by="test",
        )
        for _ in range(count)
    ]


def test_list_filters_and_pages(caller):
    master = otp_person()
    mine = make_requests(caller.client, 3, master=master)
    rejected = make_requests(caller.client, 1, status=MergeRequest.Status.REJECTED)[0]
    response = caller.get(URL, {"page_size": 2})
    assert response.status_code == 200
    assert response.json()["paging"] == {"page_number": 1, "page_size": 2, "total_entries": 4, "total_pages": 2}
    assert response.json()["data"][0]["authentication_method_current"]["number"] == "+38050*****33"
    past_the_end = caller.get(URL, {"page": 10**20}).json()
    assert past_the_end["data"] == []
    assert past_the_end["paging"]["total_entries"] == 4
    ids = lambda **params: {item["id"] for item in caller.get(URL, params).json()["data"]}  # noqa: E731
    assert ids(status="REJECTED") == {str(rejected.pk)}
    assert ids(master_person_id=str(master.pk)) == {str(r.pk) for r in mine}
    assert ids(merge_person_id=str(mine[1].merge_person_id)) == {str(mine[1].pk)}


def test_list_rejects_bad_filters(caller):
    response = caller.get(URL, {"status": "DONE", "master_person_id": "x"})
    assert response.status_code == 422
    assert {entry["entry"] for entry in error(response)["invalid"]} == {"$.status", "$.master_person_id"}
    response = caller.get(URL, {"status": ""})
    assert response.status_code == 422
    assert error(response)["invalid"][0]["rules"][0]["description"] == '"" is not a valid choice.'


def test_list_queries_do_not_grow_with_rows(caller, django_assert_max_num_queries):
    make_requests(caller.client, 3)
    with django_assert_max_num_queries(3):
        assert len(caller.get(URL).json()["data"]) == 3
    make_requests(caller.client, 10)
    with django_assert_max_num_queries(3):
        assert len(caller.get(URL).json()["data"]) == 13


def test_retrieve(caller, django_assert_max_num_queries):
    merge_request = make_requests(caller.client, 1)[0]
    with django_assert_max_num_queries(2):
        response = caller.get(f"{URL}/{merge_request.pk}")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(merge_request.pk)
    assert response.json()["data"]["expires_at"] == merge_request.expires_at.isoformat().replace("+00:00", "Z")


def test_another_legal_entitys_request_is_404(caller, caller_factory):
    merge_request = make_requests(caller.client, 1)[0]
    other = caller_factory(name="Other clinic")
    assert other.get(URL).json()["data"] == []
    calls = [
        other.get(f"{URL}/{merge_request.pk}"),
        act(other, merge_request.pk, "resend_otp", method="post"),
        act(other, merge_request.pk, "approve", {"verification_code": 1234}),
        act(other, merge_request.pk, "reject"),
    ]
    for response in calls:
        assert response.status_code == 404
        assert error(response) == {"type": "not_found", "message": "Merge request not found"}
    merge_request.refresh_from_db()
    assert merge_request.status == "NEW"


def test_another_client_of_the_same_legal_entity_sees_the_request(caller, caller_factory):
    merge_request = make_requests(caller.client, 1)[0]
    colleague = caller_factory(name="Same clinic, other MIS", legal_entity_id=caller.client.legal_entity_id)
    assert colleague.get(f"{URL}/{merge_request.pk}").status_code == 200


def test_scopes(caller_factory, send):
    reader = caller_factory(scopes=["merge_request:read"])
    response = create(reader, send, otp_person(), PersonFactory(primary=""))
    assert response.status_code == 403
    assert error(response)["message"] == (
        "Your scope does not allow to access this resource. Missing allowances: merge_request:write"
    )
    assert reader.get(URL).status_code == 200
    writer = caller_factory(scopes=["merge_request:write"])
    assert writer.get(URL).status_code == 403


# --- resend_otp ---------------------------------------------------------------------------------------


@pytest.fixture
def otp_request(caller, send, no_cooldown) -> MergeRequest:
    response = create(caller, send, otp_person("+380501112233"), PersonFactory(primary=""))
    return MergeRequest.objects.get(pk=response.json()["data"]["id"])


def test_resend_otp_answers_as_documented(caller, send, otp_request):
    response = send(act, caller, otp_request.pk, "resend_otp", method="post")
    assert response.status_code == 200
    data = response.json()["data"]
    latest = Verification.objects.get(phone_number="+380501112233", status="NEW")
    assert data == {
        "id": str(latest.pk),
        "status": "NEW",
        "code_expired_at": latest.code_expired_at.isoformat().replace("+00:00", "Z"),
        "active": True,
    }
    assert sms_phones() == ["+380501112233", "+380501112233"]
    assert Verification.objects.filter(phone_number="+380501112233").count() == 2


def test_resend_otp_routes_third_person_to_their_phone(caller, send, no_cooldown):
    master, mother = PersonFactory(primary=""), otp_person("+380679998877")
    AuthenticationMethodFactory(person=master, offline=True)
    trusted = AuthenticationMethodFactory(person=master, third=True, third_person=mother)
    created = create(caller, send, master, PersonFactory(primary=""), authorize_with=str(trusted.pk)).json()["data"]
    response = send(act, caller, created["id"], "resend_otp", method="post")
    assert response.status_code == 200
    assert sms_phones() == ["+380679998877", "+380679998877"]


def test_resend_otp_saves_the_method_the_person_uses_now(caller, send, no_cooldown):
    master = PersonFactory(primary="")
    offline = AuthenticationMethodFactory(person=master, offline=True)
    merge_request_id = create(caller, send, master, PersonFactory(primary="")).json()["data"]["id"]
    AuthenticationMethod.objects.filter(pk=offline.pk).update(ended_at=timezone.now())
    otp = AuthenticationMethodFactory(person=master, phone_number="+380631234567")
    response = send(act, caller, merge_request_id, "resend_otp", method="post")
    assert response.status_code == 200
    merge_request = MergeRequest.objects.get(pk=merge_request_id)
    assert merge_request.authentication_method_current == {
        "type": "OTP",
        "number": "+380631234567",
        "method_id": str(otp.pk),
    }
    assert events(merge_request)[-1] == ("authentication_method_current", "OFFLINE", "OTP")
    assert sms_phones() == ["+380631234567"]


@pytest.mark.parametrize("third_person_type", [None, "offline", "na"])
def test_resend_otp_refused_unless_the_method_is_otp(caller, send, third_person_type):
    master = PersonFactory(primary="")
    if third_person_type is None:
        AuthenticationMethodFactory(person=master, offline=True)
        authorize_with = None
    else:
        third = PersonFactory(primary="")
        AuthenticationMethodFactory(person=third, **{third_person_type: True})
        AuthenticationMethodFactory(person=master, offline=True)
        authorize_with = AuthenticationMethodFactory(person=master, third=True, third_person=third).pk
    merge_request = make_requests(caller.client, 1, master=master)[0]
    MergeRequest.objects.filter(pk=merge_request.pk).update(authorize_with=authorize_with)
    response = act(caller, merge_request.pk, "resend_otp", method="post")
    assert response.status_code == 409
    refusal = (
        "Third person has no authentication method"
        if third_person_type == "na"
        else "Resend OTP is not allowed for this authentication method"
    )
    assert error(response) == {"type": "request_conflict", "message": refusal}
    assert locmem.outbox == []


def test_resend_otp_refused_when_the_chosen_method_has_ended(caller, send, no_cooldown):
    master, mother = otp_person(), otp_person()
    trusted = AuthenticationMethodFactory(person=master, third=True, third_person=mother)
    response = create(caller, send, master, PersonFactory(primary=""), authorize_with=str(trusted.pk))
    merge_request_id = response.json()["data"]["id"]
    AuthenticationMethod.objects.filter(pk=trusted.pk).update(ended_at=timezone.now())
    response = act(caller, merge_request_id, "resend_otp", method="post")
    assert response.status_code == 409
    assert error(response)["message"] == "Resend OTP is not allowed for this authentication method"


@pytest.mark.parametrize("status", ["APPROVED", "REJECTED", "EXPIRED"])
def test_resend_otp_needs_status_new(caller, otp_request, status):
    MergeRequest.objects.filter(pk=otp_request.pk).update(status=status)
    response = act(caller, otp_request.pk, "resend_otp", method="post")
    assert response.status_code == 409
    assert error(response) == {"type": "request_conflict", "message": "Merge request is not in status NEW"}


def test_resend_otp_of_a_request_past_its_expiry(caller, otp_request):
    MergeRequest.objects.filter(pk=otp_request.pk).update(expires_at=timezone.now())
    response = act(caller, otp_request.pk, "resend_otp", method="post")
    assert response.status_code == 409
    assert error(response)["message"] == "Merge request is expired"


def test_resend_otp_keeps_the_send_limits(caller, otp_request, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    response = act(caller, otp_request.pk, "resend_otp", method="post")
    assert response.status_code == 429
    assert error(response)["message"] == "A verification code was sent to this phone number moments ago"
    assert 0 < int(response["Retry-After"]) <= 30


# --- approve and reject ------------------------------------------------------------------------------


@pytest.mark.parametrize("as_string", [False, True])
def test_approve_with_the_code_merges_the_person(caller, otp_request, django_assert_max_num_queries, as_string):
    code = last_code("+380501112233")
    # 22: each app's merging plug-in locks the merged person's open requests (declarations, approvals: one each)
    with django_assert_max_num_queries(25):
        response = act(caller, otp_request.pk, "approve", {"verification_code": code if as_string else int(code)})
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "APPROVED"
    merge = Person.objects.get(pk=otp_request.merge_person_id)
    assert merge.status == "inactive"
    assert merge.merged_into_id == otp_request.master_person_id
    assert events(merge) == [("status", "active", "inactive"), ("merged_into", None, str(otp_request.master_person_id))]
    assert events(otp_request) == [("status", None, "NEW"), ("status", "NEW", "APPROVED")]
    assert Verification.objects.get(phone_number="+380501112233").status == "VERIFIED"


def test_approve_with_a_wrong_code_is_422_and_changes_nothing(caller, otp_request):
    response = act(caller, otp_request.pk, "approve", {"verification_code": "1"})
    assert response.status_code == 422
    assert error(response)["invalid"] == [
        {
            "entry_type": "json_data_property",
            "entry": "$.verification_code",
            "rules": [{"rule": "invalid", "description": "Invalid verification code", "params": []}],
        }
    ]
    otp_request.refresh_from_db()
    assert otp_request.status == "NEW"
    assert Person.objects.get(pk=otp_request.merge_person_id).status == "active"


def test_approve_after_too_many_wrong_codes(caller, otp_request, settings):
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        act(caller, otp_request.pk, "approve", {"verification_code": "1"})
    response = act(caller, otp_request.pk, "approve", {"verification_code": last_code("+380501112233")})
    assert response.status_code == 422
    assert error(response)["invalid"][0]["rules"][0]["description"] == "Maximum attempts exceed"


def test_approve_with_an_expired_code(caller, otp_request):
    Verification.objects.update(code_expired_at=timezone.now())
    response = act(caller, otp_request.pk, "approve", {"verification_code": last_code("+380501112233")})
    assert response.status_code == 422
    assert error(response)["invalid"][0]["rules"][0]["description"] == "Verification code expired"


def test_approve_when_the_request_has_no_code(caller):
    merge_request = make_requests(caller.client, 1)[0]
    response = act(caller, merge_request.pk, "approve", {"verification_code": 1234})
    assert response.status_code == 422
    assert error(response)["invalid"][0]["entry"] == "$.verification_code"
    assert error(response)["invalid"][0]["rules"][0]["description"] == "Invalid verification code"


def test_approve_by_otp_needs_the_code(caller, otp_request):
    response = act(caller, otp_request.pk, "approve", {})
    assert response.status_code == 422
    assert error(response)["invalid"][0]["entry"] == "$.verification_code"
    assert error(response)["invalid"][0]["rules"][0]["description"] == "This field is required."
    with pytest.raises(ValidationFailed) as failed:  # the service keeps the rule for callers other than the API
        merge_request_approve(merge_request=otp_request)
    assert failed.value.invalid[0]["entry"] == "$.verification_code"
    assert failed.value.invalid[0]["rules"][0]["description"] == "Verification code is required"


@pytest.fixture
def offline_request(caller, send) -> MergeRequest:
    master = PersonFactory(primary="", documents=[{"type": "PASSPORT", "number": "АА123456"}])
    AuthenticationMethodFactory(person=master, offline=True)
    return MergeRequest.objects.get(pk=create(caller, send, master, PersonFactory(primary="")).json()["data"]["id"])


def upload(merge_request, type="PASSPORT"):
    default_storage.save(storage_name(owner=merge_request, type=type), ContentFile(JPEG))


def test_approve_offline_needs_the_documents_and_no_body(caller, offline_request, django_assert_max_num_queries):
    response = act(caller, offline_request.pk, "approve")
    assert response.status_code == 409
    assert error(response)["message"] == "Documents PASSPORT is not uploaded"
    upload(offline_request)
    response = act(caller, offline_request.pk, "approve", {"verification_code": 1234})
    assert response.status_code == 422
    assert error(response)["invalid"][0]["rules"][0]["description"] == "Schema does not allow additional properties"
    # 17: with the declarations and approvals apps' merging plug-ins (one query each)
    with django_assert_max_num_queries(17):
        response = act(caller, offline_request.pk, "approve")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "APPROVED"
    assert Person.objects.get(pk=offline_request.merge_person_id).merged_into_id == offline_request.master_person_id


def test_the_schema_says_approve_takes_an_optional_body(client, caller, offline_request):
    """An OFFLINE approve takes no body: the document must not require one, nor its code."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/merge_requests/{id}/actions/approve"]["patch"]
    assert not operation["requestBody"].get("required", False)
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    component = schema["components"]["schemas"][body]
    assert "verification_code" in component["properties"] and "required" not in component
    upload(offline_request)
    response = caller.generic("PATCH", f"{URL}/{offline_request.pk}/actions/approve")  # no body, no Content-Type
    assert response.status_code == 200, response.content
    assert response.json()["data"]["status"] == "APPROVED"


@pytest.mark.parametrize("status", ["APPROVED", "REJECTED", "EXPIRED"])
def test_approve_and_reject_need_status_new(caller, offline_request, status):
    MergeRequest.objects.filter(pk=offline_request.pk).update(status=status)
    upload(offline_request)
    for name in ("approve", "reject"):
        response = act(caller, offline_request.pk, name)
        assert response.status_code == 409
        assert error(response)["message"] == "Merge request is not in status NEW"


def test_approve_past_expiry_is_409(caller, offline_request):
    MergeRequest.objects.filter(pk=offline_request.pk).update(expires_at=timezone.now())
    upload(offline_request)
    response = act(caller, offline_request.pk, "approve")
    assert response.status_code == 409
    assert error(response)["message"] == "Merge request is expired"


def test_approve_when_the_person_was_merged_meanwhile(caller, offline_request):
    upload(offline_request)
    Person.objects.filter(pk=offline_request.merge_person_id).update(
        status=Person.Status.INACTIVE, merged_into=PersonFactory(primary="")
    )
    response = act(caller, offline_request.pk, "approve")
    assert response.status_code == 409
    assert error(response)["message"] == "Person is already merged"
    Person.objects.filter(pk=offline_request.merge_person_id).update(status=Person.Status.ACTIVE, merged_into=None)
    Person.objects.filter(pk=offline_request.master_person_id).update(status=Person.Status.INACTIVE)
    response = act(caller, offline_request.pk, "approve")
    assert response.status_code == 409
    assert error(response)["message"] == "Person is not active"


def test_reject(caller, offline_request):
    response = act(caller, offline_request.pk, "reject")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "REJECTED"
    offline_request.refresh_from_db()
    assert offline_request.updated_by == str(caller.client.uuid)
    assert events(offline_request)[-1] == ("status", "NEW", "REJECTED")
    assert Person.objects.get(pk=offline_request.merge_person_id).status == "active"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_approves_one_wins(caller, offline_request):
    upload(offline_request)
    statuses = [
        response.status_code for response in in_parallel(lambda i: act(caller, offline_request.pk, "approve"), 2)
    ]
    assert sorted(statuses) == [200, 409]
    assert events(offline_request).count(("status", "NEW", "APPROVED")) == 1
    assert len(events(Person.objects.get(pk=offline_request.merge_person_id))) == 2


# --- housekeeping, demo, admin -----------------------------------------------------------------------


def test_expire_marks_only_new_requests_past_expiry(caller):
    stale, fresh = make_requests(caller.client, 2)
    rejected = make_requests(caller.client, 1, status=MergeRequest.Status.REJECTED)[0]
    MergeRequest.objects.filter(pk__in=[stale.pk, rejected.pk]).update(expires_at=timezone.now())
    assert housekeeping.expire(timezone.now()) == {"merge requests expired": 1}
    statuses = dict(MergeRequest.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "EXPIRED", fresh.pk: "NEW", rejected.pk: "REJECTED"}
    assert events(stale) == [("status", "NEW", "EXPIRED")]
    assert housekeeping.expire(timezone.now()) == {}


def test_demo_adds_a_pair_to_merge_idempotently_and_no_request():
    first = merge_demo.seed({})
    assert merge_demo.seed({}) == first
    assert not MergeRequest.objects.exists()  # docs/api.md's walkthrough makes it, and gets the only code
    master = Person.objects.get(pk=first["merge"]["master_person_id"])
    assert list(master.authentication_methods.active().values_list("type", "phone_number")) == [
        ("OTP", merge_demo.MASTER_PHONE)
    ]


def test_admin_list_detail_and_resend(admin_client, caller, send, otp_request, no_cooldown):
    page = admin_client.get("/admin/persons/mergerequest/", {"q": str(otp_request.pk)})
    assert page.status_code == 200
    assert str(otp_request.pk) in page.text
    Person.objects.filter(pk=otp_request.merge_person_id).update(tax_id="3111912320")
    assert str(otp_request.pk) in admin_client.get("/admin/persons/mergerequest/", {"q": "3111912320"}).text
    assert str(otp_request.pk) not in admin_client.get("/admin/persons/mergerequest/", {"q": "1111111111"}).text
    assert "+38050*****33" in page.text
    assert "+380501112233" not in page.text
    detail = admin_client.get(f"/admin/persons/mergerequest/{otp_request.pk}/change/")
    assert detail.status_code == 200
    assert "+380501112233" not in detail.text
    assert "NEW" in detail.text
    response = send(
        admin_client.post,
        "/admin/persons/mergerequest/",
        {"action": "resend_code", "confirmed": "yes", "_selected_action": [str(otp_request.pk)]},
    )
    assert response.status_code == 302
    assert sms_phones() == ["+380501112233", "+380501112233"]
    assert Event.objects.filter(entity_id=str(otp_request.pk)).count() == 1  # the method did not change
