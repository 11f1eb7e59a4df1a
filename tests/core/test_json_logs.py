"""LOG_FORMAT=json: one JSON object per line (timestamp, level, logger, message, request_id), phones
masked; the default stays the text line."""

import json
import logging
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from core.observability.logformat import JsonFormatter
from core.observability.request_id import RequestIdLogFilter

# A production-like process: a request that Django logs (401 with a phone in its path), then a
# failure with a traceback that names a phone.
SCRIPT = """
import logging, django
django.setup()
from django.test import Client
Client().get("/api/verifications/+380501234567", HTTP_X_REQUEST_ID="req-json-1")
try:
    raise ValueError("no patient with phone 0501234567")
except ValueError:
    logging.getLogger("verifications.services").exception("lookup failed for %s", "+380501234567")
"""


def run(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "json-logs-test-" + "k" * 50,
        "SMS_BACKEND": "locmem",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_json_logs_are_one_object_per_line_with_the_request_id_and_no_phone(tmp_path):
    lines = run(tmp_path, LOG_FORMAT="json").stderr.splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    unauthorized = next(r for r in records if r["logger"] == "django.request")
    assert set(unauthorized) == {"timestamp", "level", "logger", "message", "request_id"}
    assert unauthorized["level"] == "WARNING"
    assert unauthorized["request_id"] == "req-json-1"
    assert unauthorized["message"] == "Unauthorized: /api/verifications/+38050*****67"
    assert unauthorized["timestamp"].endswith("Z") and "T" in unauthorized["timestamp"]

    failed = next(r for r in records if r["logger"] == "verifications.services")
    assert failed["level"] == "ERROR" and failed["request_id"] == "-"
    assert failed["message"] == "lookup failed for +38050*****67"
    assert "ValueError: no patient with phone 050*****67" in failed["exception"]
    assert "1234567" not in "\n".join(lines)


def test_the_default_stays_the_text_line(tmp_path):
    lines = run(tmp_path).stderr.splitlines()
    assert any(
        " WARNING django.request [req-json-1] Unauthorized: /api/verifications/+38050*****67" in line for line in lines
    )
    with pytest.raises(ValueError):
        json.loads(lines[0])


def test_an_unknown_log_format_refuses_to_start(tmp_path):
    with pytest.raises(AssertionError, match="LOG_FORMAT must be text or json"):
        run(tmp_path, LOG_FORMAT="xml")


def test_a_record_logged_any_other_way_is_masked_by_the_formatter_too():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sms to %s", ("+380501234567",), None)
    RequestIdLogFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sms to +38050*****67"
    raw = logging.LogRecord("x", logging.INFO, __file__, 1, "raw +380501234567", (), None)  # no filter, no factory
    assert json.loads(JsonFormatter().format(raw))["message"] == "raw +38050*****67"
