"""Reads of merge requests, always within the caller's legal entity."""

from django.db.models import QuerySet

from core.api.errors import NotFound
from core.models import Client
from persons.merges.models import MergeRequest

NOT_FOUND = "Merge request not found"


def merge_request_list(
    *, client: Client, status: str | None = None, master_person_id=None, merge_person_id=None
) -> QuerySet[MergeRequest]:
    queryset = MergeRequest.objects.filter(legal_entity_id=client.legal_entity_id)
    if status:
        queryset = queryset.filter(status=status)
    if master_person_id:
        queryset = queryset.filter(master_person_id=master_person_id)
    if merge_person_id:
        queryset = queryset.filter(merge_person_id=merge_person_id)
    return queryset


def merge_request_get(*, merge_request_id, client: Client) -> MergeRequest:
    """Another legal entity's request is 404, like a missing one: ids must not leak."""
    merge_request = merge_request_list(client=client).filter(pk=merge_request_id).first()
    if merge_request is None:
        raise NotFound(NOT_FOUND)
    return merge_request
