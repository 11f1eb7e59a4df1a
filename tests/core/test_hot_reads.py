"""The hot reads load the same instances a queryset would, on either database."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken

from core.api.errors import NotFound
from core.models import Client
from core.oauth.authentication import access_token_for
from declarations.models import DeclarationRequest
from declarations.selectors import declaration_request_lock
from persons.models import Person
from persons.selectors import person_lock
from tests.declarations.factories import DeclarationRequestFactory, EmployeeFactory
from tests.persons.factories import PersonFactory


def values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_the_token_and_its_client_as_the_orm_loads_them(caller):
    token = access_token_for(caller.token)
    assert values(token) == values(AccessToken.objects.get(pk=token.pk))
    assert values(token.application) == values(Client.objects.get(pk=caller.client.pk))
    assert token.application.has_api_key(caller.api_key)


def test_no_token_for_an_unknown_or_expired_value(caller):
    assert access_token_for("not-a-token") is None
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert access_token_for(caller.token) is None


def test_a_persons_lock_loads_every_field(db):
    person = PersonFactory(tax_id="1234567890")
    with transaction.atomic():
        locked = person_lock(person.pk)
    assert values(locked) == values(Person.objects.get(pk=person.pk))
    assert isinstance(locked.birth_date, type(person.birth_date))


def test_a_persons_lock_in_another_status_is_none(db):
    person = PersonFactory()
    Person.objects.filter(pk=person.pk).update(status=Person.Status.INACTIVE)
    with transaction.atomic():
        assert person_lock(person.pk) is None
        assert person_lock(person.pk, status=None).status == Person.Status.INACTIVE


def test_a_requests_lock_loads_it_with_its_person_and_doctor(caller, caller_factory):
    doctor = EmployeeFactory(client=caller.client)
    request = DeclarationRequestFactory(employee=doctor, data_to_be_signed={"a": [1, "ї"], "b": None})
    with transaction.atomic():
        person, locked, locked_doctor = declaration_request_lock(request_id=str(request.pk), client=caller.client)
    assert values(locked) == values(DeclarationRequest.objects.get(pk=request.pk))
    assert locked.data_to_be_signed == {"a": [1, "ї"], "b": None}
    assert (locked.person, locked.employee) == (person, locked_doctor)
    assert values(person) == values(request.person) and values(locked_doctor) == values(doctor)


def test_another_legal_entitys_request_is_not_found(caller, caller_factory):
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client))
    with transaction.atomic(), pytest.raises(NotFound):
        declaration_request_lock(request_id=request.pk, client=caller_factory(name="Other MIS").client)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_locking_read_outside_a_transaction_is_refused_as_select_for_update_is():
    from django.db import transaction

    person = PersonFactory()
    with pytest.raises(transaction.TransactionManagementError):
        person_lock(person.pk)
