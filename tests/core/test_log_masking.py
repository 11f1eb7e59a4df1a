"""No full phone number in any log line: Django's own handlers included, `+` or `%2B`, DEBUG or not."""

import logging
import re

import pytest

pytestmark = pytest.mark.django_db

PHONE = "+380501234567"
FULL_NUMBER = re.compile(r"(\+|%2B|%2b)380[0-9]{9}")


def test_mask_phones_in_masks_both_forms():
    from core.masking import mask_phones_in

    assert mask_phones_in("GET /api/verifications/+380501234567") == "GET /api/verifications/+38050*****67"
    assert mask_phones_in("GET /api/verifications/%2B380501234567 HTTP/1.1") == (
        "GET /api/verifications/%2B38050*****67 HTTP/1.1"
    )
    assert mask_phones_in("?phone=%2b380501234567&x=1") == "?phone=%2b38050*****67&x=1"


LOGGERS = ("", "django", "django.request", "django.server", "django.security", "py.warnings")


@pytest.fixture
def log_output():
    """Everything the configured stream handlers write (the console lines), into one buffer."""
    import io

    buffer = io.StringIO()
    handlers = {
        handler
        for name in LOGGERS
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler) and not type(handler).__module__.startswith("_pytest")
    }
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    yield buffer
    for handler, stream in previous.items():
        handler.setStream(stream)


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
    from core.middleware import RequestIdLogFilter

    for name in ("django", "django.request", "django.server", "django.security"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler).__module__.startswith("_pytest"):  # the test run's own capture
                    continue
                assert any(isinstance(f, RequestIdLogFilter) for f in handler.filters), (name, handler)
            logger = logger.parent if logger.propagate else None
