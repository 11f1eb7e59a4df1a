import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from core.api.errors import ApiError
from core.management.errors import BadInput
from core.models import Client
from core.oauth.services import token_issue


class Command(BaseCommand):
    help = "Issue an access token for a client directly (back office, scripts, tests). Refused input exits 2."

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help="client_id")
        parser.add_argument("--scopes", required=True)
        parser.add_argument("--user", help="username the token acts for")
        parser.add_argument("--expires-in", type=int, help="seconds (default ACCESS_TOKEN_EXPIRE_SECONDS)")

    def handle(self, *args, **options):
        client = Client.objects.filter(client_id=options["client"]).first()
        if client is None:
            raise BadInput(f"No client with client_id {options['client']}")
        try:
            issued = token_issue(
                client=client,
                scopes=options["scopes"].split(),
                username=options["user"],
                expires_in=options["expires_in"],
            )
        except get_user_model().DoesNotExist as error:
            raise BadInput(f"No user {options['user']}") from error
        except ApiError as error:
            raise BadInput(error.describe()) from error
        self.stdout.write(
            json.dumps(
                {
                    "access_token": issued.value,
                    "token_type": "Bearer",
                    "expires_in": issued.expires_in,
                    "scope": issued.access_token.scope,
                }
            )
        )
