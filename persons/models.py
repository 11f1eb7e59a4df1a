import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Reverse, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from verifications.models import ConfirmedRequest


class Person(models.Model):
    """A patient in the master patient index (MPI)."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    class Gender(models.TextChoices):
        MALE = "MALE"
        FEMALE = "FEMALE"

    class VerificationStatus(models.TextChoices):
        NOT_VERIFIED = "NOT_VERIFIED"
        VERIFICATION_NEEDED = "VERIFICATION_NEEDED"
        IN_REVIEW = "IN_REVIEW"
        VERIFIED = "VERIFIED"

    class VerificationReason(models.TextChoices):
        AUTO = "AUTO"
        RULES_TRIGGERED = "RULES_TRIGGERED"
        RULES_PASSED = "RULES_PASSED"
        MANUAL = "MANUAL"

    class DocumentType(models.TextChoices):
        PASSPORT = "PASSPORT"
        NATIONAL_ID = "NATIONAL_ID"
        BIRTH_CERTIFICATE = "BIRTH_CERTIFICATE"
        BIRTH_CERTIFICATE_FOREIGN = "BIRTH_CERTIFICATE_FOREIGN"
        PERMANENT_RESIDENCE_PERMIT = "PERMANENT_RESIDENCE_PERMIT"
        TEMPORARY_CERTIFICATE = "TEMPORARY_CERTIFICATE"
        REFUGEE_CERTIFICATE = "REFUGEE_CERTIFICATE"
        COMPLEMENTARY_PROTECTION_CERTIFICATE = "COMPLEMENTARY_PROTECTION_CERTIFICATE"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=255)
    last_name = models.CharField(max_length=255)
    second_name = models.CharField(max_length=255, blank=True)
    birth_date = models.DateField()
    gender = models.CharField(max_length=8, choices=Gender.choices)
    tax_id = models.CharField(max_length=10, blank=True, db_index=True)
    no_tax_id = models.BooleanField(default=False)
    # [{"type": "PASSPORT", "number": "АА123456"}], as the registry sends them
    documents = models.JSONField(default=list, blank=True)
    # [{"type": "MOBILE", "number": "+380503410870"}]
    phones = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    verification_status = models.CharField(
        max_length=32, choices=VerificationStatus.choices, default=VerificationStatus.VERIFICATION_NEEDED
    )
    verification_reason = models.CharField(max_length=32, choices=VerificationReason.choices, blank=True)
    verification_comment = models.TextField(blank=True)
    # set when this record was merged into another (the master) record
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["last_name", "first_name"]
        permissions = [("verify_person", "Can set a person's verification status by hand")]
        indexes = [
            # the person search by name and birth date, either case (`iexact` compares UPPER of both)
            models.Index(Upper("last_name"), Upper("first_name"), "birth_date", name="person_name_birth"),
            # the back office: the list in name order, and the verification queue oldest first
            models.Index(fields=["last_name", "first_name"], name="person_name_order"),
            models.Index(fields=["verification_status", "created_at"], name="person_verification_queue"),
        ]

    def __str__(self):
        return f"{self.last_name} {self.first_name} {self.second_name}".strip()

    @property
    def document_types(self) -> set[str]:
        return {document.get("type") for document in self.documents}


class AuthenticationMethodQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at), started_at__lte=at)


class AuthenticationMethod(models.Model):
    """How a person confirms things: their OTP phone, OFFLINE documents, a third person, or NA."""

    class Type(models.TextChoices):
        OTP = "OTP"
        OFFLINE = "OFFLINE"
        THIRD_PERSON = "THIRD_PERSON"
        NA = "NA"

    PRIMARY_TYPES = (Type.OTP, Type.OFFLINE, Type.NA)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="authentication_methods")
    type = models.CharField(max_length=16, choices=Type.choices)
    phone_number = models.CharField(max_length=13, blank=True)
    third_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="trusted_by_methods"
    )
    alias = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = AuthenticationMethodQuerySet.as_manager()

    class Meta:
        verbose_name = _("authentication method")
        verbose_name_plural = _("authentication methods")
        ordering = ["started_at"]
        # the back office's phone search by its last digits: a range on the reversed number
        indexes = [models.Index(Reverse("phone_number"), name="auth_method_phone_reversed")]
        constraints = [
            # one active primary method (OTP, OFFLINE or NA) per person; THIRD_PERSON methods are extra
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(ended_at__isnull=True) & ~Q(type="THIRD_PERSON"),
                name="one_active_primary_method_per_person",
            ),
            models.CheckConstraint(condition=~Q(type="OTP") | ~Q(phone_number=""), name="otp_method_has_phone_number"),
            models.CheckConstraint(
                condition=~Q(type="THIRD_PERSON") | Q(third_person__isnull=False),
                name="third_person_method_has_third_person",
            ),
        ]

    def __str__(self):
        return f"{self.type} ({self.alias})" if self.alias else self.type

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.started_at <= now and (self.ended_at is None or self.ended_at > now)


class AuthenticationMethodRequest(ConfirmedRequest):
    """A request to add, change or remove a person's authentication method."""

    class Action(models.TextChoices):
        INSERT = "INSERT"
        UPDATE = "UPDATE"
        DEACTIVATE = "DEACTIVATE"

    class Status(models.TextChoices):
        NEW = "NEW"
        COMPLETED = "COMPLETED"
        CANCELLED = "CANCELLED"
        EXPIRED = "EXPIRED"

    class Channel(models.TextChoices):
        MIS = "MIS"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="authentication_method_requests")
    action = models.CharField(max_length=16, choices=Action.choices)
    # the requested method as sent: {"type", "phone_number", "value", "alias"} or {"id", "alias"}
    authentication_method = models.JSONField(default=dict)
    # what confirms the request: {"type": OTP|OFFLINE|NA, "number": clear phone or None, "method_id"}
    authentication_method_current = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.MIS)
    client = models.ForeignKey(settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("authentication method request")
        verbose_name_plural = _("authentication method requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["expires_at"], name="auth_method_request_expiry"),  # the back office's sort
        ]
        constraints = [
            # a newer request cancels the legal entity's older NEW one: one NEW request per person and entity
            models.UniqueConstraint(
                fields=["person", "legal_entity_id"], condition=Q(status="NEW"), name="one_new_auth_method_request"
            ),
        ]

    def __str__(self):
        return f"{self.action} {self.authentication_method.get('type', '')} ({self.status})".replace("  ", " ")


# Merge requests live beside their services, selectors, API and admin (persons/merges/); imported here so
# that Django registers the model with this app.
from persons.merges.models import MergeRequest, merge_pair  # noqa: E402, F401
