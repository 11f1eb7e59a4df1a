"""Demo data of the core app (a back-office admin, one MIS client with every scope and its token), and
the contract of every app's demo module.

The contract. An installed app may have a module `<app>/demo.py` with `seed(context: dict) -> dict`.
`manage.py seed_demo` calls each one in INSTALLED_APPS order inside one transaction, with one shared
`context` (core puts the demo `client` and `admin` in it for the apps after it), and prints the union
of the dicts they return as JSON. `make run` runs it on every start, on whatever the database holds by
then, so a demo module must be idempotent:

- Look up what an earlier run made, by a natural key (a tax id, a name, the pair of persons), and
  create only what is missing. Call `created(context, "what")` for each thing it makes, so the
  output says what this run added (an empty list: everything was already there).
- Never cancel, replace or change a request, whoever made it. The user's walkthroughs act on the
  demo persons, so expect any state: a demo request approved, rejected or expired, a request the
  user made. A new demo request is made only while the person has no open request of the demo
  client's legal entity (NEW, or APPROVED for declarations): the services cancel those when a newer
  one comes, so making it then would undo the user's work. Create through the services, as the API
  does. When a service refuses (`core.api.errors.ApiError`: a Conflict, a TooManyRequests), catch it,
  call `skipped(context, "what", error)` and return what is there: the seed must never fail
  `make run`.
- Send no code to a phone a walkthrough of docs/api.md uses: a code sent at start would make the
  walkthrough's own send wait out the resend cooldown. Each demo code goes to a phone of its own.
- Never rotate a credential printed before. A clear value that must be printed again (the client's
  secret, API key and token) is kept in the development-only file `DEMO_CREDENTIALS_FILE` (mode 0600,
  one entry per database) with `remember(...)` and read back with `recall(...)`; check it still
  matches the database before printing it.
- Return ids as strings and the credentials a user needs to try the demo; nothing else secret.
"""

import hashlib
import json
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken, generate_client_secret

from core.api.errors import ApiError
from core.audit import events as audit
from core.models import Client
from core.oauth.scopes import SCOPES
from core.oauth.services import client_create, token_issue

DEMO_CLIENT_NAME = "Demo MIS"
DEMO_ACTOR = "demo"
# A stored token is printed again while it has at least this long to live; otherwise a new one is issued.
TOKEN_MIN_REMAINING = timedelta(minutes=10)
PASSWORD_UNKNOWN = "(set earlier and not known to this run: `manage.py changepassword admin` sets a new one)"


# --- the helpers every demo module uses --------------------------------------------------------


def created(context: dict, what: str) -> None:
    """Note one thing this run made; `seed_demo` prints the list under `created`."""
    context.setdefault("created", []).append(what)


def skipped(context: dict, what: str, reason) -> None:
    """Note one thing this run could not make (and why); printed under `skipped`."""
    if isinstance(reason, ApiError):
        reason = reason.describe()
    context.setdefault("skipped", []).append(f"{what}: {reason}")


def _credentials_file() -> Path:
    return Path(getattr(settings, "DEMO_CREDENTIALS_FILE", settings.VAR_DIR / "demo-credentials.json"))


def _database_key() -> str:
    db = connection.settings_dict
    return "|".join(str(db.get(part) or "") for part in ("ENGINE", "HOST", "PORT", "NAME"))


def _read_all() -> dict:
    try:
        return json.loads(_credentials_file().read_text())
    except (FileNotFoundError, ValueError):
        return {}


def recall(name: str) -> dict:
    """What `remember(name, ...)` kept for this database (empty when nothing was)."""
    return _read_all().get(_database_key(), {}).get(name, {})


def remember(name: str, values: dict) -> None:
    """Keep clear demo credentials for the next run: a 0600 file in var/, replaced atomically."""
    data = _read_all()
    data.setdefault(_database_key(), {})[name] = values
    path = _credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".demo-credentials.")  # created 0600
    with os.fdopen(fd, "w") as file:
        json.dump(data, file, indent=2)
    os.replace(temporary, path)


# --- core's own demo data ----------------------------------------------------------------------


def _admin(context: dict, stored: dict):
    users = get_user_model().objects
    admin = users.filter(username="admin").first()
    if admin is None:
        password = settings.DEMO_ADMIN_PASSWORD or secrets.token_urlsafe(12)
        admin = users.create_superuser(username="admin", email="", password=password)
        created(context, "admin user")
        return admin, password
    for candidate in (stored.get("admin_password"), settings.DEMO_ADMIN_PASSWORD):
        if candidate and admin.check_password(candidate):
            return admin, candidate
    return admin, None


def _client(context: dict, stored: dict):
    client = Client.objects.filter(name=DEMO_CLIENT_NAME).order_by("pk").first()
    if client is None:
        new = client_create(name=DEMO_CLIENT_NAME, scopes=list(SCOPES), actor=DEMO_ACTOR)
        created(context, f"client {DEMO_CLIENT_NAME}")
        return new.client, new.client_secret, new.api_key
    changed = []
    missing = [scope for scope in SCOPES if scope not in client.scope_list]
    if missing:  # an app added since brought scopes the client was created without
        audit.record(entity=client, property="scopes", old=client.scopes, new=" ".join(SCOPES), actor=DEMO_ACTOR)
        client.scopes = " ".join([*client.scope_list, *missing])
        changed.append("scopes")
        created(context, f"client scopes {' '.join(missing)}")
    # The clear secret and key are not in the database: reuse the ones kept from an earlier run, and
    # make new ones only when nothing (or something stale) was kept.
    secret = stored.get("client_secret")
    if not (secret and check_password(secret, client.client_secret)):
        secret = client.client_secret = generate_client_secret()
        changed.append("client_secret")
        created(context, "client secret (none kept from an earlier run)")
    api_key = stored.get("api_key")
    if not (api_key and client.has_api_key(api_key)):
        api_key = client.set_new_api_key()
        changed.append("api_key_digest")
        created(context, "client API key (none kept from an earlier run)")
    if changed:
        client.save(update_fields=[*changed, "updated"])
    return client, secret, api_key


def _token(context: dict, client: Client, stored: dict) -> tuple[str, int]:
    value = stored.get("access_token")
    if value:
        token = AccessToken.objects.filter(
            token_checksum=hashlib.sha256(value.encode()).hexdigest(),
            application=client,
            expires__gt=timezone.now() + TOKEN_MIN_REMAINING,
        ).first()
        if token is not None and token.allow_scopes(client.scope_list):
            return value, int((token.expires - timezone.now()).total_seconds())
    issued = token_issue(client=client, scopes=client.scope_list, username="admin", actor=DEMO_ACTOR)
    created(context, "access token")
    return issued.value, issued.expires_in


def seed(context: dict) -> dict:
    stored = recall("core")
    admin, password = _admin(context, stored)
    client, secret, api_key = _client(context, stored)
    token, expires_in = _token(context, client, stored)
    remember(
        "core",
        {
            "admin_password": password or stored.get("admin_password"),
            "client_id": client.client_id,
            "client_secret": secret,
            "api_key": api_key,
            "access_token": token,
        },
    )
    context["client"] = client
    context["admin"] = admin
    return {
        "admin": {"username": "admin", "password": password or PASSWORD_UNKNOWN},
        "client_id": client.client_id,
        "client_secret": secret,
        "legal_entity_id": str(client.legal_entity_id),
        "api_key": api_key,
        "access_token": token,
        "access_token_expires_in": expires_in,
    }
