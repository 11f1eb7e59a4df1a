"""`SIGNATURE_BACKEND = "http"`: the signature is verified by an external service (DSTU 4145), here a
real HTTP server on 127.0.0.1 started by the test, which answers what it is told to."""

import base64
import json

import pytest

from declarations.models import Declaration, DeclarationRequest
from tests.declarations.conftest import act, error, invalid, to_be_signed
from tests.local_http import LocalJsonService

pytestmark = pytest.mark.django_db

SIGNED = "$.signed_declaration_request"
# what the MIS sends: opaque to this service with the http backend (the external service parses it)
DOCUMENT = b"\x30\x80 a DSTU 4145 signed document"


class SignatureService(LocalJsonService):
    """Answers each POST with `status` and `answer` (a dict, sent as JSON, or bytes as they are)."""

    def __init__(self, answer=None, status: int = 200):
        super().__init__("/verify")
        self.answer, self.status = answer, status

    def respond(self):
        return self.status, self.answer


@pytest.fixture
def service(settings):
    with SignatureService() as running:
        settings.SIGNATURE_BACKEND = "http"
        settings.SIGNATURE_HTTP_URL = running.url
        settings.SIGNATURE_HTTP_TOKEN = "service-token"
        settings.SIGNATURE_HTTP_TIMEOUT_SECONDS = 5
        yield running


def send_document(caller, data):
    body = {"signed_declaration_request": base64.b64encode(DOCUMENT).decode(), "signed_content_encoding": "base64"}
    return act(caller, data["id"], "sign", body)


@pytest.mark.parametrize("as_json", [True, False])
def test_a_valid_answer_makes_the_declaration(caller, doctor, approved, service, as_json):
    data = approved()
    content = to_be_signed(data)
    service.answer = {
        "is_valid": True,
        "content": content if as_json else base64.b64encode(json.dumps(content).encode()).decode(),
        "signer": {"drfo": f"TINUA-{doctor.tax_id}"},
    }
    response = send_document(caller, data)
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["status"] == "active"
    assert DeclarationRequest.objects.get(pk=data["id"]).status == "SIGNED"
    (sent,) = service.requests
    assert sent["json"] == {
        "signed_content": base64.b64encode(DOCUMENT).decode(),
        "signed_content_encoding": "base64",
    }
    assert sent["headers"]["Authorization"] == "Bearer service-token"


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        ({"is_valid": False, "content": None, "signer": {}}, 200, "Invalid signature"),
        ({"error": "not a signed document"}, 422, "Invalid signature"),
        (
            {"is_valid": True, "signatures_count": 2, "content": {}, "signer": {}},
            200,
            "Document must contain 1 signature",
        ),
    ],
)
def test_the_services_refusals(caller, doctor, approved, service, answer, status, message):
    data = approved()
    service.answer, service.status = answer, status
    response = send_document(caller, data)
    assert response.status_code == 422
    assert invalid(response) == [(SIGNED, message)]
    assert Declaration.objects.count() == 0


def test_the_services_content_is_compared(caller, doctor, approved, service):
    data = approved()
    service.answer = {
        "is_valid": True,
        "content": {**to_be_signed(data), "seed": "x"},
        "signer": {"drfo": doctor.tax_id},
    }
    response = send_document(caller, data)
    assert invalid(response) == [(SIGNED, "Signed content does not match the previously created content")]


def test_the_services_signer_is_compared(caller, doctor, approved, service):
    data = approved()
    service.answer = {"is_valid": True, "content": to_be_signed(data), "signer": {"drfo": "1234567890"}}
    response = send_document(caller, data)
    assert invalid(response) == [(SIGNED, "Does not match the signer drfo")]


@pytest.mark.parametrize(("answer", "status"), [({"error": "down"}, 500), (b"<html>gateway</html>", 200), ([], 200)])
def test_a_broken_service_is_503(caller, doctor, approved, service, answer, status):
    data = approved()
    service.answer, service.status = answer, status
    response = send_document(caller, data)
    assert response.status_code == 503
    assert error(response)["message"] == "Signature verification is unavailable"
    assert DeclarationRequest.objects.get(pk=data["id"]).status == "APPROVED"


def test_an_unreachable_service_is_503(caller, doctor, approved, settings):
    data = approved()
    with SignatureService() as stopped:
        url = stopped.url
    settings.SIGNATURE_BACKEND, settings.SIGNATURE_HTTP_URL = "http", url
    response = send_document(caller, data)
    assert response.status_code == 503
