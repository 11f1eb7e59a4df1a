"""The back office's shared parts: the request admin every kind is built from, its actions (service and
permission), filters, search, the capped count, and the audit trail as a timeline."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.admin import CappedCountPaginator, actor_names, request_admins, timeline_html, value_in_words
from core.api.errors import Conflict
from core.audit import events as audit
from core.audit.events import user_id_of
from core.jobs.housekeeping import NOT_STALE, request_expire_now
from core.models import Event
from persons.merges.services import merge_request_create
from persons.models import AuthenticationMethodRequest, MergeRequest
from tests.conftest import ACTOR
from tests.persons.factories import AuthenticationMethodRequestFactory, PersonFactory
from verifications.sms import locmem

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]

REQUESTS = "/admin/persons/authenticationmethodrequest/"
MERGES = "/admin/persons/mergerequest/"
PHONE = "+380931234585"


@pytest.fixture
def relaxed_otp_limits(settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1000
    settings.OTP_PHONE_SEND_LIMIT = 1000
    locmem.outbox.clear()


def staff(client, group: str | None = None, *, superuser=False, name="staff") -> User:
    user = User.objects.create_user(name, password="pw", is_staff=True, is_superuser=superuser, first_name="Olena")
    if group:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def otp_request(caller, **fields):
    person = PersonFactory(primary__phone_number=PHONE)
    return AuthenticationMethodRequestFactory(
        client=caller.client,
        person=person,
        authentication_method_current={"type": "OTP", "number": PHONE, "method_id": ""},
        **fields,
    )


def test_every_request_kind_is_served_by_the_one_mixin():
    models = {model_admin.model for model_admin in request_admins()}
    assert {AuthenticationMethodRequest, MergeRequest} <= models
    for model_admin in request_admins():
        assert model_admin.show_full_result_count is False
        assert model_admin.paginator is CappedCountPaginator


# --- expire now: the service ----------------------------------------------------------------------


def test_expire_now_expires_one_stale_request_and_audits_it(caller):
    stale = AuthenticationMethodRequestFactory(client=caller.client, expires_at=timezone.now() - timedelta(minutes=1))
    other = AuthenticationMethodRequestFactory(client=caller.client, expires_at=timezone.now() - timedelta(minutes=1))
    request_expire_now(request=stale, actor=ACTOR)
    stale.refresh_from_db()
    other.refresh_from_db()
    assert (stale.status, stale.updated_by) == ("EXPIRED", ACTOR)
    assert other.status == "NEW"  # only the one asked for
    event = Event.objects.get(entity_id=str(stale.pk), property="status")
    assert (event.old_value, event.new_value, event.actor) == ("NEW", "EXPIRED", ACTOR)


@pytest.mark.parametrize(
    "fields",
    [{"expires_at": timezone.now() + timedelta(hours=1)}, {"status": "COMPLETED"}],
    ids=["not yet expired", "not NEW"],
)
def test_expire_now_refuses_a_request_that_is_not_stale(caller, fields):
    request = AuthenticationMethodRequestFactory(client=caller.client, **fields)
    with pytest.raises(Conflict, match=NOT_STALE):
        request_expire_now(request=request, actor=ACTOR)
    assert not Event.objects.filter(entity_id=str(request.pk)).exists()


# --- the actions through the admin: permission, message, admin log -------------------------------


def test_expire_now_action(client, caller):
    user = staff(client, "verifiers")
    stale = AuthenticationMethodRequestFactory(client=caller.client, expires_at=timezone.now() - timedelta(minutes=1))
    fresh = AuthenticationMethodRequestFactory(client=caller.client)
    response = client.post(REQUESTS, {"action": "expire_now", "_selected_action": [stale.pk, fresh.pk]}, follow=True)
    text = response.content.decode()
    assert NOT_STALE in text and "Expired: 1" in text
    assert AuthenticationMethodRequest.objects.get(pk=stale.pk).status == "EXPIRED"
    assert AuthenticationMethodRequest.objects.get(pk=fresh.pk).status == "NEW"
    assert LogEntry.objects.get(object_id=str(stale.pk)).user == user
    assert Event.objects.get(entity_id=str(stale.pk), new_value="EXPIRED").actor == user_id_of(user)


@pytest.mark.parametrize("action", ["expire_now", "resend_code"])
@pytest.mark.parametrize("where", ["list", "case file"])
def test_clerks_see_no_action_and_get_403(client, caller, action, where):
    staff(client, "read-only clerks")
    request = otp_request(caller, expires_at=timezone.now() - timedelta(minutes=1))
    url = REQUESTS if where == "list" else f"{REQUESTS}{request.pk}/change/"
    page = client.get(url).content.decode()
    assert f'value="{action}"' not in page
    name = "action" if where == "list" else "CHANGE_FORM-action"
    response = client.post(url, {name: action, "_selected_action": [request.pk]})
    assert response.status_code == 403
    assert AuthenticationMethodRequest.objects.get(pk=request.pk).status == "NEW"
    assert not locmem.outbox


def test_verifiers_resend_from_the_case_file(client, caller, django_capture_on_commit_callbacks):
    staff(client, "verifiers")
    request = otp_request(caller)
    url = f"{REQUESTS}{request.pk}/change/"
    assert 'value="resend_code"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"CHANGE_FORM-action": "resend_code", "_selected_action": [request.pk]})
    assert response.status_code == 302
    assert [sms["phone_number"] for sms in locmem.outbox] == [PHONE]
    assert Event.objects.filter(entity_id=str(request.pk), property="otp_sent").exists()


def test_a_refused_resend_is_a_message_not_an_error_page(client, caller, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 3600
    staff(client, "verifiers")
    request = otp_request(caller)
    first = client.post(
        REQUESTS, {"action": "resend_code", "confirmed": "yes", "_selected_action": [request.pk]}, follow=True
    )
    assert "Resent the code: 1" in first.content.decode()
    again = client.post(
        REQUESTS, {"action": "resend_code", "confirmed": "yes", "_selected_action": [request.pk]}, follow=True
    )
    assert again.status_code == 200
    assert "Resent the code: 0; refused: 1 (A verification code was sent to this phone number moments ago)" in (
        again.content.decode()
    )
    assert 'class="error"' in again.content.decode()  # the 429 of the send limits, as a message
    assert LogEntry.objects.filter(object_id=str(request.pk)).count() == 1


def test_merge_request_resend_code(client, caller, django_capture_on_commit_callbacks):
    user = staff(client, "verifiers")
    master, merge = PersonFactory(primary__phone_number=PHONE), PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        merge_request = merge_request_create(
            client=caller.client, master_person_id=master.pk, merge_person_id=merge.pk, actor="test"
        )
    locmem.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            MERGES, {"action": "resend_code", "confirmed": "yes", "_selected_action": [merge_request.pk]}, follow=True
        )
    assert "Resent the code: 1" in response.content.decode()
    assert [sms["phone_number"] for sms in locmem.outbox] == [PHONE]
    assert LogEntry.objects.get(object_id=str(merge_request.pk)).user == user


def test_no_bulk_delete_anywhere(admin_client, caller):
    otp_request(caller)
    for url in (REQUESTS, MERGES, "/admin/persons/person/", "/admin/core/event/", "/admin/verifications/smsmessage/"):
        assert 'value="delete_selected"' not in admin_client.get(url).content.decode(), url


# --- list: filters, search, columns, no full count ------------------------------------------------


def test_filters_by_status_date_range_and_legal_entity(admin_client, caller, caller_factory):
    other = caller_factory(name="Other MIS")
    other.client.legal_entity_name = "Clinic Two"
    other.client.save()
    ours = otp_request(caller)
    theirs = AuthenticationMethodRequestFactory(client=other.client, status="COMPLETED")
    old = AuthenticationMethodRequestFactory(client=caller.client, created_at=timezone.now() - timedelta(days=30))

    def listed(**params):
        text = admin_client.get(REQUESTS, params).content.decode()
        return {r.pk for r in (ours, theirs, old) if str(r.pk) in text}

    assert listed() == {ours.pk, theirs.pk, old.pk}
    assert listed(status__exact="COMPLETED") == {theirs.pk}
    assert listed(legal_entity=str(other.client.legal_entity_id)) == {theirs.pk}
    assert listed(legal_entity="not-a-uuid") == set()
    today = timezone.localdate()
    assert listed(created_at__from=str(today - timedelta(days=1)), created_at__to=str(today)) == {ours.pk, theirs.pk}
    assert listed(created_at__to=str(today - timedelta(days=29))) == {old.pk}
    assert "Clinic Two" in admin_client.get(REQUESTS).content.decode()  # the filter and the column


@pytest.mark.parametrize(
    ("term", "found"),
    [("{id}", True), ("{tax_id}", True), (PHONE, True), ("931234585", True), ("4585", True), ("zzz", False)],
)
def test_request_search(admin_client, caller, term, found):
    request = otp_request(caller)
    AuthenticationMethodRequestFactory(client=caller.client)
    text = admin_client.get(REQUESTS, {"q": term.format(id=request.pk, tax_id=request.person.tax_id)}).content
    assert (str(request.pk) in text.decode()) is found


def test_the_list_never_counts_the_whole_table(admin_client, caller, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    for _ in range(5):
        AuthenticationMethodRequestFactory(client=caller.client)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(REQUESTS)
    assert response.status_code == 200
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts), counts


# --- the audit trail ----------------------------------------------------------------------------


def test_values_in_words_mask_phones_and_never_dump_dicts():
    assert value_in_words(None) == "—"
    assert value_in_words({"id": "x", "type": "OTP", "phone_number": PHONE, "alias": "mobile"}) == (
        "type: OTP, phone: +38093*****85, alias: mobile"
    )
    assert value_in_words([{"type": "PASSPORT", "number": "АА1"}, "x"]) == "type: PASSPORT, phone: АА1; x"
    assert value_in_words(f"sent to {PHONE}") == "sent to +38093*****85"
    assert value_in_words(True) == "yes"


def test_actors_by_name(caller):
    user = User.objects.create_user("v", first_name="Olena", last_name="Koval")
    unknown = "5b0a7c0e-0000-4000-8000-000000000999"
    names = actor_names({user_id_of(user), str(caller.client.uuid), audit.SYSTEM, unknown, "user:999"})
    assert names[user_id_of(user)] == "Olena Koval"
    assert names[str(caller.client.uuid)].startswith("Test MIS")
    assert names[audit.SYSTEM] == "system"
    assert names[unknown] == unknown  # an id nobody has is shown as it is
    assert names["user:999"] == "user:999"  # so is a value written before who acted was an id


def test_a_persons_trail_shows_who_did_what_and_links_the_request(client, caller):
    user = staff(client, "verifiers")
    request = otp_request(caller)
    person = request.person
    changes = [
        (request, "status", "NEW", "COMPLETED", str(caller.client.uuid)),
        (person, "verification_status", "VERIFICATION_NEEDED", "VERIFIED", user_id_of(user)),
    ]
    for entity, prop, old, new, actor in changes:
        audit.record(entity=entity, property=prop, old=old, new=new, actor=actor)
    html = client.get(f"/admin/persons/person/{person.pk}/change/").content.decode()
    assert "<strong>Olena</strong>" in html
    assert "verification status" in html and "VERIFIED" in html
    assert f'href="{REQUESTS}{request.pk}/change/"' in html
    assert "<strong>Test MIS" in html
    assert "{&#x27;" not in html and "{'" not in html


def test_timeline_of_nothing():
    assert timeline_html([]) == "-"


def test_the_event_log_reads_in_words(admin_client, caller):
    user = User.objects.create_user("v2", first_name="Olena", last_name="Koval")
    request = otp_request(caller)
    audit.record(entity=request, property="otp_sent", old=None, new="+38093*****85", actor=user_id_of(user))
    html = admin_client.get("/admin/core/event/").content.decode()
    assert "Olena Koval" in html and "code sent to" in html and "— → +38093*****85" in html
    assert f"{REQUESTS}{request.pk}/change/" in html
    assert PHONE not in html


def test_who_created_and_updated_a_record_is_shown_by_name(client, caller):
    import re

    user = staff(client, "verifiers")
    request = otp_request(caller, created_by=str(caller.client.uuid))
    AuthenticationMethodRequest.objects.filter(pk=request.pk).update(updated_by=user_id_of(user))
    html = client.get(f"{REQUESTS}{request.pk}/change/").content.decode()

    def shown(field):
        return re.search(rf'field-{field}.*?<div class="readonly">(.*?)</div>', html, re.S).group(1)

    assert shown("created_by_name").startswith("Test MIS")
    assert shown("updated_by_name") == user.get_full_name()
