"""Reads of approvals: always of one patient, within the caller's legal entity."""

from django.db.models import QuerySet

from approvals.models import Approval
from core.api.errors import NotFound
from core.models import Client
from persons.selectors import person_get

APPROVAL_NOT_FOUND = "Approval with such id is not found"


def approval_list(*, client: Client, patient_id, status: str | None = None, granted_to=None) -> QuerySet[Approval]:
    """The patient's approvals made by the client's legal entity, newest first; 404 "Person not found"."""
    person_get(person_id=patient_id)
    approvals = Approval.objects.filter(legal_entity_id=client.legal_entity_id, patient_id=patient_id)
    if status:
        approvals = approvals.filter(status=status)
    if granted_to:
        approvals = approvals.filter(granted_to_id=granted_to)
    return approvals.select_related("granted_to")


def approval_get(*, client: Client | None, patient_id, approval_id, lock: bool = False) -> Approval:
    """One approval of the patient. Another legal entity's is 404 like a missing one, so ids do not
    leak; `client=None` is the back office, which sees all. `lock` locks only the approval row."""
    person_get(person_id=patient_id)
    approvals = Approval.objects.filter(pk=approval_id, patient_id=patient_id).select_related("patient", "granted_to")
    if client is not None:
        approvals = approvals.filter(legal_entity_id=client.legal_entity_id)
    if lock:
        approvals = approvals.select_for_update(of=("self",))
    approval = approvals.order_by().first()  # by the key, not the list's order
    if approval is None:
        raise NotFound(APPROVAL_NOT_FOUND)
    return approval
