"""What merging a duplicate record does to the persons app's open requests of that record.

Every app with requests about a person has a `merging` module like this one; merge approve calls
each `cancel_open_requests` in its transaction, with the merged person's row locked.
"""

from django.db.models import Q

from persons.merges.services import merge_request_set_status
from persons.models import MergeRequest, Person
from persons.services import authentication_method_requests_cancel


def cancel_open_requests(*, person: Person, now, actor: str) -> int:
    """The merged person's NEW authentication-method and merge requests -> CANCELLED, with events."""
    cancelled = authentication_method_requests_cancel(person_id=person.pk, now=now, actor=actor)
    for merge_request in MergeRequest.objects.select_for_update().filter(
        Q(master_person=person) | Q(merge_person=person), status=MergeRequest.Status.NEW
    ):
        merge_request_set_status(merge_request, MergeRequest.Status.CANCELLED, actor)
        cancelled += 1
    return cancelled
