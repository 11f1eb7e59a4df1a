"""The upgrade that bound codes to their requests, run over data made before it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("persons", "0003_back_office_groups"), ("verifications", "0003_sms_sending_status")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_open_otp_requests_expire_with_an_event_and_phone_keyed_codes_retire():
    apps = migrate(BEFORE)
    Client = apps.get_model("core", "Client")
    client = Client.objects.create(name="Old MIS", client_type="confidential", api_key_digest="x" * 64)
    Person = apps.get_model("persons", "Person")
    person, other = (
        Person.objects.create(first_name="Олена", last_name=name, birth_date="1990-01-01", gender="FEMALE")
        for name in ("Коваль", "Шевченко")
    )
    Request = apps.get_model("persons", "AuthenticationMethodRequest")
    later = timezone.now() + timezone.timedelta(days=1)
    common = {"person": person, "action": "INSERT", "client": client, "expires_at": later, "created_by": "t"}
    otp = Request.objects.create(authentication_method_current={"type": "OTP", "number": "+380931234585"}, **common)
    offline = Request.objects.create(
        authentication_method_current={"type": "OFFLINE", "number": None}, **{**common, "person": other}
    )
    code = apps.get_model("verifications", "Verification").objects.create(
        phone_number="+380931234585", code_digest="d", code_expired_at=later
    )
    apps.get_model("verifications", "SmsMessage").objects.create(
        verification=code, phone_number_masked="+38093*****85", kind="authentication_method_request", body="****"
    )

    apps = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    Request = apps.get_model("persons", "AuthenticationMethodRequest")
    assert Request.objects.get(pk=otp.pk).status == "EXPIRED"
    assert Request.objects.get(pk=offline.pk).status == "NEW"
    assert {r.legal_entity_id for r in Request.objects.all()} == {client.legal_entity_id}
    Event = apps.get_model("core", "Event")
    assert list(Event.objects.filter(entity_id=str(otp.pk)).values_list("old_value", "new_value")) == [
        ("NEW", "EXPIRED")
    ]
    retired = apps.get_model("verifications", "Verification").objects.get(pk=code.pk)
    assert (retired.status, retired.kind) == ("INACTIVE", "authentication_method_request")
