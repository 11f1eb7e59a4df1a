import json

from django.core.management.base import BaseCommand
from django.db import transaction

from core.discovery import app_modules


class Command(BaseCommand):
    help = "Load idempotent demo data (each app's demo.py, in INSTALLED_APPS order) and print ids as JSON."

    def handle(self, *args, **options):
        context, output = {}, {}
        with transaction.atomic():
            for _label, module in app_modules("demo"):
                output.update(module.seed(context))
        self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))
