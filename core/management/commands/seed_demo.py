import json

from django.core.management.base import BaseCommand
from django.db import transaction

from core.management.discovery import app_modules


class Command(BaseCommand):
    help = (
        "Load idempotent demo data (each app's demo.py, in INSTALLED_APPS order) and print it as JSON: ids, "
        "the same credentials on every run, and what this run `created` (and `skipped`, with the reason)."
    )

    def handle(self, *args, **options):
        context, output = {}, {}
        with transaction.atomic():
            for _label, module in app_modules("demo"):
                output.update(module.seed(context))
        report = {"created": context.get("created", [])}
        if context.get("skipped"):
            report["skipped"] = context["skipped"]
        self.stdout.write(json.dumps({**report, **output}, ensure_ascii=False, indent=2))
