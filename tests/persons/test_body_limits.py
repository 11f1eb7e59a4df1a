"""Every list of a person's intake body has a maximum: beyond it, 422 at the list's path, nothing written."""

import pytest

from core.models import Event
from persons.models import AuthenticationMethod, Person
from tests.conftest import verify_phone
from tests.persons.test_api import INTAKE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]

DOCUMENT = {"type": "PASSPORT", "number": "АА123456"}
PHONE = {"type": "MOBILE", "number": "+380503410870"}
METHOD = {"type": "OTP", "phone_number": "+380503410870"}


@pytest.mark.parametrize(
    ("field", "item", "maximum"),
    [("documents", DOCUMENT, 10), ("phones", PHONE, 5), ("authentication_methods", METHOD, 5)],
)
def test_intake_refuses_a_list_beyond_its_maximum(caller, field, item, maximum):
    events = Event.objects.count()
    response = caller.post("/api/persons", INTAKE | {field: [item] * (maximum + 1)}, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "validation_failed"
    assert error["invalid"] == [
        {
            "entry_type": "json_data_property",
            "entry": f"$.{field}",
            "rules": [
                {
                    "rule": "max_length",
                    "description": f"Ensure this field has no more than {maximum} elements.",
                    "params": [],
                }
            ],
        }
    ]
    assert not Person.objects.exists()
    assert not AuthenticationMethod.objects.exists()
    assert Event.objects.count() == events


def test_intake_takes_lists_up_to_their_maximum(caller):
    verify_phone(caller.client, METHOD["phone_number"])
    body = INTAKE | {"documents": [DOCUMENT] * 10, "phones": [PHONE] * 5}
    response = caller.post("/api/persons", body, format="json")
    assert response.status_code == 201, response.json()
    assert len(response.json()["data"]["documents"]) == 10


def test_intake_of_30000_documents_is_refused_before_anything_else(caller):
    response = caller.post("/api/persons", INTAKE | {"documents": [DOCUMENT] * 30_000}, format="json")
    assert response.status_code == 422
    assert [e["entry"] for e in response.json()["error"]["invalid"]] == ["$.documents"]
    assert not Person.objects.exists()


def test_the_schema_documents_the_maxima(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    properties = schema["components"]["schemas"]["PersonCreateRequest"]["properties"]
    assert {name: properties[name].get("maxItems") for name in ("documents", "phones", "authentication_methods")} == {
        "documents": 10,
        "phones": 5,
        "authentication_methods": 5,
    }
