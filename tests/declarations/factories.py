"""factory_boy graphs for declarations: an employee belongs to a client (its legal entity)."""

import factory
from factory.django import DjangoModelFactory

from declarations.models import Employee


class EmployeeFactory(DjangoModelFactory):
    """`EmployeeFactory(client=caller.client)`: a working doctor of that client's legal entity."""

    class Meta:
        model = Employee

    legal_entity_id = factory.LazyAttribute(lambda o: o.client.legal_entity_id)
    first_name = "Ірина"
    last_name = factory.Sequence(lambda n: f"Коваленко-{n}")
    second_name = "Петрівна"
    speciality = Employee.Speciality.FAMILY_DOCTOR

    class Params:
        dismissed = factory.Trait(status=Employee.Status.DISMISSED)
