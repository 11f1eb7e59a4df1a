"""Demo persons, one per authentication method, and one open authentication-method request.

The OTP person is the one docs/api.md's walkthrough asks for a third person: no demo code goes to
their phone. The open request is the OFFLINE person's (adding a phone, confirmed by her documents), so
it sends no SMS either.
"""

from datetime import date

from django.utils import timezone

from core.api.errors import ApiError
from core.demo import created, skipped
from persons.models import AuthenticationMethod, AuthenticationMethodRequest, Person
from persons.services import authentication_method_request_create, person_create

DEMO_ACTOR = "demo"


def demo_person(context: dict, *, lookup: dict, **data) -> Person:
    """The demo person found by `lookup` (a natural key), registered through intake when missing; every
    app's demo makes its persons with it."""
    person = Person.objects.filter(**lookup).order_by("created_at").first()
    if person is None:
        person = person_create(**lookup, **data, actor=DEMO_ACTOR)
        created(context, f"person {person.last_name} {person.first_name}")
    return person


def _open_request(context: dict, *, person: Person, third: Person) -> AuthenticationMethodRequest | None:
    """The person's NEW request of the demo client's legal entity, whoever made it; one is made only when
    there is none, as a newer request would cancel it. It names `third` their third person (a new OTP
    phone would first have to be verified by the client, through the verification endpoints)."""
    client = context["client"]
    requests = AuthenticationMethodRequest.objects.filter(person=person, legal_entity_id=client.legal_entity_id)
    request = requests.filter(status=AuthenticationMethodRequest.Status.NEW).first()
    if request is not None:
        return request
    try:
        request = authentication_method_request_create(
            person_id=person.id,
            action="INSERT",
            authentication_method={"type": "THIRD_PERSON", "value": str(third.id), "alias": "husband"},
            client=client,
            actor=DEMO_ACTOR,
        )
    except ApiError as error:  # e.g. the person's methods changed so that the rules refuse it
        skipped(context, "authentication-method request", error)
        return None
    created(context, "authentication-method request")
    return request


def seed(context: dict) -> dict:
    otp = demo_person(
        context,
        lookup={"tax_id": "3346812319"},
        first_name="Петро",
        last_name="Іванов",
        second_name="Миколайович",
        birth_date=date(1991, 8, 19),
        gender="MALE",
        documents=[{"type": "PASSPORT", "number": "АА123456"}],
        phones=[{"type": "MOBILE", "number": "+380503410870"}],
        authentication_methods=[{"type": "OTP", "phone_number": "+380503410870", "alias": "mobile"}],
    )
    offline = demo_person(
        context,
        lookup={"last_name": "Коваль", "first_name": "Олена", "birth_date": date(1985, 3, 2)},
        gender="FEMALE",
        no_tax_id=True,
        documents=[{"type": "NATIONAL_ID", "number": "000123456"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )
    child = demo_person(
        context,
        lookup={"last_name": "Іванова", "first_name": "Марія", "birth_date": date(2018, 4, 12)},
        gender="FEMALE",
        no_tax_id=True,
        documents=[{"type": "BIRTH_CERTIFICATE", "number": "І-АА 123456"}],
        authentication_methods=[{"type": "NA"}],
    )
    if not child.authentication_methods.active().filter(type="THIRD_PERSON", third_person=otp).exists():
        # demo data only: a real third person is added by an approved INSERT request
        AuthenticationMethod.objects.create(
            person=child, type="THIRD_PERSON", third_person=otp, alias="father", started_at=timezone.now()
        )
    request = _open_request(context, person=offline, third=otp)
    context["persons"] = {"otp": otp, "offline": offline, "na": child}  # for the other apps' demo data
    from persons.merges import demo as merge_demo

    return {
        **merge_demo.seed(context),
        "persons": {
            "otp": str(otp.id),
            "offline": str(offline.id),
            "na_with_third_person": str(child.id),
        },
        "authentication_method_request": request
        and {
            "id": str(request.id),
            "person_id": str(request.person_id),
            "status": request.status,
        },
    }
