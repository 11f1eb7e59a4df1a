"""The back office as a verifier uses it: find a person by a phone's last digits, verify them by hand
(NOT_VERIFIED asks for a comment), resend a code of an open request. A real Chromium."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission

from core.audit.events import user_id_of
from core.models import Event
from persons.models import AuthenticationMethodRequest, Person
from tests.persons.factories import AuthenticationMethodRequestFactory, PersonFactory
from verifications.sms import locmem

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+380931234585"


@pytest.fixture
def verifier(django_user_model):
    user = django_user_model.objects.create_user("verifier", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_person",
                "view_authenticationmethod",
                "verify_person",
                "view_authenticationmethodrequest",
                "change_authenticationmethodrequest",
            ]
        )
    )
    return user


@pytest.fixture
def person():
    person = PersonFactory(primary="OTP", primary__phone_number=PHONE, last_name="Шевченко")
    PersonFactory(last_name="Інша")  # someone the search must leave out
    return person


def test_verifier_marks_a_person_not_verified_with_a_comment(staff_login, live_server, verifier, person):
    page = staff_login(verifier)
    page.goto(f"{live_server.url}/admin/persons/person/")
    page.fill("#searchbar", PHONE)
    with page.expect_navigation():
        page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Шевченко" in rows.first.inner_text()

    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "mark_not_verified")
    page.click("button[name=index]")
    page.wait_for_selector("textarea[name=comment]")
    page.click("input[type=submit][name=confirm]")  # no comment: the form refuses
    assert page.locator("textarea[name=comment]:invalid").count() == 1
    person.refresh_from_db()
    assert person.verification_status == "VERIFICATION_NEEDED"
    page.fill("textarea[name=comment]", "documents do not match")
    page.click("input[type=submit][name=confirm]")
    page.wait_for_selector(".messagelist .success")

    person.refresh_from_db()
    assert (person.verification_status, person.verification_reason, person.verification_comment) == (
        "NOT_VERIFIED",
        "MANUAL",
        "documents do not match",
    )
    assert Event.objects.filter(
        entity_id=str(person.pk), property="verification_status", actor=user_id_of(verifier)
    ).exists()
    assert LogEntry.objects.filter(object_id=str(person.pk), user=verifier).exists()

    page.goto(f"{live_server.url}/admin/persons/person/{person.pk}/change/")
    html = page.content()
    assert "+38093*****85" in html
    assert PHONE not in html  # never the full number


def test_verifier_resends_the_code_of_an_open_request(staff_login, live_server, verifier, person, caller):
    request = AuthenticationMethodRequestFactory(
        person=person,
        client=caller.client,
        authentication_method={"type": "OFFLINE"},
        authentication_method_current={"type": "OTP", "number": PHONE, "method_id": ""},
    )
    locmem.outbox.clear()
    page = staff_login(verifier)
    page.goto(f"{live_server.url}/admin/persons/authenticationmethodrequest/")
    page.locator(f"#result_list input.action-select[value='{request.pk}']").check()
    page.select_option("select[name=action]", "resend_code")
    page.click("button[name=index]")
    page.wait_for_selector("#bulk-confirm")  # asked first, with the count
    page.click("#bulk-confirm")
    page.wait_for_selector(".messagelist .success")
    assert "Resent the code: 1" in page.locator(".messagelist").inner_text()

    assert [sms["phone_number"] for sms in locmem.outbox] == [PHONE]
    assert AuthenticationMethodRequest.objects.get(pk=request.pk).status == "NEW"
    assert Person.objects.get(pk=person.pk).authentication_methods.count() == 1
