import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import get_resolver
from rest_framework.test import APIClient

from core.api.permissions import required_scopes
from core.models import Client
from core.oauth.scopes import SCOPES

pytestmark = pytest.mark.django_db


def run(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns every drf-spectacular warning into an error; --validate checks OpenAPI 3.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_schema_documents_security_and_envelope():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Api-key",
        "description": schemes["ApiKey"]["description"],
    }
    assert set(schemes["oauth2"]["flows"]) == {"clientCredentials", "authorizationCode"}
    assert set(schemes["oauth2"]["flows"]["clientCredentials"]["scopes"]) == set(SCOPES)
    assert "Meta" in schema["components"]["schemas"]


def test_every_list_of_a_request_body_has_a_maximum():
    """Bounded input: each array a client may send is `maxItems`-bounded (the serializer's
    `max_length`, which core.api.schema documents), so no body can carry 30 000 documents."""
    schema = json.loads(APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    components = schema["components"]["schemas"]
    unbounded, seen = [], set()

    def walk(node, where):
        if isinstance(node, list):
            for item in node:
                walk(item, where)
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                walk(components[name], name)
        if node.get("type") == "array" and "maxItems" not in node:
            unbounded.append(where)
        for key, value in node.items():
            walk(value, f"{where}.{key}")

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                walk(operation["requestBody"], f"{method} {path}")
    assert {"PersonCreateRequest", "ApprovalCreateRequest"} <= seen
    assert unbounded == []


def test_operations_are_grouped_under_human_tags_and_say_nothing_of_seeds():
    schema = json.loads(APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    tags, texts = {}, []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict):
                tags.setdefault(tuple(operation["tags"]), []).append(f"{method.upper()} {path}")
                texts.append(json.dumps([operation.get("summary"), operation.get("description")]))
    names = {tag for names in tags for tag in names}
    assert {
        "OTP verifications",
        "Persons",
        "Authentication-method requests",
        "Merge requests",
        "Declaration requests",
        "Approvals",
        "Jobs",
        "Document uploads",
    } <= names
    # a path's first word is no tag: every viewset names its own
    assert not names & {"v3", "patients", "persons", "merge_requests", "verifications", "jobs", "uploads"}
    assert all(name[0].isupper() for name in names - {"health"}), names  # "health": the health view's own
    assert "POST /api/v3/declaration_requests" in tags[("Declaration requests",)]
    assert "PATCH /api/patients/{patient_id}/approvals/{id}" in tags[("Approvals",)]
    texts += [json.dumps(component.get("description")) for component in schema["components"]["schemas"].values()]
    assert not [text for text in texts if "seed 0" in text.lower()]


def test_swagger_ui_is_served_offline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn.jsdelivr" not in response.content


def test_every_api_action_declares_a_scope():
    """Fail-closed permission: an API action without a scope would be unusable, so catch it here."""
    missing = []
    for pattern in get_resolver().url_patterns:
        for sub in getattr(pattern, "url_patterns", []):
            callback = getattr(sub, "callback", None)
            cls = getattr(callback, "cls", None)
            actions = getattr(callback, "actions", None)
            if cls is None or not actions:
                continue
            for action in actions.values():
                view = cls(action=action)
                if required_scopes(view) is None:
                    missing.append(f"{cls.__name__}.{action}")
    assert missing == []


def test_create_client_prints_credentials_once():
    data = run("create_client", "--name", "Clinic 1", "--scopes", "otp:read otp:write")
    client = Client.objects.get(client_id=data["client_id"])
    assert client.scope_list == ["otp:read", "otp:write"]
    assert client.has_api_key(data["api_key"])
    assert data["client_secret"] not in client.client_secret  # hashed by django-oauth-toolkit
    assert set(data) == {"client_id", "client_secret", "api_key", "legal_entity_id", "id"}
    assert data["id"] == str(client.uuid)  # who acted, in updated_by and the audit trail


def test_create_client_rejects_unknown_scope():
    with pytest.raises(CommandError, match=r"\$\.scopes: Unknown scopes: nope"):
        run("create_client", "--name", "Clinic", "--scopes", "otp:read nope")


def test_issue_token_gives_a_working_token():
    created = run("create_client", "--name", "Clinic", "--scopes", "otp:read otp:write")
    token = run("issue_token", "--client", created["client_id"], "--scopes", "otp:read", "--expires-in", "120")
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 120
    assert token["scope"] == "otp:read"
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}", HTTP_API_KEY=created["api_key"])
    assert http.get("/api/health").status_code == 200


def test_issue_token_refuses_scopes_beyond_the_client():
    created = run("create_client", "--name", "Clinic", "--scopes", "otp:read")
    with pytest.raises(CommandError, match="Client may not have scopes: otp:write"):
        run("issue_token", "--client", created["client_id"], "--scopes", "otp:write")


def test_issue_token_for_unknown_client():
    with pytest.raises(CommandError, match="No client with client_id nope"):
        run("issue_token", "--client", "nope", "--scopes", "otp:read")


def manage_py(*argv) -> tuple[int, str, str]:
    """`manage.py <argv>` as typed in a shell: its exit code, stdout and stderr."""
    import contextlib
    from io import StringIO

    from django.core.management import ManagementUtility

    out, err = StringIO(), StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            ManagementUtility(["manage.py", *argv]).execute()
            code = 0
        except SystemExit as exit:
            code = exit.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db(transaction=True)  # manage.py closes the database connections when a command ends
@pytest.mark.parametrize(
    "argv, message",
    [
        (["create_client", "--name", "Clinic", "--scopes", "otp:read nope"], "Unknown scopes: nope"),
        (["create_client", "--scopes", "otp:read"], "the following arguments are required: --name"),
        (["issue_token", "--client", "nope", "--scopes", "otp:read"], "No client with client_id nope"),
        (["issue_token", "--client", "{client}", "--scopes", "otp:write"], "Client may not have scopes: otp:write"),
        (["issue_token", "--client", "{client}", "--scopes", "otp:read", "--user", "ghost"], "No user ghost"),
        (["issue_token", "--client", "{client}", "--scopes", "otp:read", "--expires-in", "soon"], "invalid int"),
        (["create_employee", "--client", "nope", "--speciality", "THERAPIST"], "Client not found: nope"),
        (["create_employee", "--client", "{client}", "--speciality", "SURGEON"], "--speciality must be one of"),
        (["create_employee", "--speciality", "THERAPIST"], "the following arguments are required: --client"),
    ],
)
def test_every_operator_command_exits_2_on_bad_input(argv, message):
    """One convention for the three commands an operator types: refused input exits 2 with the reason on
    stderr, as argparse's own usage errors do; nothing is printed on stdout and nothing is made."""
    client_id = run("create_client", "--name", "Clinic", "--scopes", "otp:read")["client_id"]
    code, out, err = manage_py(*[arg.replace("{client}", client_id) for arg in argv])
    assert code == 2, (out, err)
    assert message in err and out == ""
    assert Client.objects.count() == 1


def test_seed_demo_is_idempotent():
    first = run("seed_demo")
    second = run("seed_demo")
    assert first["client_id"] == second["client_id"]
    assert Client.objects.filter(name="Demo MIS").count() == 1
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {second['access_token']}", HTTP_API_KEY=second["api_key"])
    assert http.get("/api/health").status_code == 200


def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _manage(*args, **env):
    import os
    import subprocess
    import sys

    from django.conf import settings

    test_only = ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "SMS_BACKEND")
    environment = {k: v for k, v in os.environ.items() if k not in test_only}
    # DEBUG stated, so a developer's own `.env` (which `make run` writes with DEBUG on) cannot turn it on
    environment.update({"DEBUG": "false", **env}, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
    )


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 60 + "prod-like-secret",
        ALLOWED_HOSTS="e.org",
        SMS_BACKEND="http",
        SMS_HTTP_URL="https://sms.example.org/send",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr
