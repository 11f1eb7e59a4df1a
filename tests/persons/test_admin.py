"""The back office: search, read-only views with masked phones, manual verification and resends."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User

from core.audit.events import user_id_of
from core.models import Event
from persons.models import AuthenticationMethodRequest
from tests.conftest import ACTOR
from tests.persons.factories import AuthenticationMethodFactory, AuthenticationMethodRequestFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]

PERSONS = "/admin/persons/person/"
REQUESTS = "/admin/persons/authenticationmethodrequest/"


def staff(client, group: str | None = None, superuser=False) -> User:
    user = User.objects.create_user("clerk" if not superuser else "boss", password="pw", is_staff=True)
    user.is_superuser = superuser
    user.save()
    if group:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def test_groups_exist_with_their_permissions():
    clerks = set(Group.objects.get(name="read-only clerks").permissions.values_list("codename", flat=True))
    verifiers = set(Group.objects.get(name="verifiers").permissions.values_list("codename", flat=True))
    assert {"view_person", "view_authenticationmethod", "view_authenticationmethodrequest", "view_event"} <= clerks
    assert "verify_person" not in clerks
    assert {"verify_person", "change_authenticationmethodrequest"} <= verifiers
    # the rest of the back office: every request kind, codes, the SMS log, jobs, task results
    seen = {"view_mergerequest", "view_verification", "view_smsmessage", "view_job", "view_dbtaskresult"}
    assert seen <= clerks and seen <= verifiers
    assert not {"change_mergerequest", "resend_smsmessage"} & clerks
    assert {"change_mergerequest", "resend_smsmessage"} <= verifiers
    assert {"view_employee", "view_declaration", "view_declarationrequest"} <= clerks
    assert "change_declarationrequest" in verifiers  # resend and expire declaration requests
    assert not {codename for codename in clerks if not codename.startswith("view_")}


def test_person_detail_shows_methods_masked_and_events(client):
    staff(client, "read-only clerks")
    person = PersonFactory(
        primary__phone_number="+380931234585", phones=[{"type": "MOBILE", "number": "+380931234585"}]
    )
    Event.objects.create(
        entity_type="persons.person",
        entity_id=str(person.id),
        property="verification_status",
        new_value="VERIFIED",
        actor=ACTOR,
    )
    response = client.get(f"{PERSONS}{person.id}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "+38093*****85" in html
    assert "+380931234585" not in html
    assert "verification_status" in html
    assert 'name="_save"' not in html  # read-only


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("{id}", True),
        ("{tax_id}", True),
        ("+380931234585", True),
        ("931234585", True),
        ("4585", True),  # the last digits (4-8), on the index of the reversed number
        ("4586", False),
        ("93123458", False),
        ("+380931234586", False),
        ("Шевченко", True),
    ],
)
def test_person_search(client, term, found):
    staff(client, superuser=True)
    person = PersonFactory(last_name="Шевченко", primary__phone_number="+380931234585")
    PersonFactory(last_name="Інша")
    response = client.get(PERSONS, {"q": term.format(id=person.id, tax_id=person.tax_id)})
    assert response.status_code == 200
    assert (str(person.id) in response.content.decode()) is found


def test_clerks_can_not_verify(client):
    staff(client, "read-only clerks")
    person = PersonFactory()
    assert 'value="mark_verified"' not in client.get(PERSONS).content.decode()
    response = client.post(PERSONS, {"action": "mark_verified", "_selected_action": [person.pk], "apply": "1"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.verification_status == "VERIFICATION_NEEDED"


def test_mark_verified(client):
    user = staff(client, "verifiers")
    person = PersonFactory()
    page = client.post(PERSONS, {"action": "mark_verified", "_selected_action": [person.pk]})
    assert page.status_code == 200 and b'name="comment"' in page.content  # optional: asked, not required
    response = client.post(PERSONS, {"action": "mark_verified", "_selected_action": [person.pk], "apply": "1"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.verification_status, person.verification_reason) == ("VERIFIED", "MANUAL")
    event = Event.objects.get(entity_id=str(person.id), property="verification_status")
    assert event.actor == user_id_of(user)
    assert LogEntry.objects.get(object_id=str(person.pk)).get_change_message() == "Marked VERIFIED"


def test_mark_not_verified_asks_for_a_comment(client):
    staff(client, "verifiers")
    person = PersonFactory()
    page = client.post(PERSONS, {"action": "mark_not_verified", "_selected_action": [person.pk]})
    assert page.status_code == 200
    assert b'name="comment"' in page.content
    empty = client.post(
        PERSONS, {"action": "mark_not_verified", "_selected_action": [person.pk], "apply": "1", "comment": " "}
    )
    assert empty.status_code == 200  # the form again, with its error
    person.refresh_from_db()
    assert person.verification_status == "VERIFICATION_NEEDED"
    done = client.post(
        PERSONS,
        {
            "action": "mark_not_verified",
            "_selected_action": [person.pk],
            "apply": "1",
            "comment": "documents do not match",
        },
    )
    assert done.status_code == 302
    person.refresh_from_db()
    assert (person.verification_status, person.verification_comment) == ("NOT_VERIFIED", "documents do not match")
    assert "documents do not match" in LogEntry.objects.get(object_id=str(person.pk)).get_change_message()


def test_requests_list_filters_and_is_read_only(client, caller):
    staff(client, "read-only clerks")
    new = AuthenticationMethodRequestFactory(client=caller.client)
    AuthenticationMethodRequestFactory(client=caller.client, status="COMPLETED")
    response = client.get(REQUESTS, {"status__exact": "NEW"})
    assert response.status_code == 200
    assert str(new.id) in response.content.decode()
    filters = {"action__exact": "INSERT", "created_at__gte": "2000-01-01 00:00:00+00:00"}
    assert client.get(REQUESTS, filters).status_code == 200
    detail = client.get(f"{REQUESTS}{new.id}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_request_detail_masks_phones(client, caller):
    staff(client, superuser=True)
    amr = AuthenticationMethodRequestFactory(
        client=caller.client,
        authentication_method={"type": "OTP", "phone_number": "+380976549872"},
        authentication_method_current={"type": "OTP", "number": "+380931234585", "method_id": ""},
    )
    html = client.get(f"{REQUESTS}{amr.id}/change/").content.decode()
    assert "+38097*****72" in html and "+38093*****85" in html
    assert "+380976549872" not in html and "+380931234585" not in html


def test_resend_code_action(client, caller, last_code, django_capture_on_commit_callbacks):
    staff(client, "verifiers")
    person = PersonFactory(primary__phone_number="+380931234585")
    amr = AuthenticationMethodRequestFactory(
        client=caller.client,
        person=person,
        authentication_method_current={"type": "OTP", "number": "+380931234585", "method_id": ""},
    )
    offline = AuthenticationMethodRequestFactory(client=caller.client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            REQUESTS,
            {"action": "resend_code", "confirmed": "yes", "_selected_action": [amr.pk, offline.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert last_code("+380931234585")
    text = response.content.decode()
    assert "Resend SMS is not allowed for this authentication method" in text
    assert "Resent the code: 1" in text
    assert Event.objects.filter(entity_id=str(amr.id), property="otp_sent").exists()
    assert LogEntry.objects.filter(object_id=str(amr.pk)).count() == 1
    assert AuthenticationMethodRequest.objects.get(pk=amr.pk).status == "NEW"


def test_clerks_can_not_resend(client, caller):
    staff(client, "read-only clerks")
    amr = AuthenticationMethodRequestFactory(client=caller.client)
    client.post(REQUESTS, {"action": "resend_code", "confirmed": "yes", "_selected_action": [amr.pk]})
    assert not Event.objects.filter(entity_id=str(amr.id), property="otp_sent").exists()


def test_method_inline_has_no_add_or_delete(client):
    staff(client, superuser=True)
    person = PersonFactory()
    AuthenticationMethodFactory(person=person, type="THIRD_PERSON", alias="brother")
    html = client.get(f"{PERSONS}{person.id}/change/").content.decode()
    assert "brother" in html
    assert 'name="authentication_methods-0-alias"' not in html  # shown, not editable
