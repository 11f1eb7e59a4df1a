import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from verifications.models import ConfirmedRequest


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
    # the doctor's DRFO (RNOKPP, or a passport number): a declaration's signer's certificate must name it
    tax_id = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPROVED)
    # the doctor's own limit of active declarations; when empty, the speciality's (DECLARATION_LIMIT_*)
    declaration_limit = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.last_name} {self.first_name} {self.second_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.APPROVED


class Declaration(models.Model):
    """A patient's choice of a family doctor, made by signing an approved declaration request."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        PENDING_VERIFICATION = "pending_verification"  # signed, the patient's confirmation to be checked
        TERMINATED = "terminated"

    class Reason(models.TextChoices):
        OFFLINE = "offline"  # pending: confirmed by scanned documents
        NO_TAX_ID = "no_tax_id"  # pending: the patient has no tax id
        AUTO_NEW_DECLARATION = "auto_new_declaration"  # terminated: the patient signed with another doctor
        MANUAL_EMPLOYEE = "manual_employee"  # terminated by the legal entity

    # a patient's current declarations: one primary-care doctor at a time
    CURRENT = (Status.ACTIVE, Status.PENDING_VERIFICATION)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="declarations")
    # found through declaration_employee_status, whose first column it is: no index of its own to write
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="declarations", db_index=False)
    # found through declaration_entity_created, whose first column it is
    legal_entity_id = models.UUIDField()
    declaration_request = models.OneToOneField(
        "DeclarationRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="declaration"
    )
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.ACTIVE)
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    reason_description = models.CharField(max_length=255, blank=True)
    declaration_number = models.CharField(max_length=32, unique=True)
    start_date = models.DateField()
    end_date = models.DateField()
    # when the doctor's signature was accepted (sign); its CMS is in the storage (`signed_content_name`)
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.CharField(max_length=128, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["employee", "status"], name="declaration_employee_status"),
            models.Index(fields=["legal_entity_id", "-created_at"], name="declaration_entity_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["active", "pending_verification"]),
                name="declaration_one_current_per_person",
            )
        ]

    def __str__(self):
        return f"{self.declaration_number} ({self.status})"

    @property
    def signed_content_name(self) -> str:
        """Where the storage keeps the doctor's signed CMS (default_storage)."""
        return f"declarations/{self.pk}/signed_content.p7s"


class DeclarationRequest(ConfirmedRequest):
    """A patient's request to sign a declaration with a doctor, confirmed by OTP, documents or NA."""

    class Status(models.TextChoices):
        NEW = "NEW"
        APPROVED = "APPROVED"  # confirmed by the patient, waiting for the doctor's signature
        SIGNED = "SIGNED"
        REJECTED = "REJECTED"
        CANCELLED = "CANCELLED"
        EXPIRED = "EXPIRED"

    class Channel(models.TextChoices):
        MIS = "MIS"

    OPEN_STATUSES = (Status.NEW, Status.APPROVED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # each found through the index on it and the status (Meta): no index of its own to write
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="declaration_requests", db_index=False
    )
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="declaration_requests", db_index=False
    )
    client = models.ForeignKey("core.Client", on_delete=models.PROTECT, related_name="declaration_requests")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    status_reason = models.CharField(max_length=64, blank=True)
    # {"type": OTP|OFFLINE|NA, "number": clear phone or None, "method_id"}; responses mask the phone
    authentication_method_current = models.JSONField(default=dict)
    authorize_with = models.UUIDField(null=True, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.MIS)
    parent_declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.PROTECT, related_name="child_requests"
    )
    # the declaration this request becomes once signed, numbered in advance for the printout
    declaration_id = models.UUIDField(default=uuid.uuid4, unique=True)
    declaration_number = models.CharField(max_length=32, unique=True)
    data_to_be_signed = models.JSONField(default=dict)
    printout_content = models.TextField(blank=True)
    # SHA-256 chaining this request to the previously approved one (set at approve)
    seed = models.CharField(max_length=64, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    is_shareable = models.BooleanField(default=False)
    # approve skips the doctor's declaration limit
    overlimit = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("declaration request")
        verbose_name_plural = _("declaration requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["legal_entity_id", "-created_at"], name="decl_request_entity_created"),
            models.Index(fields=["person", "status"], name="decl_request_person_status"),
            models.Index(fields=["employee", "status"], name="decl_request_employee_status"),
            models.Index(
                fields=["expires_at"], condition=Q(status__in=["NEW", "APPROVED"]), name="decl_request_open_expiry"
            ),
        ]

    def __str__(self):
        return f"{self.declaration_number} ({self.status})"

    @property
    def confirmation_type(self) -> str | None:
        return self.authentication_method_current.get("type")


class ChainHead(models.Model):
    """The head of the approved requests' seed chain, in one row: every approve's last statement
    moves it, the database working out the new seed over the seed the row holds once its lock is
    granted (after the approve before committed), and gives that seed to the request."""

    ONLY = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ONLY, editable=False)
    seed = models.CharField(max_length=64, blank=True)  # "" before the first approval
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("seed chain head")
        verbose_name_plural = _("seed chain head")

    def __str__(self):
        return self.seed or "-"
