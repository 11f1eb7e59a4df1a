import json

from django.core.management.base import BaseCommand

from core.api.errors import ApiError
from core.management.errors import BadInput
from core.oauth.services import client_create


class Command(BaseCommand):
    help = (
        "Register the API client of a legal entity. Prints client_id, client_secret and api_key once. "
        "Refused input exits 2."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", required=True, help='Space-separated, e.g. "otp:write otp:read"')
        parser.add_argument("--legal-entity-id", help="UUID of the legal entity (new one if omitted)")
        parser.add_argument("--legal-entity-name", default="")
        parser.add_argument("--redirect-uri", default="", help="Enables the authorization-code (PKCE) grant")

    def handle(self, *args, **options):
        try:
            new = client_create(
                name=options["name"],
                scopes=options["scopes"].split(),
                legal_entity_id=options["legal_entity_id"],
                legal_entity_name=options["legal_entity_name"],
                redirect_uris=options["redirect_uri"],
            )
        except ApiError as error:
            raise BadInput(error.describe()) from error
        self.stdout.write(
            json.dumps(
                {
                    "client_id": new.client.client_id,
                    "client_secret": new.client_secret,
                    "api_key": new.api_key,
                    "legal_entity_id": str(new.client.legal_entity_id),
                    "id": str(new.client.uuid),
                }
            )
        )
