import uuid

from django.db import models
from django.db.models.functions import Reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    """What a code confirms; each has its own SMS text (templates/sms/<purpose>.txt)."""

    VERIFICATION = "verification"  # a client's own check of a phone (the verification endpoints)
    AUTHENTICATION_METHOD_REQUEST = "authentication_method_request"
    MERGE_REQUEST = "merge_request"
    DECLARATION_REQUEST = "declaration_request"
    APPROVAL = "approval"


class Verification(models.Model):
    """One one-time code sent to a phone for one purpose. The code itself is never stored, only its
    keyed digest.

    A code belongs to whoever asked for it: a `verification` code to the client that called the
    verification endpoints, any other kind to the request that keeps its id (`<request>.verification`).
    Nobody else can complete, replace or lock it.
    """

    class Status(models.TextChoices):
        NEW = "NEW"
        VERIFIED = "VERIFIED"
        INACTIVE = "INACTIVE"  # replaced by a newer code
        EXPIRED = "EXPIRED"
        LOCKED = "LOCKED"  # wrong attempts used up

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone_number = models.CharField(max_length=13)
    kind = models.CharField(max_length=64, choices=Purpose.choices, default=Purpose.VERIFICATION)
    # the client that asked: the owner of a `verification` code, the request's client otherwise; found
    # through verification_client_phone, whose first column it is (no index of its own to write)
    client = models.ForeignKey(
        "core.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    code_digest = models.CharField(max_length=64, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    attempts = models.PositiveSmallIntegerField(default=0)
    code_expired_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        ordering = ["-created_at"]
        constraints = [
            # a client's own codes: one active per phone; a request's code is replaced through the request
            models.UniqueConstraint(
                fields=["client", "phone_number"],
                condition=models.Q(status="NEW", kind="verification"),
                name="verification_one_active_code_per_client_phone",
            ),
        ]
        indexes = [
            # the phone's sends inside the rate-limit window, and whether it was ever verified
            models.Index(fields=["phone_number", "-created_at"], name="verification_phone_created"),
            # a client's latest code for a phone (complete)
            models.Index(fields=["client", "phone_number", "-created_at"], name="verification_client_phone"),
            models.Index(fields=["created_at"], name="verification_created"),
            models.Index(fields=["code_expired_at"], condition=models.Q(status="NEW"), name="verification_new_expiry"),
            # the back office's phone search by its last digits: a range on the reversed number
            models.Index(Reverse("phone_number"), name="verification_phone_reversed"),
        ]

    def __str__(self):
        return f"{self.id} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status == self.Status.NEW and self.code_expired_at > timezone.now()


class FailedGuess(models.Model):
    """A wrong code tried for a phone. The guess budget counts them per phone, over every code, kind and
    client (verifications.limits); staff lift a spent budget, which marks them lifted."""

    phone_number = models.CharField(max_length=13)
    verification = models.ForeignKey(
        Verification, null=True, on_delete=models.SET_NULL, related_name="failed_guesses", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("failed code attempt")
        verbose_name_plural = _("failed code attempts")
        ordering = ["-created_at"]
        permissions = [("lift_guess_lock", "Can lift a phone's guess lock")]
        indexes = [
            # the phone's unlifted failures inside the window
            models.Index(
                fields=["phone_number", "-created_at"],
                condition=models.Q(lifted_at__isnull=True),
                name="failed_guess_phone_created",
            ),
            models.Index(fields=["created_at"], name="failed_guess_created"),
            models.Index(Reverse("phone_number"), name="failed_guess_phone_reversed"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S}"


class ConfirmedRequest(models.Model):
    """What every request a patient confirms keeps, whatever its flow: its legal entity, the code sent
    for it (OTP) or the documents to upload (OFFLINE), its term, and who made and last changed it."""

    # copied from the client: the legal entity's clients share its requests, and reads need no join
    legal_entity_id = models.UUIDField()
    # the code sent for this request (OTP): only it approves the request
    verification = models.ForeignKey(
        "verifications.Verification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # document types the client must upload before an OFFLINE approve
    documents = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.CharField(max_length=128)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=128)

    class Meta:
        abstract = True


class SmsMessage(models.Model):
    """The log of one SMS. The clear code only lives encrypted in `code_ciphertext` until it is sent."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        SENDING = "SENDING"  # claimed by a worker; see sms_requeue_stale
        SENT = "SENT"
        FAILED = "FAILED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification = models.ForeignKey(
        Verification, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_messages"
    )
    phone_number_masked = models.CharField(max_length=16)
    kind = models.CharField(max_length=64, choices=Purpose.choices)
    body = models.TextField(help_text="The text as sent, with the code masked.")
    code_ciphertext = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=128, blank=True)
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-created_at"]
        permissions = [("resend_smsmessage", "Can resend a failed SMS")]
        indexes = [models.Index(fields=["created_at"], name="sms_created")]

    def __str__(self):
        return f"{self.kind} to {self.phone_number_masked} ({self.status})"
