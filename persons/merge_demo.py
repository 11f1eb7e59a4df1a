"""Demo data of merge requests: a patient registered twice and a NEW request to merge the duplicate."""

import datetime

from persons.merge_services import merge_request_create
from persons.models import AuthenticationMethod, MergeRequest, Person

MASTER_PHONE = "+380671112299"


def _person(**extra) -> Person:
    person, _ = Person.objects.get_or_create(
        first_name="Марія",
        last_name="Демченко",
        birth_date=datetime.date(1985, 3, 14),
        gender=Person.Gender.FEMALE,
        **extra,
    )
    return person


def seed(context: dict) -> dict:
    master = _person(tax_id="3111912320")
    duplicate = _person(tax_id="")
    if not master.authentication_methods.active().exists():
        AuthenticationMethod.objects.create(
            person=master, type=AuthenticationMethod.Type.OTP, phone_number=MASTER_PHONE
        )
    merge_request = MergeRequest.objects.filter(
        master_person=master, merge_person=duplicate, status=MergeRequest.Status.NEW
    ).first()
    if merge_request is None:
        merge_request = merge_request_create(
            master_person_id=master.pk, merge_person_id=duplicate.pk, client=context["client"]
        )
    return {
        "merge_request": {
            "id": str(merge_request.pk),
            "master_person_id": str(master.pk),
            "merge_person_id": str(duplicate.pk),
        }
    }
