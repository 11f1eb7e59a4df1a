"""An approval's lists have a maximum: 100 granted resources, one coding per reference; beyond it,
422 at the list's path and nothing written (nor sent)."""

import uuid

import pytest

from approvals.models import Approval
from core.models import Event
from verifications.models import Verification
from verifications.sms import locmem

from .conftest import body, reference, url

pytestmark = pytest.mark.django_db


def resources(count: int) -> list[dict]:
    return [reference("episode_of_care", str(uuid.uuid4())) for _ in range(count)]


def test_101_granted_resources_are_refused(caller, doctor, patient, send):
    events = Event.objects.count()
    response = send(caller.post, url(patient), body(doctor, granted_resources=resources(101)), format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "validation_failed"
    assert [(e["entry"], e["rules"][0]["rule"], e["rules"][0]["description"]) for e in error["invalid"]] == [
        ("$.granted_resources", "max_length", "Ensure this field has no more than 100 elements.")
    ]
    assert not Approval.objects.exists()
    assert not Verification.objects.exists()
    assert Event.objects.count() == events
    assert locmem.outbox == []


def test_100_granted_resources_are_taken(caller, doctor, patient, send):
    response = send(caller.post, url(patient), body(doctor, granted_resources=resources(100)), format="json")
    assert response.status_code == 201, response.json()
    assert len(Approval.objects.get().granted_resources) == 100


def test_a_second_coding_is_refused(caller, doctor, patient):
    twice = reference("episode_of_care", str(uuid.uuid4()))
    twice["identifier"]["type"]["coding"] *= 2
    response = caller.post(url(patient), body(doctor, granted_resources=[twice]), format="json")
    assert response.status_code == 422
    assert [e["entry"] for e in response.json()["error"]["invalid"]] == [
        "$.granted_resources[0].identifier.type.coding"
    ]
    assert not Approval.objects.exists()


def test_the_schema_documents_the_maxima(client):
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["components"]["schemas"]
    granted = schemas["ApprovalCreateRequest"]["properties"]["granted_resources"]
    assert (granted["minItems"], granted["maxItems"]) == (1, 100)
    assert schemas["ResourceTypeRequest"]["properties"]["coding"]["maxItems"] == 1
