"""The OpenAPI document says what the service answers; text fields refuse control characters;
`X-Forwarded-Proto` counts only behind a declared proxy."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from tests.persons.factories import AuthenticationMethodFactory, PersonFactory

pytestmark = pytest.mark.django_db

BASE = "/api/persons/{}/authentication_method_requests"


@pytest.fixture(scope="module")
def openapi(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/?format=json").json()


def resolve(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def missing_required(document, schema, data, path="$") -> list[str]:
    """Every key the schema marks required that the answer leaves out (a response-side check)."""
    schema = resolve(document, schema)
    if data is None:
        return []
    for part in schema.get("allOf", []):
        return missing_required(document, part, data, path)
    if isinstance(data, dict):
        gaps = [f"{path}.{key}" for key in schema.get("required", []) if key not in data]
        for key, sub in schema.get("properties", {}).items():
            if key in data:
                gaps += missing_required(document, sub, data[key], f"{path}.{key}")
        return gaps
    if isinstance(data, list) and "items" in schema:
        items = schema["items"]
        return [gap for i, item in enumerate(data) for gap in missing_required(document, items, item, f"{path}[{i}]")]
    return []


def response_schema(document, path, method, status):
    return document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


@pytest.mark.parametrize(
    "body",
    [
        lambda method: {"action": "UPDATE", "authentication_method": {"id": str(method.id), "alias": "wife"}},
        lambda method: {"action": "DEACTIVATE", "authentication_method": {"id": str(method.id)}},
        lambda method: {"action": "INSERT", "authentication_method": {"type": "OFFLINE"}},
    ],
    ids=["update", "deactivate", "insert"],
)
def test_authentication_method_request_201_matches_its_schema(caller, openapi, body):
    person = PersonFactory(primary__phone_number="+380931234585")
    trusted = AuthenticationMethodFactory(person=person, type="THIRD_PERSON", alias="husband")
    response = caller.post(BASE.format(person.id), body(trusted), format="json")
    assert response.status_code == 201, response.json()
    schema = response_schema(openapi, "/api/persons/{person_id}/authentication_method_requests", "post", 201)
    assert missing_required(openapi, schema, response.json()) == []


def test_requested_method_has_no_required_keys(openapi):
    assert "required" not in openapi["components"]["schemas"]["RequestedMethodOut"]


# --- control characters ---------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["wi\x00fe", "wife\x1b[31m", "line\nbreak", "tab\there", "del\x7f", "c1\x85c1"])
def test_control_characters_in_a_text_field_are_422(caller, alias):
    person = PersonFactory(primary__phone_number="+380931234585")
    trusted = AuthenticationMethodFactory(person=person, type="THIRD_PERSON")
    body = {"action": "UPDATE", "authentication_method": {"id": str(trusted.id), "alias": alias}}
    response = caller.post(BASE.format(person.id), body, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["invalid"] == [
        {
            "entry_type": "json_data_property",
            "entry": "$.authentication_method.alias",
            "rules": [{"rule": "format", "description": "Must not contain control characters", "params": []}],
        }
    ]


@pytest.mark.urls("tests.core.probe_urls")
def test_every_text_field_of_a_strict_serializer_refuses_them(caller):
    response = caller.post(
        "/api/probe/text", {"name": "a\x07b", "names": ["ok", "x\x00"], "nested": {"note": "\x1f"}}, format="json"
    )
    assert response.status_code == 422
    assert [entry["entry"] for entry in response.json()["error"]["invalid"]] == [
        "$.name",
        "$.names[1]",
        "$.nested.note",
    ]


@pytest.mark.urls("tests.core.probe_urls")
def test_ordinary_text_passes(caller):
    body = {"name": "Петро Іванов-Шевченко 😀", "names": ["ок"], "nested": {"note": "ʼапостроф"}}
    response = caller.post("/api/probe/text", body, format="json")
    assert response.status_code == 200
    assert response.json()["data"] == body


# --- the proxy header -----------------------------------------------------------------------------


def test_forwarded_proto_from_a_client_is_ignored_without_a_declared_proxy(client):
    assert django_settings.TRUSTED_PROXY_COUNT == 0
    assert django_settings.SECURE_PROXY_SSL_HEADER is None
    response = client.get("/api/health", HTTP_X_FORWARDED_PROTO="https")
    assert response.json()["meta"]["url"] == "http://testserver/api/health"


@pytest.mark.parametrize(("count", "header"), [("0", None), ("1", ("HTTP_X_FORWARDED_PROTO", "https"))])
def test_trusted_proxy_count_decides_the_proxy_header(count, header):
    env = {**os.environ, "DEBUG": "true", "TRUSTED_PROXY_COUNT": count}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = "import config.settings as s; print(repr(s.SECURE_PROXY_SSL_HEADER))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == repr(header)
