"""Issue #27, the back office at national volume: one search box on every list, phones in every
spelling, no facet counts, bulk SMS confirmed and capped, scans for verifiers, fired rules, Ukrainian
throughout with a language switch, Kyiv time, the statement timeout, and the smaller findings."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from PIL import Image

from core.admin import CappedCountPaginator, last_digits, phone_ending_in, short_id_range, whole_phone
from core.documents.uploads import storage_name
from tests.core.test_admin import MERGES, PHONE, REQUESTS, otp_request, staff
from tests.persons.factories import AuthenticationMethodRequestFactory, PersonFactory
from verifications.sms import locmem

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]

PERSONS = "/admin/persons/person/"
SPELLINGS = [
    "+380931234585",
    "380931234585",
    "0931234585",
    "093 123 45 85",
    "(093) 123-45-85",
    "093-123-45-85",
    "931234585",
]


@pytest.fixture
def relaxed_otp_limits(settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1000
    settings.OTP_PHONE_SEND_LIMIT = 1000
    locmem.outbox.clear()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def visible_text(html: str) -> str:
    html = re.sub(r"(?s)<(script|style|svg)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- 1, 2: one search box on every list; phones in every spelling, last digits, 8-character ids ----


@pytest.mark.parametrize(
    "url",
    [
        REQUESTS,
        MERGES,
        "/admin/approvals/approval/",
        "/admin/verifications/verification/",
        "/admin/verifications/failedguess/",
        "/admin/verifications/smsmessage/",
        "/admin/core/event/",
        PERSONS,
    ],
)
def test_every_list_has_the_search_box(admin_client, url):
    assert 'id="searchbar"' in admin_client.get(url).content.decode(), url


@pytest.mark.parametrize("term", SPELLINGS)
def test_phone_in_any_spelling(term):
    assert whole_phone(term) == PHONE


@pytest.mark.parametrize("term", ["4585", "45 85", "1234585", "3-45-85"])
def test_last_digits(term):
    assert last_digits(term) == term.replace(" ", "").replace("-", "")


def test_no_phone_from_three_digits_or_letters():
    assert last_digits("585") is None and whole_phone("abc") is None and last_digits("12345678901") is None


def test_the_last_digits_range_holds_exactly_the_phones_ending_so():
    condition = phone_ending_in("4585")
    low, high = condition["phone_reversed__gte"], condition["phone_reversed__lte"]
    for phone, inside in [(PHONE, True), ("+380931234586", False), ("+380000004585", True), ("+380999994585", True)]:
        assert (low <= phone[::-1] <= high) is inside, phone


@pytest.mark.parametrize("term", [*SPELLINGS, "4585", "234585"])
def test_requests_found_by_phone_in_any_spelling(admin_client, caller, term):
    request = otp_request(caller)
    other = AuthenticationMethodRequestFactory(client=caller.client)
    page = admin_client.get(REQUESTS, {"q": term}).content.decode()
    assert str(request.pk)[:8] in page
    assert str(other.pk)[:8] not in page


def test_requests_found_by_their_8_character_id(admin_client, caller):
    request = otp_request(caller)
    other = AuthenticationMethodRequestFactory(client=caller.client)
    for term in (str(request.pk)[:8], str(request.pk)[:8].upper()):
        page = admin_client.get(REQUESTS, {"q": term}).content.decode()
        assert str(request.pk)[:8] in page and str(other.pk)[:8] not in page
    low, high = short_id_range(str(request.pk)[:8])
    assert low <= request.pk <= high


def test_codes_and_sms_found_by_phone_spelling_and_short_id(admin_client, issue):
    verification, _code = issue()
    codes = "/admin/verifications/verification/"
    assert "+38050*****67" in admin_client.get(codes, {"q": "(050) 123-45-67"}).content.decode()
    assert "+38050*****67" in admin_client.get(codes, {"q": str(verification.pk)[:8]}).content.decode()
    sms = "/admin/verifications/smsmessage/"
    assert "+38050*****67" in admin_client.get(sms, {"q": "050 123 45 67"}).content.decode()
    assert "+38050*****67" in admin_client.get(sms, {"q": str(verification.pk)[:8]}).content.decode()


@pytest.fixture
def issue(django_capture_on_commit_callbacks):
    from tests.verifications.conftest import own_client
    from verifications.services import verification_initialize

    def make(phone_number="+380501234567"):
        with django_capture_on_commit_callbacks(execute=True):
            return verification_initialize(phone_number=phone_number, kind="verification", owner=own_client()), None

    return make


def test_events_found_by_record_id_short_id_and_who_acted(admin_client, caller):
    request = otp_request(caller)
    other = otp_request(caller)
    from core.audit import events as audit

    audit.record(entity=request, property="status", old=None, new="NEW", actor=str(caller.client.uuid))
    audit.record(entity=other, property="status", old=None, new="NEW", actor=audit.SYSTEM)
    events = "/admin/core/event/"
    for term in (str(request.pk), str(request.pk)[:8], str(caller.client.uuid).upper()):
        page = admin_client.get(events, {"q": term}).content.decode()
        assert str(request.pk) in page and str(other.pk) not in page, term
    page = admin_client.get(events, {"q": audit.SYSTEM}).content.decode()
    assert str(other.pk) in page and str(request.pk) not in page


@pytest.mark.parametrize("term", ["Шевченко", "шевченко", "ШЕВЧЕНКО", "шевченко тарас", "Шевченко Тарас 09.03.1984"])
def test_persons_by_name_in_any_case(admin_client, term):
    person = PersonFactory(last_name="Шевченко", first_name="Тарас", birth_date=date(1984, 3, 9))
    PersonFactory(last_name="Франко", first_name="Іван")
    page = admin_client.get(PERSONS, {"q": term}).content.decode()
    assert str(person) in page and "Франко" not in page


def test_persons_by_name_wrong_first_name_or_date(admin_client):
    PersonFactory(last_name="Шевченко", first_name="Тарас", birth_date=date(1984, 3, 9))
    assert "Шевченко" not in visible_text(admin_client.get(PERSONS, {"q": "Шевченко Іван"}).content.decode())
    assert "Шевченко Тарас" not in visible_text(
        admin_client.get(PERSONS, {"q": "Шевченко 1984-03-10"}).content.decode()
    )


# --- 3, 7: no facet counts, capped counts said in words, lists on an index ----------------------


def test_no_facet_counts_even_when_asked(admin_client, caller):
    otp_request(caller)
    page = admin_client.get(REQUESTS, {"_facets": "1"}).content.decode()
    assert "Show counts" not in page and "(1)" not in visible_text(page)


def test_a_capped_count_says_more_than(admin_client, caller, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    for _ in range(5):
        AuthenticationMethodRequestFactory(client=caller.client)
    page = visible_text(admin_client.get(REQUESTS).content.decode())
    assert "more than 3" in page and "4 authentication method requests" not in page


# --- 4: bulk SMS confirmed, capped, one summary line -------------------------------------------


def test_bulk_resend_asks_first_with_the_count(client, caller, django_capture_on_commit_callbacks):
    staff(client, "verifiers")
    requests = [otp_request(caller) for _ in range(1)] + [AuthenticationMethodRequestFactory(client=caller.client)]
    ids = [r.pk for r in requests]
    page = client.post(REQUESTS + "?status__exact=NEW", {"action": "resend_code", "_selected_action": ids})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="bulk-count"' in text and "Selected: 2" in text
    assert 'action="/admin/persons/authenticationmethodrequest/?status__exact=NEW"' in text
    assert locmem.outbox == []  # nothing sent yet
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            REQUESTS + "?status__exact=NEW",
            {"action": "resend_code", "confirmed": "yes", "_selected_action": ids},
            follow=True,
        )
    assert done.redirect_chain[-1][0].endswith("?status__exact=NEW")
    messages = [str(m) for m in done.context["messages"]]
    assert messages == ["Resent the code: 1; refused: 1 (Resend SMS is not allowed for this authentication method)"]
    assert len(locmem.outbox) == 1


def test_bulk_resend_refuses_more_than_the_limit(client, caller, settings):
    settings.ADMIN_BULK_SMS_LIMIT = 2
    staff(client, "verifiers")
    ids = [otp_request(caller).pk]
    for _ in range(2):
        ids.append(AuthenticationMethodRequestFactory(client=caller.client).pk)
    for data in ({"action": "resend_code"}, {"action": "resend_code", "confirmed": "yes"}):
        response = client.post(REQUESTS, {**data, "_selected_action": ids}, follow=True)
        assert "More than 2 selected: at most 2 at a time" in response.content.decode()
    assert locmem.outbox == []


def test_select_all_is_capped_too(client, caller, settings):
    settings.ADMIN_BULK_SMS_LIMIT = 2
    staff(client, "verifiers")
    ids = [AuthenticationMethodRequestFactory(client=caller.client).pk for _ in range(3)]
    response = client.post(
        REQUESTS,
        {"action": "resend_code", "select_across": "1", "index": "0", "_selected_action": ids[:1]},
        follow=True,
    )
    assert "More than 2 selected" in response.content.decode()


def test_expire_now_reports_one_summary_line(client, caller):
    staff(client, "verifiers")
    past = timezone.now() - timedelta(minutes=5)
    stale = [AuthenticationMethodRequestFactory(client=caller.client, expires_at=past) for _ in range(2)]
    fresh = [AuthenticationMethodRequestFactory(client=caller.client) for _ in range(3)]
    response = client.post(
        REQUESTS, {"action": "expire_now", "_selected_action": [r.pk for r in stale + fresh]}, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and messages[0].startswith("Expired: 2; refused: 3 ("), messages


def test_resend_from_the_request_page_needs_no_confirmation(client, caller, django_capture_on_commit_callbacks):
    staff(client, "verifiers")
    request = otp_request(caller)
    url = f"{REQUESTS}{request.pk}/change/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"CHANGE_FORM-action": "resend_code", "_selected_action": [request.pk]}, follow=True
        )
    assert "Resent the code: 1" in response.content.decode()


# --- 5: scans for verifiers, fired rules ----------------------------------------------------------


@pytest.fixture
def offline_request(caller):
    request = AuthenticationMethodRequestFactory(client=caller.client, documents=["PASSPORT", "TAX_ID"])
    name = storage_name(owner=request, type="PASSPORT")
    default_storage.save(name, ContentFile(jpeg()))
    yield request
    default_storage.delete(name)


def test_a_verifier_sees_the_scan_inline(client, offline_request):
    staff(client, "verifiers")
    page = client.get(f"{REQUESTS}{offline_request.pk}/change/").content.decode()
    scan_url = f"{REQUESTS}{offline_request.pk}/scan/PASSPORT/"
    assert f'href="{scan_url}"' in page
    assert "TAX_ID — not uploaded" in page
    response = client.get(scan_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == jpeg()
    person_page = client.get(f"{PERSONS}{offline_request.person_id}/change/").content.decode()
    assert f'href="{scan_url}"' in person_page


def test_scans_refused_to_clerks_and_unknown_types(client, offline_request):
    staff(client, "read-only clerks")
    assert client.get(f"{REQUESTS}{offline_request.pk}/scan/PASSPORT/").status_code == 403
    client.logout()
    staff(client, "verifiers", name="verifier")
    assert client.get(f"{REQUESTS}{offline_request.pk}/scan/TAX_ID/").status_code == 404  # not uploaded
    assert client.get(f"{REQUESTS}{offline_request.pk}/scan/..%2Fsecret/").status_code != 200


def test_anonymous_gets_no_scan(client, offline_request):
    response = client.get(f"{REQUESTS}{offline_request.pk}/scan/PASSPORT/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_rules_triggered_says_which_rule(admin_client):
    person = PersonFactory(no_tax_id=True, verification_reason="RULES_TRIGGERED", birth_date=date(1980, 1, 1))
    page = admin_client.get(f"{PERSONS}{person.pk}/change/").content.decode()
    assert "02 — old enough to act alone, and has no tax id" in page


# --- 6: Ukrainian, the language switch, Kyiv time ---------------------------------------------------

ENGLISH = [
    "Select an option",
    " Run ",
    "verification status",
    "Verification Needed",
    "Rules Passed",
    "legal entity",
    "By status",
    "created at",
    "expires at",
    "Resend code",
    "Expire now",
    "first name",
    "last name",
    "tax id",
    "phone number",
    "Show counts",
    "Search",
    "Home",
    "Status",
    " New ",
    "Completed",
]


def test_ukrainian_pages_have_no_english_labels(client, caller, offline_request):
    staff(client, superuser=True)
    client.post("/i18n/setlang/", {"language": "uk", "next": "/admin/"})
    request = otp_request(caller)
    pages = [
        "/admin/",
        PERSONS,
        f"{PERSONS}{request.person_id}/change/",
        REQUESTS,
        f"{REQUESTS}{request.pk}/change/",
        f"{REQUESTS}{offline_request.pk}/change/",
        MERGES,
        "/admin/approvals/approval/",
        "/admin/verifications/verification/",
        "/admin/verifications/smsmessage/",
        "/admin/core/event/",
        "/admin/core/job/",
    ]
    for url in pages:
        text = visible_text(client.get(url).content.decode())
        found = [word for word in ENGLISH if word in text]
        assert not found, (url, found)
    assert "Пошук" in visible_text(client.get(REQUESTS).content.decode())


def test_the_language_switch(client):
    staff(client, superuser=True)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert 'id="language-switch"' in page and 'action="/i18n/setlang/"' in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": PERSONS})
    assert response.status_code == 302 and response["Location"] == PERSONS
    assert "Persons" in client.get(PERSONS).content.decode()
    client.post("/i18n/setlang/", {"language": "uk", "next": PERSONS})
    assert "Особи" in client.get(PERSONS).content.decode()


def test_times_are_kyiv_time(admin_client, caller):
    # 22:30 UTC on 1 July is 01:30 on 2 July in Kyiv (UTC+3 in summer)
    request = otp_request(caller, created_at=datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
    page = admin_client.get(f"{REQUESTS}{request.pk}/change/").content.decode()
    assert "July 2, 2026, 1:30" in page or "2026-07-02 01:30" in page, visible_text(page)[:3000]
    listed = admin_client.get(REQUESTS, {"created_at__from": "2026-07-02", "created_at__to": "2026-07-02"}).content
    assert str(request.pk)[:8] in listed.decode()  # "that day" is Kyiv's day


# --- 8: the smaller findings --------------------------------------------------------------------


def test_verifying_returns_to_the_queue(client):
    staff(client, "verifiers")
    person = PersonFactory()
    queue = f"{PERSONS}?verification_status__exact=VERIFICATION_NEEDED"
    asked = client.post(queue, {"action": "mark_verified", "_selected_action": [person.pk]})
    assert f'action="{queue}"' in asked.content.decode().replace("&amp;", "&")
    done = client.post(queue, {"action": "mark_verified", "_selected_action": [person.pk], "apply": "1", "comment": ""})
    assert done.status_code == 302 and done["Location"] == queue


def test_a_merged_person_links_its_master(admin_client):
    master = PersonFactory()
    merged = PersonFactory(merged_into=master, status="inactive")
    page = admin_client.get(f"{PERSONS}{merged.pk}/change/").content.decode()
    assert f'href="{PERSONS}{master.pk}/change/"' in page


def test_a_request_links_its_code_and_its_sms(admin_client, caller, issue):
    verification, _ = issue()
    request = otp_request(caller, verification=verification)
    page = admin_client.get(f"{REQUESTS}{request.pk}/change/").content.decode()
    assert f'href="/admin/verifications/verification/{verification.pk}/change/"' in page
    assert f'href="/admin/verifications/smsmessage/?q={verification.pk}"' in page
    assert "SMS deliveries: 1" in page


def test_a_clerk_is_refused_with_the_admin_page_in_ukrainian(client, caller):
    staff(client, "read-only clerks")
    request = otp_request(caller)
    response = client.post(
        REQUESTS, {"action": "resend_code", "_selected_action": [request.pk]}, HTTP_ACCEPT_LANGUAGE="uk"
    )
    assert response.status_code == 403
    text = response.content.decode()
    assert "Вашій ролі це не дозволено" in text and 'id="user-tools"' in text


def test_no_view_site_links_and_api_clients_open(admin_client, caller):
    assert "View site" not in admin_client.get("/admin/").content.decode()
    page = admin_client.get(f"/admin/core/client/{caller.client.pk}/change/")
    assert page.status_code == 200 and "View on site" not in page.content.decode()


def test_patients_first_oauth_and_tasks_last_in_words(admin_client):
    page = visible_text(admin_client.get("/admin/").content.decode())
    assert page.index("Patients") < page.index("Codes and SMS") < page.index("API clients and tokens")
    assert "Django OAuth Toolkit" not in page


# --- create_staff ------------------------------------------------------------------------------


def test_create_staff_makes_a_clerk_and_a_verifier(monkeypatch, capsys):
    call_command("create_staff", "olena", "--group", "clerk", "--password", "a-Long-passw0rd!")
    monkeypatch.setenv("STAFF_PASSWORD", "another-Long-passw0rd!")
    call_command("create_staff", "taras", "--group", "verifier", "--first-name", "Тарас")
    olena, taras = User.objects.get(username="olena"), User.objects.get(username="taras")
    assert olena.is_staff and not olena.is_superuser and olena.check_password("a-Long-passw0rd!")
    assert [g.name for g in olena.groups.all()] == ["read-only clerks"]
    assert [g.name for g in taras.groups.all()] == ["verifiers"] and taras.first_name == "Тарас"
    assert taras.check_password("another-Long-passw0rd!")
    call_command("create_staff", "olena", "--group", "verifier", "--password", "a-Long-passw0rd!")
    assert [g.name for g in User.objects.get(username="olena").groups.all()] == ["verifiers"]
    assert "created olena" in capsys.readouterr().out


def test_create_staff_refuses_a_weak_or_missing_password(monkeypatch):
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    with pytest.raises(CommandError) as weak:
        call_command("create_staff", "olena", "--group", "clerk", "--password", "123")
    assert weak.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("create_staff", "olena", "--group", "clerk")  # no terminal under pytest
    assert not User.objects.filter(username="olena").exists()


# --- the statement timeout (PostgreSQL) ---------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
def test_a_slow_admin_query_is_cancelled_with_a_friendly_page(admin_client, settings, monkeypatch):
    settings.ADMIN_STATEMENT_TIMEOUT_MS = 100
    from core.backoffice import start

    def slow(request, site=None):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(start, "start_page", slow)
    response = admin_client.get("/admin/")
    assert response.status_code == 503
    assert "This page took too long" in response.content.decode()
    assert admin_client.get(REQUESTS).status_code == 200  # the connection is usable again (rolled back)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
def test_admin_reads_run_under_the_timeout(admin_client, settings, monkeypatch):
    settings.ADMIN_STATEMENT_TIMEOUT_MS = 1234
    seen = []
    from core.backoffice import start

    def spy(request, site=None):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])
        return {"attention": [], "charts": [], "chart_days": 14}

    monkeypatch.setattr(start, "start_page", spy)
    assert admin_client.get("/admin/").status_code == 200
    assert seen == ["1234ms"]


def test_every_model_label_has_a_ukrainian_translation():
    from django.utils import translation

    from core.backoffice.labels import untranslated_labels

    with translation.override("en"):
        labels = sorted({label for label in untranslated_labels() if label.lower() not in ("id", "seed")})
    with translation.override("uk"):
        missing = [label for label in labels if translation.gettext(label) == label]
    assert not missing, missing


def test_verifying_from_the_case_file_returns_to_the_list_it_came_from(client):
    staff(client, "verifiers")
    person = PersonFactory()
    url = f"{PERSONS}{person.pk}/change/?_changelist_filters=verification_status__exact%3DVERIFICATION_NEEDED"
    asked = client.post(url, {"CHANGE_FORM-action": "mark_verified", "_selected_action": [person.pk]})
    queue = f"{PERSONS}?verification_status__exact=VERIFICATION_NEEDED"
    assert f'action="{queue}"' in asked.content.decode()
    done = client.post(queue, {"action": "mark_verified", "_selected_action": [person.pk], "apply": "1", "comment": ""})
    assert done.status_code == 302 and done["Location"] == queue


def test_a_term_of_two_meanings_finds_both(admin_client, caller):
    # 0XXXXXXXXX is a phone, and a tax id of someone born before 1927
    by_phone = otp_request(caller)
    old = PersonFactory(tax_id="0931234585", primary=None)
    by_tax_id = AuthenticationMethodRequestFactory(client=caller.client, person=old)
    other = AuthenticationMethodRequestFactory(client=caller.client)
    page = admin_client.get(REQUESTS, {"q": "0931234585"}).content.decode()
    assert str(by_phone.pk)[:8] in page and str(by_tax_id.pk)[:8] in page and str(other.pk)[:8] not in page


def test_event_filters_read_no_distinct_of_the_table(admin_client, caller):
    from django.test.utils import CaptureQueriesContext

    otp_request(caller)
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/core/event/", {"entity_type__exact": "persons.person"})
    assert page.status_code == 200
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]
    assert "persons.person" in page.content.decode()  # a lookup of the filter


def test_the_summary_line_and_its_refusals_in_ukrainian(client, caller):
    staff(client, "verifiers")
    offline = AuthenticationMethodRequestFactory(client=caller.client)
    response = client.post(
        REQUESTS,
        {"action": "resend_code", "confirmed": "yes", "_selected_action": [offline.pk]},
        HTTP_ACCEPT_LANGUAGE="uk",
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Код надіслано повторно: 0; відмовлено: 1 (Повторне SMS не дозволене для цього методу автентифікації)"
    ]


def test_lists_sort_only_by_indexed_columns(admin_client, caller):
    otp_request(caller)
    page = admin_client.get(REQUESTS).content.decode()
    sortable = set(re.findall(r'<th scope="col" class="sortable[^"]*column-([a-z_]+)', page))
    assert sortable == {"short_id", "created_at", "expires_at"}, sortable
    persons = admin_client.get(PERSONS).content.decode()
    assert 'class="sortable' not in persons


def test_sms_found_by_provider_id_exactly(admin_client, issue):
    from verifications.models import SmsMessage

    verification, _ = issue()
    SmsMessage.objects.filter(verification=verification).update(provider_id="msg-42")
    sms = "/admin/verifications/smsmessage/"
    assert "+38050*****67" in admin_client.get(sms, {"q": "msg-42"}).content.decode()
    assert "+38050*****67" not in admin_client.get(sms, {"q": "msg-4"}).content.decode()
