"""Demo data of merge requests: a patient registered twice and a NEW request to merge the duplicate.

Idempotent: once the demo request is approved (the duplicate is merged), rejected or expired, the next
run adds a new duplicate record or a new request, so there is always one open request to try.
"""

import datetime

from django.utils import timezone

from core.demo import created, skipped
from core.errors import ApiError
from persons.merge_services import merge_request_create
from persons.models import AuthenticationMethod, MergeRequest, Person

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
    merge_request = MergeRequest.objects.filter(
        master_person=master,
        merge_person=duplicate,
        status=MergeRequest.Status.NEW,
        expires_at__gt=timezone.now(),
    ).first()
    if merge_request is None:  # none yet, or the last one was rejected or expired since
        try:
            merge_request = merge_request_create(
                master_person_id=master.pk, merge_person_id=duplicate.pk, client=context["client"]
            )
            created(context, "merge request")
        except ApiError as error:  # e.g. a code went to the master's phone moments ago
            skipped(context, "merge request", error)
    return {
        "merge_request": merge_request
        and {
            "id": str(merge_request.pk),
            "master_person_id": str(master.pk),
            "merge_person_id": str(duplicate.pk),
        }
    }
