"""The guess budget: wrong codes per phone over every code, kind and client, tried as a guesser would.

Seen from outside before: each resend or new request brought a new code with 3 fresh guesses, so a
4-digit code fell to 60 guesses an hour (14.8 % per patient per day). Now a phone takes at most
OTP_FAILED_LIMIT wrong codes per OTP_FAILED_WINDOW_HOURS, whoever asks.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from rest_framework.test import APIClient

from core.audit.events import user_id_of
from core.backoffice.groups import CLERKS, VERIFIERS
from core.models import Event
from tests.conftest import make_caller, verify_phone
from tests.parallel import in_parallel
from tests.persons.factories import PersonFactory
from verifications.models import FailedGuess, Verification
from verifications.services import phone_guess_lock_lift
from verifications.sms import locmem

from .conftest import PHONE, last_code, wrong_code

URL = "/api/verifications"
INVALID, MAX_ATTEMPTS = "Invalid verification code", "Maximum attempts exceed"
GUESSES_EXCEEDED = "Too many failed attempts for this phone number"


@pytest.fixture(autouse=True)
def sends_freely(settings):
    """Only the guess budget limits here: sends are free, as for a guesser with many clinics."""
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = settings.OTP_PHONE_SEND_LIMIT = 1000


def send(caller, django_capture_on_commit_callbacks, phone=PHONE):
    with django_capture_on_commit_callbacks(execute=True):
        return caller.post(URL, {"phone_number": phone}, format="json")


def guess(caller, code, phone=PHONE):
    response = caller.patch(f"{URL}/{phone}/actions/complete", {"code": code}, format="json")
    return response.json()["error"]["message"] if response.status_code != 200 else "VERIFIED"


@pytest.mark.django_db
def test_a_guesser_with_many_clinics_gets_ten_wrong_codes_per_phone_per_day(
    django_capture_on_commit_callbacks, settings
):
    """The brute-force budget, measured: clinics that send and guess as fast as the service lets them."""
    clinics = [make_caller(name=f"Guessing clinic {i}") for i in range(6)]
    answers, refused_sends = Counter(), Counter()
    for clinic in clinics * 3:
        sent = send(clinic, django_capture_on_commit_callbacks)
        if sent.status_code != 200:
            refused_sends[(sent.status_code, sent.json()["error"]["message"])] += 1
            continue
        for _ in range(settings.OTP_MAX_ATTEMPTS):
            answers[guess(clinic, wrong_code(last_code()))] += 1
    assert answers[INVALID] == settings.OTP_FAILED_LIMIT == 10
    assert refused_sends and set(refused_sends) == {(429, GUESSES_EXCEEDED)}
    # 10 wrong codes a day against 9 000 possible 4-digit codes: a chance of 0.11 % per phone per day
    assert settings.OTP_FAILED_LIMIT / (9 * 10 ** (settings.OTP_CODE_LENGTH - 1)) < 0.0012


@pytest.mark.django_db
def test_spent_budget_locks_every_open_code_and_refuses_sends_until_the_window_frees(
    caller, caller_factory, django_capture_on_commit_callbacks, settings
):
    settings.OTP_FAILED_LIMIT = 4
    patient_clinic = caller_factory(name="The patient's clinic")
    send(patient_clinic, django_capture_on_commit_callbacks)
    patients_code = last_code()
    send(caller, django_capture_on_commit_callbacks)
    for _ in range(3):  # the guesser's own code locks after 3
        assert guess(caller, wrong_code(last_code())) == INVALID
    send(caller, django_capture_on_commit_callbacks)
    assert guess(caller, wrong_code(last_code())) == INVALID  # the 4th wrong code: the budget is spent

    assert set(Verification.objects.filter(phone_number=PHONE).values_list("status", flat=True)) <= {
        "LOCKED",
        "INACTIVE",
    }
    # the patient's clinic's code, right as it is, confirms nothing now
    assert guess(patient_clinic, patients_code) == MAX_ATTEMPTS
    refused = send(patient_clinic, django_capture_on_commit_callbacks)
    assert refused.status_code == 429
    assert refused.json()["error"]["message"] == GUESSES_EXCEEDED
    assert 24 * 3600 - 5 <= int(refused["Retry-After"]) <= 24 * 3600
    # another phone is not concerned
    assert send(patient_clinic, django_capture_on_commit_callbacks, phone="+380671234567").status_code == 200

    # a day later the first failure leaves the window: one more wrong code may be tried
    FailedGuess.objects.filter(phone_number=PHONE).update(created_at=timezone.now() - timedelta(hours=25))
    assert send(patient_clinic, django_capture_on_commit_callbacks).status_code == 200
    assert guess(patient_clinic, last_code()) == "VERIFIED"


@pytest.mark.django_db
def test_a_request_flows_codes_spend_the_same_budget(caller, django_capture_on_commit_callbacks, settings):
    """A method request's code (another kind) and the verification endpoint's share the phone's budget."""
    settings.OTP_FAILED_LIMIT = 4
    person = PersonFactory(primary__phone_number=PHONE)
    body = {"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "+380671234567"}}
    verify_phone(caller.client, "+380671234567")
    with django_capture_on_commit_callbacks(execute=True):
        request_id = caller.post(
            f"/api/persons/{person.pk}/authentication_method_requests", body, format="json"
        ).json()["data"]["id"]
    approve = f"/api/persons/{person.pk}/authentication_method_requests/{request_id}/actions/approve"
    request_code = last_code()
    send(caller, django_capture_on_commit_callbacks)
    for _ in range(3):
        assert guess(caller, wrong_code(last_code())) == INVALID
    response = caller.patch(approve, {"verification_code": wrong_code(request_code)}, format="json")
    assert response.json()["error"]["invalid"][0]["rules"][0]["description"] == INVALID, response.json()
    response = caller.patch(approve, {"verification_code": request_code}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["invalid"][0]["rules"][0]["description"] == MAX_ATTEMPTS


@pytest.mark.django_db
def test_staff_lift_the_lock_and_it_is_audited(caller, client, django_capture_on_commit_callbacks, settings):
    settings.OTP_FAILED_LIMIT = 3
    send(caller, django_capture_on_commit_callbacks)
    for _ in range(3):
        guess(caller, wrong_code(last_code()))
    assert send(caller, django_capture_on_commit_callbacks).status_code == 429
    locked = Verification.objects.get(phone_number=PHONE)

    clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.groups.add(Group.objects.get(name=CLERKS))
    client.force_login(clerk)
    action = {"action": "lift_guess_lock", "_selected_action": [str(locked.pk)]}
    client.post("/admin/verifications/verification/", action)
    assert FailedGuess.objects.filter(lifted_at__isnull=True).count() == 3  # a clerk may not lift it

    verifier = User.objects.create_user("verifier", password="pw", is_staff=True)
    verifier.groups.add(Group.objects.get(name=VERIFIERS))
    client.force_login(verifier)
    response = client.post("/admin/verifications/verification/", action, follow=True)
    assert response.status_code == 200
    assert "+38050*****67" in response.content.decode()
    assert FailedGuess.objects.filter(lifted_at__isnull=True).count() == 0
    events = Event.objects.filter(entity_type="verifications.failedguess", property="lifted_at")
    assert events.count() == 3 and set(events.values_list("actor", flat=True)) == {user_id_of(verifier)}
    locked.refresh_from_db()
    assert locked.status == "LOCKED"  # what was locked stays so; a new code may be sent at once
    assert send(caller, django_capture_on_commit_callbacks).status_code == 200
    assert guess(caller, last_code()) == "VERIFIED"


@pytest.mark.django_db
def test_lifting_a_phone_without_failures_changes_nothing():
    assert phone_guess_lock_lift(phone_number=PHONE, actor="test") == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_many_clinics_never_exceed_the_budget(settings):
    """20 wrong codes at once against 7 clinics' codes for one phone: exactly the budget is counted."""
    clinics = [make_caller(name=f"Parallel clinic {i}") for i in range(7)]
    for clinic in clinics:
        assert clinic.post(URL, {"phone_number": PHONE}, format="json").status_code == 200
    codes = {message["body"][-4:] for message in locmem.outbox}
    wrong = next(str(n) for n in range(1000, 10000) if str(n) not in codes)

    def try_one(i):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {clinics[i % 7].token}", HTTP_API_KEY=clinics[i % 7].api_key)
        return guess(http, wrong)

    answers = Counter(in_parallel(try_one, 20))
    assert answers[INVALID] == settings.OTP_FAILED_LIMIT
    assert answers[MAX_ATTEMPTS] == 20 - settings.OTP_FAILED_LIMIT
    assert FailedGuess.objects.filter(phone_number=PHONE).count() == settings.OTP_FAILED_LIMIT
    assert not Verification.objects.filter(phone_number=PHONE, status="NEW").exists()
