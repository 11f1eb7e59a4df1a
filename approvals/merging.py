"""What merging a duplicate record does to its approvals: the unconfirmed ones are cancelled.

Merge approve calls `cancel_open_requests` in its transaction, with the merged person's row locked.
"""

from approvals.models import Approval
from approvals.services import approvals_cancel


def cancel_open_requests(*, person, now, actor: str) -> int:
    """The merged person's NEW approvals (of every legal entity) -> cancelled, with events. Active
    ones stay as they are: the patient confirmed them, and they expire."""
    return approvals_cancel(Approval.objects.filter(patient=person), now=now, actor=actor)
