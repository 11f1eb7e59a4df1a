from django.core.management.base import BaseCommand

from declarations.signatures import dev


class Command(BaseCommand):
    help = (
        "Make the development CA (SIGNATURE_DEV_CA_DIR, var/dev-ca/) that `sign_declaration_request` signs "
        "with, unless it is there already. Prints the path of its certificate: with DEBUG, "
        "SIGNATURE_TRUSTED_CERTS trusts it by default. Never trust it in production."
    )

    def handle(self, *args, **options):
        _certificate, _key, made = dev.dev_ca()
        self.stdout.write(f"{'Made' if made else 'Kept'} the development CA: {dev.ca_path()}")
