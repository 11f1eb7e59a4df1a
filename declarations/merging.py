"""What merging a duplicate person means for declaration requests: the merged person's open ones end."""

from declarations.services import cancel_requests

PERSON_MERGED = "person_merged"


def cancel_open_requests(*, person, now, actor: str) -> int:
    """Inside the merge's transaction: the person's NEW and APPROVED-but-unsigned requests, of every legal
    entity, become CANCELLED (`person_merged`), each with its event; how many."""
    return cancel_requests(person_id=person.pk, now=now, actor=actor, reason=PERSON_MERGED)
