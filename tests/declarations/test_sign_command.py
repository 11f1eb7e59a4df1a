"""`make_dev_ca` and `sign_declaration_request`: a newcomer's way from an approved request to an active
declaration, signed as its doctor with the development CA under SIGNATURE_DEV_CA_DIR."""

import json
import re
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from declarations.models import Declaration, DeclarationRequest, Employee
from tests.persons.factories import PersonFactory
from verifications.sms import locmem

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_ca(settings, tmp_path):
    """The development CA's folder, trusted as `make run` (DEBUG) trusts it."""
    settings.SIGNATURE_BACKEND = "cms"
    settings.SIGNATURE_DEV_CA_DIR = tmp_path / "dev-ca"
    settings.SIGNATURE_TRUSTED_CERTS = str(tmp_path / "dev-ca" / "ca.pem")
    return tmp_path / "dev-ca"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_make_dev_ca_makes_it_once(dev_ca):
    assert run("make_dev_ca").strip() == f"Made the development CA: {dev_ca / 'ca.pem'}"
    first = (dev_ca / "ca.pem").read_bytes()
    assert run("make_dev_ca").strip() == f"Kept the development CA: {dev_ca / 'ca.pem'}"
    assert (dev_ca / "ca.pem").read_bytes() == first
    assert stat.S_IMODE((dev_ca / "ca-key.pem").stat().st_mode) == 0o600


def code_sent_to(phone: str) -> str:
    body = next(sms["body"] for sms in reversed(locmem.outbox) if sms["phone_number"] == phone)
    return re.search(r"(\d+)\s*$", body).group(1)


def test_from_the_demo_to_an_active_declaration(dev_ca, settings, tmp_path, django_capture_on_commit_callbacks):
    """seed_demo (as `make run`), the walkthrough's create and approve over the API, then the command."""
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-credentials.json"
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    locmem.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        demo = json.loads(run("seed_demo"))
    assert Employee.objects.get(pk=demo["employee"]["id"]).tax_id  # the demo doctor can sign
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {demo['access_token']}", HTTP_API_KEY=demo["api_key"])
    body = {"person_id": demo["declaration_patient"], "employee_id": demo["employee"]["id"]}
    with django_capture_on_commit_callbacks(execute=True):
        request = http.post("/api/v3/declaration_requests", body, format="json").json()["data"]
    approve = f"/api/v3/declaration_requests/{request['id']}/actions/approve"
    code = code_sent_to("+380631234567")
    assert http.patch(approve, {"verification_code": code}, format="json").status_code == 201

    signed = json.loads(run("sign_declaration_request", request["id"]))

    declaration = Declaration.objects.get(pk=signed["declaration_id"])
    assert signed["status"] == declaration.status == "active"
    assert signed["declaration_number"] == request["declaration_number"]
    assert DeclarationRequest.objects.get(pk=request["id"]).status == "SIGNED"
    assert declaration.updated_by == "command:sign_declaration_request"
    assert (dev_ca / "ca.pem").exists()  # made on first use
    read = http.get(f"/api/declarations/{declaration.pk}").json()["data"]
    assert read["status"] == "active"

    with pytest.raises(CommandError, match="Declaration request is not in status APPROVED") as refused:
        run("sign_declaration_request", request["id"])
    assert refused.value.returncode == 2


def test_the_command_refuses_what_it_cannot_sign(dev_ca, caller, approved):
    with pytest.raises(CommandError, match="Not a declaration request id: nope") as bad:
        run("sign_declaration_request", "nope")
    assert bad.value.returncode == 2
    with pytest.raises(CommandError, match="Declaration request not found"):
        run("sign_declaration_request", "00000000-0000-0000-0000-000000000000")
    data = approved(PersonFactory())
    Employee.objects.filter(pk=data["employee_id"]).update(tax_id="")
    with pytest.raises(CommandError, match="has no tax id") as no_tax_id:
        run("sign_declaration_request", data["id"])
    assert no_tax_id.value.returncode == 2


def test_without_the_development_ca_trusted_the_command_fails_as_the_api_would(dev_ca, settings, approved):
    settings.SIGNATURE_TRUSTED_CERTS = ""
    data = approved(PersonFactory())
    with pytest.raises(CommandError, match="Signature verification is unavailable") as failed:
        run("sign_declaration_request", data["id"])
    assert failed.value.returncode == 1


def test_create_employee_takes_the_tax_id(caller):
    out = run(
        "create_employee", "--client", caller.client.client_id, "--speciality", "THERAPIST", "--tax-id", "3111910005"
    )
    assert Employee.objects.get(pk=json.loads(out)["id"]).tax_id == "3111910005"
    with pytest.raises(CommandError, match="tax_id: Must be 10 digits") as refused:
        run("create_employee", "--client", caller.client.client_id, "--speciality", "THERAPIST", "--tax-id", "12")
    assert refused.value.returncode == 2
