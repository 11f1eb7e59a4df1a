"""Issue #27 in a real Chromium: the one search box finds a request by a phone in every spelling Ukrainians
write it; bulk "resend code" asks with the count and reports one line; the language switch turns every
page Ukrainian (each page scanned for English words) and back; a verifier works through the queue and
stays in it. Screenshots: var/screenshots/ (copied to docs/images/ for docs/back-office.md)."""

import io
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from core.documents.uploads import storage_name
from persons.models import Person
from tests.persons.factories import AuthenticationMethodRequestFactory, PersonFactory
from verifications.sms import locmem

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+380503410870"
SPELLINGS = ["0503410870", "050 341 08 70", "(050) 341-08-70", "+380503410870", "380503410870", "0870", "410870"]
REQUESTS = "/admin/persons/authenticationmethodrequest/"
PERSONS = "/admin/persons/person/"
# words of the stock admin and of our models that a Ukrainian page must not show
ENGLISH = [
    "Select an option",
    "Run",
    "Search",
    "Filter",
    "Home",
    "Status",
    "status",
    "legal entity",
    "created at",
    "expires at",
    "verification status",
    "Verification Needed",
    "Rules Triggered",
    "Resend code",
    "Expire now",
    "Show counts",
    "first name",
    "last name",
    "tax id",
    "phone number",
    "Completed",
    "Cancelled",
    "Log out",
    "Welcome",
    "View site",
    "Patients",
    "audit trail",
    "Audit",
    "Confirmation",
]


@pytest.fixture
def requests_with_phones(caller):
    person = PersonFactory(last_name="Шевченко", primary__phone_number=PHONE)
    ours = AuthenticationMethodRequestFactory(
        client=caller.client,
        person=person,
        authentication_method_current={"type": "OTP", "number": PHONE, "method_id": ""},
    )
    others = [
        AuthenticationMethodRequestFactory(
            client=caller.client,
            person=PersonFactory(primary__phone_number=f"+38067{index:07d}"),
            authentication_method_current={"type": "OTP", "number": f"+38067{index:07d}", "method_id": ""},
        )
        for index in range(3)
    ]
    return ours, others


def search(page, term):
    page.fill("#searchbar", term)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state("domcontentloaded")
    return page.locator("#result_list tbody").inner_text() if page.locator("#result_list").count() else ""


def english_words_in(text: str) -> list[str]:
    words = set(text.replace("(", " ").replace(")", " ").replace(":", " ").split())
    return [word for word in ENGLISH if (word in words if " " not in word else word in text)]


def test_search_finds_a_request_by_its_phone_in_every_spelling(
    staff_login, live_server, staff_in, requests_with_phones, screenshot
):
    ours, others = requests_with_phones
    page = staff_login(staff_in("read-only clerks", "taras"))
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(f"{live_server.url}{REQUESTS}")
    assert page.locator("#searchbar").count() == 1
    for term in SPELLINGS:
        rows = search(page, term)
        assert str(ours.pk)[:8] in rows, term
        assert not any(str(other.pk)[:8] in rows for other in others), term
        assert "+38050*****70" in rows and PHONE not in rows, term
        if term == "(050) 341-08-70":
            screenshot("search-by-phone")
    assert str(ours.pk)[:8] in search(page, str(ours.pk)[:8])  # the id shown in the list
    assert str(ours.pk)[:8] not in search(page, "0871")


def test_bulk_resend_asks_with_the_count_and_reports_one_line(
    staff_login, live_server, staff_in, requests_with_phones, screenshot, settings
):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    ours, _others = requests_with_phones
    offline = AuthenticationMethodRequestFactory(client=ours.client)  # refused: confirmed OFFLINE
    page = staff_login(staff_in("verifiers", "olena", "Олена"))
    page.set_viewport_size({"width": 1366, "height": 800})
    locmem.outbox.clear()
    page.goto(f"{live_server.url}{REQUESTS}?status__exact=NEW")
    page.check("#action-toggle")  # every row of the page
    page.select_option("select[name=action]", "resend_code")
    page.click("button[name=index]")
    page.wait_for_selector("#bulk-confirm")
    assert "Selected: 5" in page.locator("#bulk-count").inner_text()
    assert locmem.outbox == []
    screenshot("bulk-resend-confirmation")
    page.click("#bulk-confirm")
    page.wait_for_selector(".messagelist li")
    lines = page.locator(".messagelist li").all_inner_texts()
    assert lines == ["Resent the code: 4; refused: 1 (Resend SMS is not allowed for this authentication method)"]
    assert "status__exact=NEW" in page.url  # back in the same filtered list
    assert len(locmem.outbox) == 4
    assert offline.pk
    screenshot("bulk-resend-summary")


def test_the_language_switch_and_no_english_on_ukrainian_pages(
    staff_login, live_server, staff_in, requests_with_phones, screenshot
):
    ours, _others = requests_with_phones
    scanned = AuthenticationMethodRequestFactory(client=ours.client, documents=["PASSPORT"])
    default_storage.save(storage_name(owner=scanned, type="PASSPORT"), ContentFile(_jpeg()))
    verifier = staff_in("verifiers", "olena", "Олена")
    page = staff_login(verifier)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/admin/")
    page.click("#language-switch button[value=uk]")
    page.wait_for_selector("html[lang=uk]")
    pages = [
        "/admin/",
        PERSONS,
        f"{PERSONS}{ours.person_id}/change/",
        f"{PERSONS}?verification_status__exact=VERIFICATION_NEEDED",
        REQUESTS,
        f"{REQUESTS}?status__exact=NEW",
        f"{REQUESTS}{ours.pk}/change/",
        f"{REQUESTS}{scanned.pk}/change/",
        "/admin/persons/mergerequest/",
        "/admin/approvals/approval/",
        "/admin/verifications/verification/",
        "/admin/verifications/smsmessage/",
        "/admin/verifications/failedguess/",
        "/admin/core/event/",
        "/admin/core/job/",
    ]
    for url in pages:
        page.goto(f"{live_server.url}{url}")
        assert page.locator("html").get_attribute("lang") == "uk", url
        found = english_words_in(page.locator("body").inner_text())
        assert not found, (url, found)
    page.goto(f"{live_server.url}{REQUESTS}")
    screenshot("requests-in-ukrainian")
    page.goto(f"{live_server.url}{REQUESTS}{scanned.pk}/change/")
    assert page.locator("a:has-text('переглянути скан')").count() == 1
    screenshot("request-with-scan")
    page.click("#language-switch button[value=en]")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_load_state()  # the new page's <html> comes before its body
    assert "Confirmation" in page.locator("body").inner_text()
    default_storage.delete(storage_name(owner=scanned, type="PASSPORT"))


def test_a_verifier_stays_in_the_queue(staff_login, live_server, staff_in, screenshot):
    first = PersonFactory(
        last_name="Перша", no_tax_id=True, birth_date=date(1980, 1, 1), verification_reason="RULES_TRIGGERED"
    )
    second = PersonFactory(last_name="Друга", verification_reason="RULES_TRIGGERED")
    PersonFactory(last_name="Готова", verification_status="VERIFIED")
    page = staff_login(staff_in("verifiers", "olena", "Олена"))
    page.set_viewport_size({"width": 1366, "height": 800})
    queue = (
        f"{live_server.url}{PERSONS}"
        "?verification_reason__exact=RULES_TRIGGERED&verification_status__exact=VERIFICATION_NEEDED"
    )
    page.goto(queue)
    assert page.locator("#result_list tbody tr").count() == 2
    page.goto(f"{live_server.url}{PERSONS}{first.pk}/change/")
    assert "02 — old enough to act alone, and has no tax id" in page.locator("body").inner_text()
    screenshot("rules-that-fired")
    page.goto(queue)
    page.locator(f"#result_list input.action-select[value='{first.pk}']").check()
    page.select_option("select[name=action]", "mark_verified")
    page.click("button[name=index]")
    page.wait_for_selector("textarea[name=comment]")
    page.fill("textarea[name=comment]", "паспорт перевірено")
    page.click("input[type=submit][name=confirm]")
    page.wait_for_selector(".messagelist .success")
    assert page.url == queue  # still in the queue, not the unfiltered list
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Друга" in rows.first.inner_text()
    assert Person.objects.get(pk=first.pk).verification_status == "VERIFIED"
    assert Person.objects.get(pk=second.pk).verification_status == "VERIFICATION_NEEDED"
    screenshot("queue-after-verifying")


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), "white").save(buffer, "JPEG")
    return buffer.getvalue()
