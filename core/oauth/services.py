"""Writes of API clients and their tokens: a client registered (its secret and API key given once), a token issued."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, generate_client_secret, set_token_value

from core.api.errors import ValidationFailed
from core.audit import events as audit
from core.models import Client
from core.oauth.scopes import SCOPES


@dataclass(frozen=True)
class NewClient:
    client: Client
    client_secret: str
    api_key: str


def _checked_scopes(scopes: list[str], field: str = "scopes") -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationFailed(field=field, description=f"Unknown scopes: {', '.join(unknown)}")
    return list(dict.fromkeys(scopes))


@transaction.atomic
def client_create(
    *,
    name: str,
    scopes: list[str],
    legal_entity_id: uuid.UUID | None = None,
    legal_entity_name: str = "",
    redirect_uris: str = "",
    actor: str = audit.SYSTEM,
) -> NewClient:
    """A client of one legal entity; the secret and API key are returned once, only digests are kept."""
    client_secret = generate_client_secret()
    grant = Client.GRANT_AUTHORIZATION_CODE if redirect_uris else Client.GRANT_CLIENT_CREDENTIALS
    client = Client(
        name=name,
        client_type=Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant,
        redirect_uris=redirect_uris,
        client_secret=client_secret,
        scopes=" ".join(_checked_scopes(scopes)),
        legal_entity_id=legal_entity_id or uuid.uuid4(),
        legal_entity_name=legal_entity_name or name,
    )
    api_key = client.set_new_api_key()
    client.save()
    audit.record(entity=client, property="created", old=None, new=client.scopes, actor=actor)
    return NewClient(client=client, client_secret=client_secret, api_key=api_key)


@dataclass(frozen=True)
class IssuedToken:
    access_token: AccessToken
    value: str  # the bearer token; only its checksum is stored
    expires_in: int


@transaction.atomic
def token_issue(
    *,
    client: Client,
    scopes: list[str],
    username: str | None = None,
    expires_in: int | None = None,
    actor: str = audit.SYSTEM,
) -> IssuedToken:
    """A bearer token issued directly (back office, tests); limited to the client's own scopes."""
    scopes = _checked_scopes(scopes)
    beyond = sorted(set(scopes) - set(client.scope_list))
    if beyond:
        raise ValidationFailed(field="scopes", description=f"Client may not have scopes: {', '.join(beyond)}")
    user = get_user_model().objects.get(username=username) if username else None
    lifetime = expires_in or settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    token = AccessToken(
        user=user, application=client, expires=timezone.now() + timedelta(seconds=lifetime), scope=" ".join(scopes)
    )
    value = secrets.token_urlsafe(32)
    set_token_value(token, value)
    token.save()
    audit.record(entity=client, property="token_issued", old=None, new=token.scope, actor=actor)
    return IssuedToken(access_token=token, value=value, expires_in=lifetime)
