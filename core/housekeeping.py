"""The housekeeping commands' shared runner.

Each app may have a `housekeeping` module with `expire(now) -> dict[str, int]` and/or
`cleanup(now) -> dict[str, int]` (counts by what was done). Long runs report progress by logging
to the `housekeeping` logger (e.g. one line per batch); the commands print those lines.
"""

import logging

from django.core.management.base import BaseCommand
from django.utils import timezone

from core.discovery import app_modules

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
