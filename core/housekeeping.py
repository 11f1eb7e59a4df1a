"""The housekeeping commands' shared runner.

Each app may have a `housekeeping` module with `expire(now) -> dict[str, int]` and/or
`cleanup(now) -> dict[str, int]` (counts by what was done). Long runs report progress by logging
to the `housekeeping` logger (e.g. one line per batch); the commands print those lines.
"""

import logging

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.audit import SYSTEM, event_for
from core.discovery import app_modules
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


def expire_stale_requests(model, *, now, label: str, actor: str = SYSTEM) -> int:
    """NEW rows of a request model past `expires_at` become EXPIRED, in batches, each change audited.

    The model needs `status` (with NEW and EXPIRED), `expires_at`, `updated_at` and `updated_by`.
    Rows another transaction holds (an approve in progress) are skipped and left to it.
    """
    new, expired_status = model.Status.NEW, model.Status.EXPIRED
    batch, expired = EXPIRE_BATCH, 0
    while True:
        with transaction.atomic():
            ids = list(
                model.objects.select_for_update(skip_locked=True)
                .filter(status=new, expires_at__lte=now)
                .order_by("expires_at")
                .values_list("pk", flat=True)[:batch]
            )
            model.objects.filter(pk__in=ids).update(status=expired_status, updated_at=now, updated_by=actor)
            Event.objects.bulk_create(
                event_for(
                    entity_type=model._meta.label_lower,
                    entity_id=pk,
                    property="status",
                    old=new,
                    new=expired_status,
                    actor=actor,
                )
                for pk in ids
            )
        expired += len(ids)
        if len(ids) < batch:
            return expired
        progress.info("%s so far: %d", label, expired)


def cleanup(now) -> dict[str, int]:
    """core's own part of `manage.py cleanup`: Idempotency-Key answers past their 24 hours."""
    from core.idempotency import idempotency_keys_delete_old

    return {"idempotency keys deleted": idempotency_keys_delete_old(now=now)}
