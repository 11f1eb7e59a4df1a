"""No full phone number in any log line: Django's own handlers included, `+` or `%2B`, DEBUG or not."""

import logging
import re

import pytest

pytestmark = pytest.mark.django_db

PHONE = "+380501234567"
FULL_NUMBER = re.compile(r"(\+|%2B|%2b)380[0-9]{9}")


def test_mask_phones_in_masks_both_forms():
    from core.observability.masking import mask_phones_in

    assert mask_phones_in("GET /api/verifications/+380501234567") == "GET /api/verifications/+38050*****67"
    assert mask_phones_in("GET /api/verifications/%2B380501234567 HTTP/1.1") == (
        "GET /api/verifications/%2B38050*****67 HTTP/1.1"
    )
    assert mask_phones_in("?phone=%2b380501234567&x=1") == "?phone=%2b38050*****67&x=1"


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_api_calls_log_no_full_number(caller, anonymous, settings, log_output, debug):
    settings.DEBUG = debug
    caller.http.raise_request_exception = False
    encoded = PHONE.replace("+", "%2B")
    calls = [
        caller.get(f"/api/verifications/{PHONE}"),  # 404: "Not Found: /api/verifications/+380..."
        caller.get(f"/api/verifications/{encoded}"),
        caller.get(f"/api/verifications/{PHONE}/actions/complete"),  # 405
        caller.patch(f"/api/verifications/{encoded}/actions/complete", {"code": 1}, format="json"),
        caller.post("/api/verifications", {"phone_number": PHONE, "extra": 1}, format="json"),  # 422
        anonymous.get(f"/api/verifications/{PHONE}"),  # 401
        caller.get(f"/api/no-such-route/{encoded}?phone={encoded}"),
    ]
    assert all(400 <= response.status_code < 500 for response in calls)
    # runserver's access line carries the raw request line, percent-encoding and query included
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /api/verifications/{encoded}?p={encoded}", 404, 0)
    logging.getLogger("django.request").warning("Not Found: %s", f"/api/verifications/{PHONE}")
    log = log_output.getvalue()
    assert "Not Found: /api/verifications/+38050*****67" in log
    assert "/api/verifications/%2B38050*****67?p=%2B38050*****67" in log
    assert not FULL_NUMBER.findall(log), log


def test_djangos_own_loggers_write_through_the_masking_handler():
    """Django's default `console` and `mail_admins` handlers print or mail the raw message: the
    `django` logger must use ours only."""
    from core.observability.request_id import RequestIdLogFilter

    for name in ("django", "django.request", "django.server", "django.security"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler).__module__.startswith("_pytest"):  # the test run's own capture
                    continue
                assert any(isinstance(f, RequestIdLogFilter) for f in handler.filters), (name, handler)
            logger = logger.parent if logger.propagate else None


# Every spelling of +380501234567 a client may put in a path: what the log line must not carry is
# its nine national digits in a row.
SPELLINGS = [
    "+380501234567",
    "380501234567",
    "0501234567",
    "%2B380501234567",
    "%2b380501234567",
    "%20+380501234567",
    "%20380501234567",
    "%200501234567",
    " +380501234567",
    " 380501234567",
]
NATIONAL = PHONE[-9:]  # "501234567"


def test_mask_phones_in_masks_every_spelling_as_written():
    from core.observability.masking import mask_phones_in

    assert mask_phones_in("/api/verifications/380501234567") == "/api/verifications/38050*****67"
    assert mask_phones_in("/api/verifications/0501234567") == "/api/verifications/050*****67"
    assert mask_phones_in("/api/verifications/%20380501234567") == "/api/verifications/%2038050*****67"
    assert mask_phones_in("/api/verifications/%200501234567 HTTP/1.1") == "/api/verifications/%20050*****67 HTTP/1.1"
    assert mask_phones_in("?phones=0501234567,380671234567&x") == "?phones=050*****67,38067*****67&x"
    for spelling in SPELLINGS:
        assert NATIONAL not in mask_phones_in(f"GET /api/verifications/{spelling}?p={spelling}"), spelling


@pytest.mark.parametrize(
    "text",
    [
        "550e8400-e29b-41d4-a716-380501234567",  # a UUID whose last group is twelve digits
        "0501234567abcdef0123456789abcdef",  # a hex id (uuid4().hex, nginx's $request_id)
        "id 12380501234567 and 3805012345678",  # digits inside a longer run
        "took 0.0501234567 s",  # a fraction
        "2025-01-31T10:00:00.123456+00:00 1738317600 1738317600123",  # timestamps
        "+38050*****67 38050*****67 050*****67",  # masked already
    ],
)
def test_mask_phones_in_leaves_what_is_not_a_phone(text):
    from core.observability.masking import mask_phones_in

    assert mask_phones_in(text) == text


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_404_of_any_spelling_logs_and_answers_no_full_number(caller, log_output, caplog, spelling):
    caplog.set_level(logging.INFO)
    response = caller.get(f"/api/verifications/{spelling}")
    assert response.status_code == 404
    assert NATIONAL not in response.json()["meta"]["url"]
    # Django's own "Not Found: <path>" warning, as every handler gets it (a test's capture included)
    [line] = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert line.startswith("Not Found: /api/verifications/"), line
    assert NATIONAL not in line
    assert NATIONAL not in caplog.text
    # runserver's access line carries the request line as sent, percent-encoding included
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /api/verifications/{spelling} HTTP/1.1", 404, 0)
    log = log_output.getvalue()
    assert "Not Found: /api/verifications/" in log
    assert NATIONAL not in log, log


def test_own_loggers_and_tracebacks_log_no_full_number(log_output, caplog):
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("verifications.services")
    logger.info("code sent to %s", "380501234567")
    logger.warning("lookup of 0501234567 failed")
    try:
        raise ValueError("no verification for phone 0501234567")
    except ValueError:
        logger.exception("while looking up %s", "%2B380501234567")
    assert [r.getMessage() for r in caplog.records if r.name == "verifications.services"] == [
        "code sent to 38050*****67",
        "lookup of 050*****67 failed",
        "while looking up %2B38050*****67",
    ]
    log = log_output.getvalue()
    assert "ValueError: no verification for phone 050*****67" in log  # the traceback too
    assert "ValueError: no verification for phone 050*****67" in caplog.text
    assert NATIONAL not in log and NATIONAL not in caplog.text
