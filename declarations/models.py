import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Employee(models.Model):
    """A doctor of one legal entity (the client that registered them). Declarations and approvals name one."""

    class Speciality(models.TextChoices):
        THERAPIST = "THERAPIST"
        PEDIATRICIAN = "PEDIATRICIAN"
        FAMILY_DOCTOR = "FAMILY_DOCTOR"

    class Status(models.TextChoices):
        APPROVED = "APPROVED"  # working: may sign declarations and be granted access
        DISMISSED = "DISMISSED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("core.Client", on_delete=models.PROTECT, related_name="employees")
    # copied from the client: every client of the legal entity may name the doctor, and reads need no join
    legal_entity_id = models.UUIDField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="employees"
    )
    first_name = models.CharField(max_length=255)
    last_name = models.CharField(max_length=255)
    second_name = models.CharField(max_length=255, blank=True)
    speciality = models.CharField(max_length=32, choices=Speciality.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPROVED)
    # the doctor's own limit of active declarations; when empty, the speciality's (DECLARATION_LIMIT_*)
    declaration_limit = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.last_name} {self.first_name} {self.second_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.APPROVED
