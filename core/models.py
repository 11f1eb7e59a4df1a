import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication


def api_key_digest(api_key: str) -> str:
    # API keys are 256-bit random strings, so a plain SHA-256 is as safe as a slow KDF and costs
    # nothing per request.
    return hashlib.sha256(api_key.encode()).hexdigest()


class Client(AbstractApplication):
    """An OAuth client: the medical information system of one legal entity."""

    legal_entity_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    legal_entity_name = models.CharField(max_length=255, blank=True)
    scopes = models.TextField(blank=True, help_text="Space-separated scopes this client may request.")
    api_key_digest = models.CharField(max_length=64, unique=True, editable=False)
    # who acted, in `updated_by` and the audit trail, when the client's token carries no user
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)

    class Meta(AbstractApplication.Meta):
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def set_new_api_key(self) -> str:
        """Give the client a fresh API key; the clear key is returned once and never stored."""
        api_key = secrets.token_urlsafe(32)
        self.api_key_digest = api_key_digest(api_key)
        return api_key

    def has_api_key(self, api_key: str) -> bool:
        return secrets.compare_digest(self.api_key_digest, api_key_digest(api_key))


class UserIdentity(models.Model):
    """A Django user's public id: who acted, in `updated_by` and the audit trail (a user's key is an
    integer). Made the first time the user acts; a user who has acted is deactivated, not deleted."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="identity")
    uuid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("user's id")
        verbose_name_plural = _("users' ids")

    def __str__(self):
        return str(self.uuid)


class Event(models.Model):
    """An audit record of one state change (what the registry calls a StateChangeEvent)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entity_type = models.CharField(max_length=64)
    entity_id = models.CharField(max_length=64)
    property = models.CharField(max_length=64)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    actor = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["entity_type", "entity_id"]),
            # the back office's search of events by a record's id (any type) or by who acted
            models.Index(fields=["entity_id", "created_at"], name="event_entity_id_created"),
            models.Index(fields=["actor", "created_at"], name="event_actor_created"),
        ]

    def __str__(self):
        return f"{self.entity_type}:{self.entity_id} {self.property} {self.old_value!r} → {self.new_value!r}"


class Job(models.Model):
    """The state of an asynchronous operation a client started."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSED = "processed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="jobs")
    eta = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_data = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.id} ({self.status})"


class IdempotencyKey(models.Model):
    """One client's `Idempotency-Key` and the first answer given for it (see core.api.idempotency).

    The key itself is never stored, only a SHA-256 of the client's id and the key; the request's
    fingerprint tells a retry (the same method, path and body) from a reuse of the key for another request.
    """

    class Status(models.TextChoices):
        PROCESSING = "processing"
        DONE = "done"

    key_digest = models.CharField(max_length=64, primary_key=True)
    request_digest = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROCESSING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    # when the request that holds the key started; a PROCESSING key older than the lease was abandoned
    started_at = models.DateTimeField()

    class Meta:
        verbose_name = "idempotency key"

    def __str__(self):
        return f"{self.key_digest[:12]}… ({self.status})"


class ClientAuthFailure(models.Model):
    """One failed client authentication at /oauth/ (core.oauth.provider counts them per client id tried,
    whether or not a client has that id). Only a SHA-256 of the id is kept: any string may be tried."""

    client_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)  # `cleanup` deletes those out of the window

    class Meta:
        verbose_name = "failed client authentication"
        indexes = [models.Index(fields=["client_key", "created_at"])]

    def __str__(self):
        return f"{self.client_key[:12]}… at {self.created_at:%Y-%m-%d %H:%M:%S}"
