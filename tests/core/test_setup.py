"""What a newcomer meets first: seed_demo run again and again, .env.example, production refusals, static
files without collectstatic, the Bearer field in Swagger, and `manage.py outbox`."""

import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import environ
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from core.demo import PASSWORD_UNKNOWN
from core.models import Client, Event
from persons.models import AuthenticationMethodRequest, MergeRequest, Person
from verifications.models import SmsMessage, Verification
from verifications.sms import locmem

BASE_DIR = Path(django_settings.BASE_DIR)
STRONG_KEY = "k3Y-" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789" * 2


# --- seed_demo, run again whatever happened in between -------------------------------------------


@pytest.fixture
def seed(db, settings, tmp_path, django_capture_on_commit_callbacks):
    """`seed_demo` at the default send limits (30 s between two codes to a phone), as `make run` runs it."""
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-credentials.json"
    locmem.outbox.clear()

    def run() -> dict:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):  # the SMS go out, as the worker would send them
            call_command("seed_demo", stdout=out)
        return json.loads(out.getvalue())

    return run


def code_sent_to(phone: str) -> str:
    body = next(sms["body"] for sms in reversed(locmem.outbox) if sms["phone_number"] == phone)
    return re.search(r"(\d+)\s*$", body).group(1)


def credentials(output: dict) -> dict:
    keys = ("client_id", "client_secret", "api_key", "access_token", "legal_entity_id")
    return {"admin": output["admin"], **{key: output[key] for key in keys}}


def test_a_second_seed_prints_the_same_working_credentials_and_creates_nothing(seed, settings):
    first = seed()
    assert "admin user" in first["created"] and "client Demo MIS" in first["created"]
    assert "skipped" not in first  # every demo code goes to a phone of its own: none waits for the cooldown
    assert first["admin"]["password"] not in ("", PASSWORD_UNKNOWN)
    second = seed()
    assert second["created"] == []
    assert credentials(second) == credentials(first)
    for key in ("persons", "merge", "authentication_method_request", "declaration_request", "approval"):
        assert second[key] == first[key], key
    assert stat.S_IMODE(os.stat(settings.DEMO_CREDENTIALS_FILE).st_mode) == 0o600

    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {second['access_token']}", HTTP_API_KEY=second["api_key"])
    assert http.get(f"/api/persons/{second['persons']['otp']}").status_code == 200
    assert APIClient().get(f"/api/persons/{second['persons']['otp']}").status_code == 401
    token = APIClient().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "scope": "otp:read"},
        format="multipart",
        HTTP_AUTHORIZATION=basic(second["client_id"], second["client_secret"]),
    )
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "otp:read"


def basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_seed_sends_no_code_to_a_phone_a_walkthrough_uses(seed):
    seed()
    walkthrough_phones = {"+380501234567", "+380503410870", "+380671112299", "+380631234567", "+380661234567"}
    assert [sms["phone_number"] for sms in locmem.outbox] == ["+380931234567"]  # the demo approval's, its own
    assert not walkthrough_phones & {sms["phone_number"] for sms in locmem.outbox}


def records() -> dict:
    """Every request of every flow: (status, updated_at) by id."""
    from approvals.models import Approval
    from declarations.models import DeclarationRequest

    rows = {}
    for model in (AuthenticationMethodRequest, MergeRequest, DeclarationRequest, Approval):
        rows.update({row.pk: (row.status, row.updated_at) for row in model.objects.all()})
    return rows


def test_the_walkthroughs_at_the_default_limits_and_a_seed_after_them_changes_nothing(
    seed, django_capture_on_commit_callbacks
):
    """docs/api.md's walkthroughs one right after the other (each on its own phone: no 429), then `make run`
    again: seed_demo adds what is missing and cancels, replaces or changes none of the user's requests."""
    demo = seed()
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {demo['access_token']}", HTTP_API_KEY=demo["api_key"])

    def call(method: str, path: str, body=None, status=200) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(http, method)(path, body, format="json")
        assert response.status_code == status, response.content.decode()
        return response.json()["data"]

    person = f"/api/persons/{demo['persons']['otp']}/authentication_method_requests"
    method = {"type": "THIRD_PERSON", "value": demo["persons"]["offline"], "alias": "wife"}
    request = call("post", person, {"action": "INSERT", "authentication_method": method}, status=201)
    code = code_sent_to("+380503410870")
    call("patch", f"{person}/{request['id']}/actions/approve", {"verification_code": code}, status=201)

    merge = call("post", "/api/merge_requests", demo["merge"], status=201)
    code = code_sent_to("+380671112299")
    assert call("patch", f"/api/merge_requests/{merge['id']}/actions/approve", {"verification_code": code})

    body = {"person_id": demo["declaration_patient"], "employee_id": demo["employee"]["id"]}
    declaration = call("post", "/api/v3/declaration_requests", body, status=201)
    code = code_sent_to("+380631234567")
    url = f"/api/v3/declaration_requests/{declaration['id']}/actions/approve"
    assert call("patch", url, {"verification_code": code}, status=201)["status"] == "APPROVED"
    # the user's own request for the demo's OFFLINE patient replaces the demo's (the user's doing), left NEW
    body = {"person_id": demo["persons"]["offline"], "employee_id": demo["employee"]["id"]}
    theirs = call("post", "/api/v3/declaration_requests", body, status=201)

    approvals = f"/api/patients/{demo['approval_patient']}/approvals"
    reference = {"identifier": {"type": {"coding": [{"system": "eHealth/resources", "code": "employee"}]}}}
    reference["identifier"]["value"] = demo["approval"]["granted_to"]
    episode = {"identifier": {"type": {"coding": [{"system": "eHealth/resources", "code": "episode_of_care"}]}}}
    episode["identifier"]["value"] = "2f6a1c5e-9d4b-4e0a-8c1f-3b7d5e9a0c21"
    body = {"granted_resources": [episode], "granted_to": reference, "access_level": "read"}
    approval = call("post", approvals, body, status=201)
    code = code_sent_to("+380661234567")
    assert call("patch", f"{approvals}/{approval['id']}", {"code": code})["status"] == "active"

    before = records()
    trail = Event.objects.filter(entity_id__in=[str(pk) for pk in before])
    events = trail.count()
    again = seed()
    assert again["created"] == ["person Демченко Марія (duplicate)"]  # the old one was merged
    assert "skipped" not in again
    assert records() == before  # no request changed, and none was added: each demo one had an open one
    assert trail.count() == events
    assert again["declaration_request"]["id"] == theirs["id"]
    assert again["merge"]["master_person_id"] == demo["merge"]["master_person_id"]
    assert Person.objects.get(pk=demo["merge"]["merge_person_id"]).merged_into_id is not None
    assert again["merge"]["merge_person_id"] != demo["merge"]["merge_person_id"]


def test_seed_right_after_a_refused_send_still_succeeds_and_says_why(seed, django_capture_on_commit_callbacks):
    from approvals.services import approval_reject

    first = seed()
    approval = first["approval"]
    client = Client.objects.get(client_id=first["client_id"])
    approval_reject(patient_id=approval["patient_id"], approval_id=approval["id"], client=client, actor="test")
    second = seed()  # a new approval: its code would go to the phone the first one's went to moments ago
    assert second["approval"]["id"] is None
    assert second["skipped"] == ["approval: A verification code was sent to this phone number moments ago"]


def test_seed_keeps_an_admin_password_it_does_not_know(seed, settings, django_user_model):
    django_user_model.objects.create_superuser(username="admin", email="", password="chosen-by-hand")
    output = seed()
    assert output["admin"]["password"] == PASSWORD_UNKNOWN
    assert django_user_model.objects.get(username="admin").check_password("chosen-by-hand")


def test_seed_replaces_credentials_it_cannot_print_again(seed, settings):
    first = seed()
    settings.DEMO_CREDENTIALS_FILE.unlink()  # e.g. var/ deleted while the database stayed
    second = seed()
    assert second["client_id"] == first["client_id"]
    assert second["api_key"] != first["api_key"]
    assert "client API key (none kept from an earlier run)" in second["created"]
    assert seed()["api_key"] == second["api_key"]


# --- .env.example and the production refusals ----------------------------------------------------


def settings_casts() -> dict:
    """NAME -> the environ cast settings.py reads it with (`env.int("X", ...)` -> "int")."""
    source = (BASE_DIR / "config" / "settings.py").read_text()
    return dict((name, cast) for cast, name in re.findall(r'env\.(\w+)\(\s*"([A-Z_0-9]+)"', source))


def test_env_example_is_a_working_env():
    class ExampleEnv(environ.Env):
        ENVIRON = {}

    ExampleEnv.read_env(BASE_DIR / ".env.example")
    values, casts = ExampleEnv.ENVIRON, settings_casts()
    assert values, "nothing read"
    assert set(values) <= set(casts), "a variable settings.py does not read"
    example = ExampleEnv()
    for name, value in values.items():
        assert "#" not in value, f"{name}: a comment became the value"
        getattr(example, casts[name])(name)  # parses with the settings' own cast
    assert values["DEBUG"] == "true" and values["SECRET_KEY"] == ""

    result = manage("check", env_file=BASE_DIR / ".env.example")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(("flag", "threshold"), [("true", 5), ("false", None)])
def test_postgresql_binds_on_the_server_and_prepares_unless_told_not_to(flag, threshold):
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    url = "postgres://ehealth:secret@127.0.0.1:5432/ehealth"
    result = manage("shell", "-v0", "-c", show, DEBUG="true", DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS=flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str({"server_side_binding": True, "prepare_threshold": threshold})


def test_an_empty_database_url_means_the_default():
    show = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = manage("shell", "-v0", "-c", show, DEBUG="true", DATABASE_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def manage(*args, env_file: Path | None = None, **env) -> subprocess.CompletedProcess:
    """manage.py with the real settings and exactly these variables (plus the PATH and the database)."""
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false"}
    environment["DATABASE_URL"] = f"sqlite:///{BASE_DIR / 'var' / 'test-setup.sqlite3'}"
    if env_file is not None:
        environment.update(_parse(env_file))
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True
    )


def _parse(path: Path) -> dict:
    class FileEnv(environ.Env):
        ENVIRON = {}

    FileEnv.read_env(path)
    return dict(FileEnv.ENVIRON)


@pytest.mark.parametrize(
    "key",
    [
        "django-insecure-" + "q8" * 30,  # what `startproject` prints into every tutorial
        "# required when DEBUG is off; generated per start in DEBUG",  # an inline comment read as the value
        "change-me",
    ],
)
def test_a_publicly_known_secret_key_is_refused_with_debug_off(key):
    result = manage("check", SECRET_KEY=key, SMS_BACKEND="http")
    assert result.returncode != 0
    assert "SECRET_KEY is not fit for use when DEBUG is off" in result.stderr


def test_production_needs_an_explicit_sms_backend():
    result = manage("check", SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "SMS_BACKEND must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize("backend", ["file", "console"])
def test_check_deploy_warns_about_development_sms_backends(backend):
    result = manage("check", "--deploy", SECRET_KEY=STRONG_KEY, SMS_BACKEND=backend, ALLOWED_HOSTS="e.org")
    assert f"(core.W001) SMS_BACKEND is '{backend}': no SMS reaches a patient" in result.stderr + result.stdout
    assert manage("check", SECRET_KEY=STRONG_KEY, SMS_BACKEND=backend).returncode == 0  # a warning, not a refusal


# --- static files with DEBUG off, no collectstatic -----------------------------------------------

STATIC_PROBE = """
import re
import django
django.setup()
from django.test import Client
client = Client()
for page in ("/admin/login/", "/api/docs/"):
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    css = re.search(r'href="(/static/[^"]+\\.css)"', response.content.decode()).group(1)
    served = client.get(css)
    assert served.status_code == 200, (css, served.status_code)
    print(page, css, served.status_code)
"""


def python_probe(code: str, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    """`code` run by a fresh Python with the real settings, its own SQLite database and `env`."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            **env,
        },
        capture_output=True,
        text=True,
    )


def test_admin_and_docs_with_debug_off_without_collectstatic(tmp_path):
    result = python_probe(
        STATIC_PROBE,
        tmp_path,
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        SMS_BACKEND="http",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" 200") == 2


def test_hashed_static_names_once_collectstatic_has_run(settings, tmp_path):
    from django.contrib.staticfiles.storage import staticfiles_storage

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "core.backoffice.staticfiles.StaticFilesStorage"},
    }
    assert staticfiles_storage.url("admin/css/base.css") == "/static/admin/css/base.css"  # no manifest yet
    call_command("collectstatic", "--no-input", verbosity=0)
    settings.STATIC_ROOT = tmp_path / "static"  # a new storage object, which reads the manifest
    assert re.fullmatch(r"/static/admin/css/base\.[0-9a-f]{12}\.css", staticfiles_storage.url("admin/css/base.css"))


# --- Swagger's Authorize dialog ------------------------------------------------------------------


@pytest.mark.django_db
def test_swagger_offers_a_bearer_field_beside_oauth2_and_the_api_key():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer"
    operation = schema["paths"]["/api/verifications"]["post"]
    assert operation["security"] == [{"oauth2": ["otp:write"], "ApiKey": []}, {"bearer": [], "ApiKey": []}]


# --- manage.py outbox ----------------------------------------------------------------------------


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "outbox.jsonl"

    def write(phone: str, body: str) -> None:
        line = {"phone_number": phone, "body": body, "sent_at": timezone.now().isoformat()}
        with open(settings.SMS_FILE_PATH, "a") as file:
            file.write(json.dumps(line) + "\n")

    return write


def queue_sms(phone: str) -> SmsMessage:
    verification = Verification.objects.create(
        phone_number=phone, code_digest="x", code_expired_at=timezone.now() + timedelta(minutes=15)
    )
    return SmsMessage.objects.create(verification=verification, phone_number_masked="masked", kind="verification")


def outbox_command(*args) -> str:
    out = StringIO()
    call_command("outbox", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_outbox_last_waits_for_the_sms_just_queued(outbox):
    outbox("+380501234567", "Код: 1111")
    outbox("+380671112299", "Код: 2222")
    queue_sms("+380501234567")  # the API call returned; the worker writes the SMS a moment later
    writer = threading.Timer(0.4, outbox, args=("+380501234567", "Код: 3333"))
    started = time.monotonic()
    writer.start()
    printed = json.loads(outbox_command("--last", "--phone", "+380501234567", "--wait", "5"))
    assert printed["body"] == "Код: 3333"
    assert time.monotonic() - started >= 0.35
    assert json.loads(outbox_command("--last", "--phone", "+380671112299"))["body"] == "Код: 2222"
    assert [json.loads(line)["body"] for line in outbox_command().splitlines()] == [
        "Код: 1111",
        "Код: 2222",
        "Код: 3333",
    ]


@pytest.mark.django_db
def test_outbox_last_gives_up_after_the_wait(outbox):
    queue_sms("+380501234567")
    with pytest.raises(CommandError, match=r"No SMS to \+380501234567 reached .* within 0.2 s"):
        outbox_command("--last", "--phone", "+380501234567", "--wait", "0.2")


@pytest.mark.django_db
def test_outbox_last_answers_at_once_when_no_sms_was_queued_to_the_phone(outbox):
    outbox("+380671112299", "Код: 2222")
    queue_sms("+380671112299")
    started = time.monotonic()
    with pytest.raises(CommandError, match=r"^No SMS was queued to \+380501234567, so there is nothing to wait for"):
        outbox_command("--last", "--phone", "+380501234567")  # the default wait is 10 s: not taken
    assert time.monotonic() - started < 1


@pytest.mark.django_db
def test_outbox_last_answers_at_once_when_the_newest_sms_failed(outbox):
    sms = queue_sms("+380501234567")
    SmsMessage.objects.filter(pk=sms.pk).update(status=SmsMessage.Status.FAILED, error="gateway said 503")
    started = time.monotonic()
    with pytest.raises(CommandError, match=r"The newest SMS to \+380501234567 FAILED \(gateway said 503\)"):
        outbox_command("--last", "--phone", "+380501234567")
    assert time.monotonic() - started < 1


def test_outbox_needs_the_file_backend(settings):
    settings.SMS_BACKEND = "console"
    with pytest.raises(CommandError, match=r"The outbox is the file backend's; SMS_BACKEND is 'console'\."):
        outbox_command("--last")


def test_a_web_process_freezes_what_startup_made(tmp_path):
    """config.wsgi loads the URLconf and freezes it all: the garbage collector's full passes then walk
    only what requests make (measured in-process: 9 ms a pass instead of 51)."""
    probe = (
        "import gc, sys, config.wsgi; views = sys.modules['persons.api'].__dict__; "
        "print(gc.get_freeze_count(), any(tracked is views for tracked in gc.get_objects()))"
    )
    result = python_probe(probe, tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    frozen, views_still_walked = result.stdout.split()
    assert int(frozen) > 50_000 and views_still_walked == "False"  # the views came with the URLconf, frozen
