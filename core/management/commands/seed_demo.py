import importlib
import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load idempotent demo data (each app's demo.py, in INSTALLED_APPS order) and print ids as JSON."

    def handle(self, *args, **options):
        context, output = {}, {}
        with transaction.atomic():
            for app in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{app.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{app.name}.demo":
                        raise
                    continue
                output.update(module.seed(context))
        self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))
