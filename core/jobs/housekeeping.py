"""The housekeeping commands' shared runner.

Each app may have a `housekeeping` module with `expire(now) -> dict[str, int]` and/or
`cleanup(now) -> dict[str, int]` (counts by what was done). Long runs report progress by logging
to the `housekeeping` logger (e.g. one line per batch); the commands print those lines.

Here too is what those modules share: `expire_stale_requests`, the expiry of every request kind.
The core app's own plug-in is core/housekeeping.py.
"""

import logging

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.api.errors import Conflict
from core.audit.events import SYSTEM, event_for
from core.management.discovery import app_modules
from core.models import Event

progress = logging.getLogger("housekeeping")


class HousekeepingCommand(BaseCommand):
    function_name = ""  # "expire" or "cleanup"

    def handle(self, *args, **options):
        now = timezone.now()
        handler = logging.StreamHandler(self.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        previous = progress.level, progress.propagate
        progress.addHandler(handler)
        progress.setLevel(logging.INFO if options["verbosity"] >= 1 else logging.WARNING)
        progress.propagate = False
        try:
            for _label, module in app_modules("housekeeping"):
                function = getattr(module, self.function_name, None)
                if function is None:
                    continue
                for what, count in function(now).items():
                    self.stdout.write(f"{what}: {count}")
        finally:
            progress.removeHandler(handler)
            progress.setLevel(previous[0])
            progress.propagate = previous[1]


EXPIRE_BATCH = 500


def expire_stale_requests(model, *, now, label: str, actor: str = SYSTEM, statuses=None, pks=None) -> int:
    """Open rows of a request model past `expires_at` become EXPIRED, in batches, each change audited.
    `pks` narrows it to those rows (the back office's "Expire now").

    Open means NEW unless `statuses` lists more (e.g. approved but never signed). The model needs
    `status` (with NEW and EXPIRED), `expires_at`, `updated_at` and `updated_by`.
    Rows another transaction holds (an approve in progress) are skipped and left to it.
    """
    statuses, expired_status = list(statuses or [model.Status.NEW]), model.Status.EXPIRED
    batch, expired = EXPIRE_BATCH, 0
    while True:
        with transaction.atomic():
            rows = list(
                model.objects.select_for_update(skip_locked=True)
                .filter(status__in=statuses, expires_at__lte=now, **({"pk__in": pks} if pks is not None else {}))
                .order_by("expires_at")
                .values_list("pk", "status")[:batch]
            )
            model.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                status=expired_status, updated_at=now, updated_by=actor
            )
            Event.objects.bulk_create(
                event_for(
                    entity_type=model._meta.label_lower,
                    entity_id=pk,
                    property="status",
                    old=old,
                    new=expired_status,
                    actor=actor,
                )
                for pk, old in rows
            )
        expired += len(rows)
        if len(rows) < batch:
            return expired
        progress.info("%s so far: %d", label, expired)


NOT_STALE = "Only a NEW request past its expiry time can be expired"


def request_expire_now(*, request, actor: str) -> None:
    """One stale request (NEW, past `expires_at`) becomes EXPIRED now, as the periodic run would make it
    (the back office's "Expire now"). 409 when it is not stale, or an approve holds it right now."""
    model = type(request)
    label = str(model._meta.verbose_name_plural)
    if not expire_stale_requests(model, now=timezone.now(), label=label, actor=actor, pks=[request.pk]):
        raise Conflict(NOT_STALE)
