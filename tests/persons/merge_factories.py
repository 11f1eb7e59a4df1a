import datetime

import factory

from persons.models import AuthenticationMethod, Person


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = "Олена"
    last_name = factory.Sequence(lambda n: f"Петренко-{n}")
    birth_date = datetime.date(1990, 1, 1)
    gender = Person.Gender.FEMALE
    documents = factory.LazyFunction(lambda: [{"type": "NATIONAL_ID", "number": "123456789"}])


class AuthenticationMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthenticationMethod

    person = factory.SubFactory(PersonFactory)
    type = AuthenticationMethod.Type.OTP
    phone_number = factory.Sequence(lambda n: f"+38050{n:07d}")

    class Params:
        offline = factory.Trait(type=AuthenticationMethod.Type.OFFLINE, phone_number="")
        na = factory.Trait(type=AuthenticationMethod.Type.NA, phone_number="")
        third = factory.Trait(
            type=AuthenticationMethod.Type.THIRD_PERSON,
            phone_number="",
            third_person=factory.SubFactory(PersonFactory),
        )
