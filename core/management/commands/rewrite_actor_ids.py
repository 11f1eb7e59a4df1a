from django.apps import apps
from django.core.management.base import BaseCommand

from core.audit.actor_ids import rewrite_actors


class Command(BaseCommand):
    help = (
        "Rewrite who acted, where it is still written the old way (client:<id>, user:<pk>, system), to the "
        "client's or user's id. Run once after deploying the release that made it an id; safe to run again."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{rewrite_actors(apps.get_model)} values rewritten")
