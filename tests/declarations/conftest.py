import re

import pytest

from verifications.sms import locmem

URL = "/api/v3/declaration_requests"


@pytest.fixture(autouse=True)
def empty_outbox(settings):
    """Each test starts with no SMS sent; several codes may go to one phone in a row."""
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SEND_LIMIT = 1000
    settings.OTP_PHONE_SEND_LIMIT = 1000
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


def last_code(phone_number: str) -> str:
    """The code of the last SMS to the phone, read from the in-memory outbox as the patient would."""
    body = next(m["body"] for m in reversed(locmem.outbox) if m["phone_number"] == phone_number)
    return re.search(r"(\d+)$", body).group(1)


def wrong(code: str) -> str:
    return "1" * len(code) if code != "1" * len(code) else "2" * len(code)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run an API call and the SMS tasks it queues on commit, as the worker would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def doctor(caller):
    from tests.declarations.factories import EmployeeFactory

    return EmployeeFactory(client=caller.client)


@pytest.fixture
def create(caller, send, doctor):
    """POST a declaration request for the person to `doctor` (or `employee`); the response."""

    def run(person, employee=None, who=None, **extra):
        body = {"person_id": str(person.pk), "employee_id": str((employee or doctor).pk), **extra}
        return send((who or caller).post, URL, body, format="json")

    return run


def act(caller, request_id, name, body=None, method="patch"):
    return getattr(caller, method)(f"{URL}/{request_id}/actions/{name}", body, format="json")


def error(response) -> dict:
    return response.json()["error"]


def invalid(response) -> list[tuple[str, str]]:
    return [(e["entry"], r["description"]) for e in error(response)["invalid"] for r in e["rules"]]


def with_parent(person) -> dict:
    """The create body's part that lets an NA person's own NA confirm: a parent declaration of theirs."""
    from tests.declarations.factories import parent_declaration

    return {"parent_declaration_id": str(parent_declaration(person).pk)}


def chain_seed(previous: str, data_to_be_signed: dict) -> str:
    """Step 5 as the seed document states it, the test's own oracle: SHA-256 over the previous approved
    request's seed and this request's data to be signed (canonical JSON)."""
    import hashlib
    import json

    signed = json.dumps(data_to_be_signed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous + signed).encode()).hexdigest()


# --- signing -----------------------------------------------------------------------------------------


@pytest.fixture
def pki(settings, tmp_path):
    """The `cms` backend trusting one test CA (its PEM in SIGNATURE_TRUSTED_CERTS); `pki.holder(doctor)`
    is the doctor's certificate from it (subject serialNumber TINUA-<their tax id>), `pki.other` a CA
    nobody trusts."""
    from types import SimpleNamespace

    from tests.declarations.pki import issue, make_ca, pem

    ca, other = make_ca("Test qualified CA"), make_ca("Another CA")
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(pem(ca))
    settings.SIGNATURE_BACKEND = "cms"
    settings.SIGNATURE_TRUSTED_CERTS = str(trusted)

    def holder(employee, algorithm="rsa", *, issuer=None, serial_number=None):
        serial_number = f"TINUA-{employee.tax_id}" if serial_number is None else serial_number
        return issue(issuer or ca, serial_number=serial_number, algorithm=algorithm, label=algorithm)

    return SimpleNamespace(ca=ca, other=other, holder=holder, trusted=trusted)


def phone_of(person) -> str:
    return person.authentication_methods.get(type="OTP").phone_number


@pytest.fixture
def approved(caller, create, send):
    """An APPROVED request of `person` (a new OTP person by default) to `employee` (`doctor`), confirmed
    as its method asks (the code, the uploaded scans, nothing for NA): the approve's data."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from core.documents.uploads import storage_name
    from declarations.models import DeclarationRequest
    from tests.persons.factories import PersonFactory

    def run(person=None, employee=None, who=None, **extra):
        who = who or caller
        person = person or PersonFactory()
        response = create(person, employee, who, **extra)
        assert response.status_code == 201, response.json()
        data = response.json()["data"]
        body = {}
        confirmed_by = data["authentication_method_current"]["type"]
        if confirmed_by == "OTP":
            body = {"verification_code": last_code(phone_of(person))}
        elif confirmed_by == "OFFLINE":
            owner = DeclarationRequest.objects.get(pk=data["id"])
            for type in data["documents"]:
                jpeg = ContentFile(b"\xff\xd8\xff\xe0" + b"\x00" * 16)
                default_storage.save(storage_name(owner=owner, type=type), jpeg)
        response = send(act, who, data["id"], "approve", body)
        assert response.status_code == 201, response.json()
        return response.json()["data"]

    return run


def to_be_signed(data: dict) -> dict:
    """What the doctor signs, as the API documents it: `data_to_be_signed` with `patient_signed: true`
    and the request's `seed` (both read from the request, as an MIS reads them)."""
    return {**data["data_to_be_signed"], "patient_signed": True, "seed": data["seed"]}


def sign_body(content: bytes, *holders) -> dict:
    from tests.declarations.pki import b64, sign

    return {"signed_declaration_request": b64(sign(content, *holders)), "signed_content_encoding": "base64"}


def sign(caller, data: dict, holder, *, content: dict | None = None, **overrides):
    """PATCH .../actions/sign of the approved request `data`, signed by `holder` over `content` (by
    default what the doctor must sign)."""
    from tests.declarations.pki import content_of

    body = {**sign_body(content_of(to_be_signed(data) if content is None else content), holder), **overrides}
    return act(caller, data["id"], "sign", body)
