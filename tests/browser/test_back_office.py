"""A day in the back office, in a real Chromium: a verifier starts on the start page, follows "waiting for
verification", verifies a person with a comment, filters declaration requests by status and resends a
code; a clerk sees no action and is refused one. Each step leaves a screenshot (var/screenshots/)."""

import pytest
from django.contrib.admin.models import LogEntry

from core.audit.events import user_id_of
from core.models import Event
from persons.models import Person
from tests.declarations.factories import DeclarationRequestFactory, EmployeeFactory
from tests.persons.factories import PersonFactory
from verifications.sms import locmem

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+380931234585"


@pytest.fixture
def waiting(caller):
    PersonFactory(last_name="Верифікована", verification_status="VERIFIED")
    return PersonFactory(
        last_name="Шевченко",
        verification_reason="RULES_TRIGGERED",
        primary__phone_number=PHONE,
        phones=[{"type": "MOBILE", "number": PHONE}],
    )


@pytest.fixture
def declaration_requests(caller, waiting):
    doctor = EmployeeFactory(client=caller.client)
    method = waiting.authentication_methods.get()
    new = DeclarationRequestFactory(
        employee=doctor,
        person=waiting,
        status="NEW",
        authentication_method_current={"type": "OTP", "number": PHONE, "method_id": str(method.pk)},
    )
    signed = DeclarationRequestFactory(employee=doctor, status="SIGNED")
    return new, signed


def test_a_verifier_works_through_the_start_page(
    staff_login, live_server, staff_in, waiting, declaration_requests, screenshot, settings
):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    verifier = staff_in("verifiers", "olena", "Олена", "Коваль")
    page = staff_login(verifier)
    page.set_viewport_size({"width": 1366, "height": 900})

    # the start page: what needs attention, and a chart per flow
    page.goto(f"{live_server.url}/admin/")
    assert "eHealth back office" in page.locator("#site-name").inner_text()
    attention = page.locator("#attention")
    assert "Persons waiting for verification (RULES_TRIGGERED)" in attention.inner_text()
    assert page.locator(".flow-chart svg").count() >= 3
    screenshot("start-page")

    # follow "waiting for verification": the person is there, the verified one is not
    page.click("#attention a:has-text('Persons waiting for verification (RULES_TRIGGERED)')")
    page.wait_for_url("**verification_reason__exact=RULES_TRIGGERED**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Шевченко" in rows.first.inner_text()
    screenshot("waiting-for-verification")

    # the case file: verify the person with a comment, from the detail page
    rows.first.locator("th a").click()
    page.wait_for_selector("select[name='CHANGE_FORM-action']")
    page.select_option("select[name='CHANGE_FORM-action']", "mark_verified")
    page.click("button[name=index]")
    page.wait_for_selector("textarea[name=comment]")
    page.fill("textarea[name=comment]", "passport checked at the desk")
    screenshot("verify-with-comment")
    page.click("input[type=submit][name=confirm]")
    page.wait_for_selector(".messagelist .success")

    person = Person.objects.get(pk=waiting.pk)
    assert (person.verification_status, person.verification_reason, person.verification_comment) == (
        "VERIFIED",
        "MANUAL",
        "passport checked at the desk",
    )
    assert Event.objects.filter(entity_id=str(person.pk), property="verification_status", actor=user_id_of(verifier))
    assert LogEntry.objects.filter(object_id=str(person.pk), user=verifier).exists()
    page.goto(f"{live_server.url}/admin/persons/person/{person.pk}/change/")
    trail = page.locator("ol.timeline").inner_text()
    assert "Олена Коваль" in trail and "VERIFICATION_NEEDED → VERIFIED" in trail
    html = page.content()
    assert "+38093*****85" in html and PHONE not in html
    screenshot("case-file-with-trail")

    # declaration requests: filter by status, resend the code of the NEW one
    new, signed = declaration_requests
    page.goto(f"{live_server.url}/admin/declarations/declarationrequest/")
    page.click("#changelist-filter a[href*='status__exact=NEW']")
    page.wait_for_url("**status__exact=NEW**")
    listed = page.locator("#result_list").inner_html()
    assert str(new.pk) in listed and str(signed.pk) not in listed
    locmem.outbox.clear()
    page.locator(f"#result_list input.action-select[value='{new.pk}']").check()
    page.select_option("select[name=action]", "resend_code")
    screenshot("declaration-requests-filtered")
    page.click("button[name=index]")
    page.wait_for_selector("#bulk-confirm")  # SMS are sent only once the count is confirmed
    assert "Selected: 1" in page.locator("#bulk-count").inner_text()
    page.click("#bulk-confirm")
    page.wait_for_selector(".messagelist .success")
    assert "Resent the code: 1" in page.locator(".messagelist").inner_text()
    assert [sms["phone_number"] for sms in locmem.outbox] == [PHONE]
    assert Event.objects.filter(entity_id=str(new.pk), property="otp_sent", actor=user_id_of(verifier)).exists()
    screenshot("code-resent")


def test_a_clerk_sees_no_action_and_is_refused_one(
    staff_login, live_server, staff_in, declaration_requests, screenshot
):
    clerk = staff_in("read-only clerks", "taras", "Тарас")
    page = staff_login(clerk)
    new, _signed = declaration_requests
    page.goto(f"{live_server.url}/admin/declarations/declarationrequest/")
    assert str(new.pk) in page.locator("#result_list").inner_html()
    assert page.locator("select[name=action]").count() == 0
    page.goto(f"{live_server.url}/admin/declarations/declarationrequest/{new.pk}/change/")
    assert page.locator("select[name='CHANGE_FORM-action']").count() == 0
    screenshot("clerk-case-file")

    # posting the action anyway (the form a verifier would send) is refused
    token = page.context.cookies()
    csrf = next(cookie["value"] for cookie in token if cookie["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/admin/declarations/declarationrequest/",
        form={"action": "resend_code", "_selected_action": str(new.pk), "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{live_server.url}/admin/"},
    )
    assert response.status == 403
    assert not Event.objects.filter(entity_id=str(new.pk), property="otp_sent").exists()
