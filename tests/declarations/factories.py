"""factory_boy graphs for declarations: an employee belongs to a client (its legal entity)."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from declarations.models import Declaration, DeclarationRequest, Employee
from tests.persons.factories import PersonFactory


class EmployeeFactory(DjangoModelFactory):
    """`EmployeeFactory(client=caller.client)`: a working doctor of that client's legal entity."""

    class Meta:
        model = Employee

    legal_entity_id = factory.LazyAttribute(lambda o: o.client.legal_entity_id)
    first_name = "Ірина"
    last_name = factory.Sequence(lambda n: f"Коваленко-{n}")
    second_name = "Петрівна"
    speciality = Employee.Speciality.FAMILY_DOCTOR
    tax_id = factory.Sequence(lambda n: f"{2900000000 + n}")  # their DRFO: the signing certificate names it

    class Params:
        dismissed = factory.Trait(status=Employee.Status.DISMISSED)


class DeclarationFactory(DjangoModelFactory):
    """`DeclarationFactory(employee=doctor)`: an active declaration of a new person with that doctor."""

    class Meta:
        model = Declaration

    person = factory.SubFactory(PersonFactory)
    legal_entity_id = factory.LazyAttribute(lambda o: o.employee.legal_entity_id)
    declaration_number = factory.Sequence(lambda n: f"TEST-{n:04d}-0000")
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2046, 1, 1)

    class Params:
        terminated = factory.Trait(status=Declaration.Status.TERMINATED)


class DeclarationRequestFactory(DjangoModelFactory):
    """An APPROVED request of the doctor (what counts against their limit besides declarations)."""

    class Meta:
        model = DeclarationRequest

    person = factory.SubFactory(PersonFactory)
    client = factory.LazyAttribute(lambda o: o.employee.client)
    legal_entity_id = factory.LazyAttribute(lambda o: o.employee.legal_entity_id)
    status = DeclarationRequest.Status.APPROVED
    authentication_method_current = factory.LazyFunction(lambda: {"type": "NA", "number": None, "method_id": ""})
    declaration_number = factory.Sequence(lambda n: f"REQ-{n:04d}-0000")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    created_by = "test"
    updated_by = "test"


def parent_declaration(person) -> Declaration:
    """An active declaration of `person` with a doctor of another clinic: the parent declaration that
    lets the person's own NA confirm a new request."""
    from core.oauth.services import client_create

    other_clinic = client_create(name="Parent declaration's MIS", scopes=[]).client
    return DeclarationFactory(person=person, employee=EmployeeFactory(client=other_clinic))
