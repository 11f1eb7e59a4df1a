"""Demo data of the core app: a back-office admin and one MIS client with every scope."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model

from core.models import Client
from core.scopes import SCOPES
from core.services import client_create, token_issue

DEMO_CLIENT_NAME = "Demo MIS"


def seed(context: dict) -> dict:
    admin, created = get_user_model().objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    password = None
    if created:
        password = settings.DEMO_ADMIN_PASSWORD or secrets.token_urlsafe(12)
        admin.set_password(password)
        admin.save(update_fields=["password"])
    client = Client.objects.filter(name=DEMO_CLIENT_NAME).first()
    if client is None:
        client = client_create(name=DEMO_CLIENT_NAME, scopes=list(SCOPES)).client
    # The clear API key is never stored, so each run rotates it and prints the new one.
    api_key = client.set_new_api_key()
    client.save(update_fields=["api_key_digest"])
    token = token_issue(client=client, scopes=client.scope_list, username="admin")
    context["client"] = client
    context["admin"] = admin
    return {
        "admin": {"username": "admin", "password": password or "(unchanged)"},
        "client_id": client.client_id,
        "legal_entity_id": str(client.legal_entity_id),
        "api_key": api_key,
        "access_token": token.value,
    }
