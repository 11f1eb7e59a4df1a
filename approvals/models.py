import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from verifications.models import ConfirmedRequest


class Approval(ConfirmedRequest):
    """A patient's grant of access to their medical records to one doctor, confirmed by the patient."""

    class Status(models.TextChoices):
        NEW = "new"  # waiting for the patient's code (or the signed consent scan, OFFLINE)
        ACTIVE = "active"  # confirmed: the doctor may read the granted resources until expires_at
        REJECTED = "rejected"
        EXPIRED = "expired"
        CANCELLED = "cancelled"  # the patient's record was merged into another before it was confirmed

    class AccessLevel(models.TextChoices):
        READ = "read"

    OPEN_STATUSES = (Status.NEW, Status.ACTIVE)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="approvals")
    # references as sent: [{"identifier": {"type": {"coding": [{"system", "code"}]}, "value"}}]
    granted_resources = models.JSONField(default=list)
    granted_to = models.ForeignKey("declarations.Employee", on_delete=models.PROTECT, related_name="approvals")
    reason = models.JSONField(null=True, blank=True)
    access_level = models.CharField(max_length=16, choices=AccessLevel.choices, default=AccessLevel.READ)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    # the method the client chose (one of the patient's active methods), or None for the primary one
    authorize_with = models.UUIDField(null=True, blank=True)
    # what confirms it: {"type": OTP|OFFLINE, "number": clear phone or None, "method_id"}; masked on output
    authentication_method_current = models.JSONField(default=dict)
    client = models.ForeignKey("core.Client", on_delete=models.PROTECT, related_name="approvals")

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["legal_entity_id", "patient", "-created_at"], name="approval_entity_patient"),
            models.Index(fields=["expires_at"], condition=Q(status__in=["new", "active"]), name="approval_open_expiry"),
            models.Index(fields=["expires_at"], name="approval_expiry"),  # the back office's sort
        ]

    def __str__(self):
        return f"{self.id} ({self.status})"

    @property
    def confirmation_type(self) -> str | None:
        return self.authentication_method_current.get("type")
