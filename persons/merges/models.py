"""Merge requests: a duplicate person record merged into the master record, confirmed by the master."""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext_lazy as _

from verifications.models import ConfirmedRequest


def merge_pair() -> tuple[Least, Greatest]:
    """The two persons of a merge request whichever is the master: the one rule its uniqueness (an
    expression index) and its lookup (`MergeRequestQuerySet.of_pair`) share."""
    return Least("master_person", "merge_person"), Greatest("master_person", "merge_person")


class MergeRequestQuerySet(models.QuerySet):
    def of_pair(self, one, other):
        """The requests about these two persons, either one the master."""
        first, second = merge_pair()
        low, high = sorted([one, other])
        return self.alias(pair_first=first, pair_second=second).filter(pair_first=low, pair_second=high)


class MergeRequest(ConfirmedRequest):
    """A request to merge a duplicate record (merge person) into the master record, confirmed by the master."""

    class Status(models.TextChoices):
        NEW = "NEW"
        APPROVED = "APPROVED"
        REJECTED = "REJECTED"
        EXPIRED = "EXPIRED"
        CANCELLED = "CANCELLED"  # one of its persons was merged by another request

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    master_person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="master_merge_requests")
    merge_person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="merge_requests")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    # {"type", "number" (clear phone, masked on output), "method_id"} from authentication_method_current()
    authentication_method_current = models.JSONField(default=dict)
    authorize_with = models.UUIDField(null=True, blank=True)
    client = models.ForeignKey("core.Client", on_delete=models.PROTECT, related_name="merge_requests")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MergeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("merge request")
        verbose_name_plural = _("merge requests")
        ordering = ["-created_at"]
        constraints = [
            # one open request per pair and legal entity, whichever person is the master; other entities'
            # requests are none of its business
            models.UniqueConstraint(
                *merge_pair(),
                "legal_entity_id",
                condition=Q(status="NEW"),
                name="merge_request_one_new_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(master_person=models.F("merge_person")), name="merge_request_distinct_persons"
            ),
        ]
        indexes = [
            models.Index(fields=["legal_entity_id", "-created_at"], name="merge_request_entity_created"),
            models.Index(fields=["expires_at"], condition=Q(status="NEW"), name="merge_request_new_expiry"),
            models.Index(fields=["expires_at"], name="merge_request_expiry"),  # the back office's sort
        ]

    def __str__(self):
        return f"{self.id} ({self.status})"

    @property
    def confirmation_type(self) -> str | None:
        return self.authentication_method_current.get("type")
