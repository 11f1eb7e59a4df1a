"""Demo data of merge requests: a patient registered twice, for docs/api.md's merge walkthrough to merge.

No request is made here: the walkthrough makes it (a second open request for the pair would be refused)
and gets the code on the master's phone, to which the demo sends nothing. Once the duplicate is merged,
the next run adds a new duplicate record, so there is always a pair to try; it never touches a request.
"""

import datetime

from core.demo import created
from persons.models import AuthenticationMethod, Person

MASTER_PHONE = "+380671112299"
NAME = {
    "first_name": "Марія",
    "last_name": "Демченко",
    "birth_date": datetime.date(1985, 3, 14),
    "gender": Person.Gender.FEMALE,
}


def _person(context: dict, **extra) -> Person:
    """The demo's active, unmerged record with these details (a new one when the last was merged)."""
    person = (
        Person.objects.filter(**NAME, **extra, status=Person.Status.ACTIVE, merged_into__isnull=True)
        .order_by("created_at")
        .first()
    )
    if person is None:
        person = Person.objects.create(**NAME, **extra)
        created(
            context, f"person {person.last_name} {person.first_name} ({'master' if extra['tax_id'] else 'duplicate'})"
        )
    return person


def seed(context: dict) -> dict:
    master = _person(context, tax_id="3111912320")
    duplicate = _person(context, tax_id="")
    if not master.authentication_methods.active().exists():
        AuthenticationMethod.objects.create(
            person=master, type=AuthenticationMethod.Type.OTP, phone_number=MASTER_PHONE
        )
    return {"merge": {"master_person_id": str(master.pk), "merge_person_id": str(duplicate.pk)}}
