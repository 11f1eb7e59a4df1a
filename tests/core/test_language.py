"""One language per answer: English by default on the API, `Accept-Language: uk` switches ours and
the framework's messages together; the back office keeps Ukrainian."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.probe_urls")]

ECHO = "/api/probe/echo"


@pytest.fixture(autouse=True)
def ukrainian_default(settings):
    settings.LANGUAGE_CODE = "uk"  # as in production: the admin's language


def mixed_failure(caller, **headers):
    """A DRF message ("This field is required.") and ours in one answer."""
    response = caller.post(ECHO, {"code": "x"}, format="json", **headers)
    assert response.status_code == 422
    error = response.json()["error"]
    return response, error["message"], {e["entry"]: e["rules"][0]["description"] for e in error["invalid"]}


@pytest.mark.parametrize("accept", [None, "en", "en-US,en;q=0.9", "de-DE, fr;q=0.5", "*", "xx"])
def test_api_answers_in_english_by_default(caller, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT_LANGUAGE": accept}
    response, message, rules = mixed_failure(caller, **headers)
    assert message == "Validation failed"
    assert rules == {
        "$.phone_number": "This field is required.",
        "$.code": "Must be a positive integer code",
    }
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("accept", ["uk", "uk-UA,uk;q=0.9,en;q=0.8", "de;q=0.9, uk;q=0.8"])
def test_accept_language_uk_switches_every_message(caller, accept):
    response, message, rules = mixed_failure(caller, HTTP_ACCEPT_LANGUAGE=accept)
    assert message == "Помилка валідації"
    assert rules == {
        "$.phone_number": "Це поле обов'язкове.",
        "$.code": "Код має бути додатним цілим числом",
    }
    assert response["Content-Language"] == "uk"


def test_unknown_property_in_both_languages(caller):
    description = lambda **h: caller.post(ECHO, {"x": 1}, format="json", **h).json()["error"]["invalid"][0]  # noqa: E731
    assert description()["rules"][0]["description"] == "Schema does not allow additional properties"
    assert description(HTTP_ACCEPT_LANGUAGE="uk")["rules"][0]["description"] == (
        "Схема не дозволяє додаткових властивостей"
    )


def test_english_first_wins_over_uk(caller):
    assert mixed_failure(caller, HTTP_ACCEPT_LANGUAGE="en;q=1, uk;q=0.5")[1] == "Validation failed"


@pytest.mark.parametrize(
    ("path", "english", "ukrainian"),
    [
        ("/api/no-such-route", "Not found", "Не знайдено"),
        ("/api/probe/fail/missing", "Person not found", "Особу не знайдено"),
        ("/api/probe/fail/conflict", "Patient is not verified", "Patient is not verified"),  # not in the catalog
    ],
)
def test_error_messages_in_both_languages(caller, path, english, ukrainian):
    assert caller.get(path).json()["error"]["message"] == english
    assert caller.get(path, HTTP_ACCEPT_LANGUAGE="uk").json()["error"]["message"] == ukrainian


def test_verification_reason_is_translated_where_the_answer_is_made(caller):
    rule = lambda **h: caller.get("/api/probe/fail/field", **h).json()["error"]["invalid"][0]["rules"][0]  # noqa: E731
    assert rule()["description"] == "Invalid verification code"
    assert rule(HTTP_ACCEPT_LANGUAGE="uk")["description"] == "Невірний код підтвердження"


def test_auth_errors_in_both_languages(caller, anonymous):
    caller.http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.token}")
    assert caller.get("/api/probe/scoped").json()["error"]["message"] == "API-KEY header required"
    uk = caller.get("/api/probe/scoped", HTTP_ACCEPT_LANGUAGE="uk").json()["error"]
    assert uk == {"type": "access_denied", "message": "Потрібен заголовок API-KEY"}
    english = anonymous.get("/api/probe/scoped").json()["error"]["message"]
    assert english == "Authentication credentials were not provided."
    ukrainian = anonymous.get("/api/probe/scoped", HTTP_ACCEPT_LANGUAGE="uk").json()["error"]["message"]
    assert ukrainian == "Реквізити перевірки достовірності не надані."


def test_missing_scopes_in_both_languages(caller_factory):
    limited = caller_factory(scopes=["job:read"])
    assert limited.get("/api/probe/scoped").json()["error"]["message"] == (
        "Your scope does not allow to access this resource. Missing allowances: otp:read"
    )
    assert limited.get("/api/probe/scoped", HTTP_ACCEPT_LANGUAGE="uk").json()["error"]["message"] == (
        "Ваші дозволи не дають доступу до цього ресурсу. Бракує дозволів: otp:read"
    )


def test_method_not_allowed_in_both_languages(caller):
    assert caller.delete(ECHO).json()["error"]["message"] == 'Method "DELETE" not allowed.'
    assert caller.delete(ECHO, HTTP_ACCEPT_LANGUAGE="uk").json()["error"]["message"] == (
        'Метод "DELETE" не дозволений.'
    )


def test_the_admin_stays_ukrainian_by_default_and_english_on_request(client):
    assert "Увійти" in client.get("/admin/login/").content.decode()
    assert "Log in" in client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
