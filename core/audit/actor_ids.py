"""Who acted, as it was written before it became an id ("client:<client id>", "user:<pk>", "system"),
rewritten to the id (and back, when the migration that made it an id is reversed).

The migration runs it over the rows it finds; `manage.py rewrite_actor_ids` runs it again after a
deploy, for what processes still on the old code wrote meanwhile. It takes `get_model` (the
migration's historical models, or the app registry's): one rule for both.
"""

import uuid

from django.conf import settings
from django.db.models import Case, Value, When

from core.audit.events import SYSTEM

# every column that holds who acted
ACTOR_COLUMNS = [
    ("core", "Event", "actor"),
    ("persons", "Person", "updated_by"),
    ("persons", "AuthenticationMethodRequest", "created_by"),
    ("persons", "AuthenticationMethodRequest", "updated_by"),
    ("persons", "MergeRequest", "created_by"),
    ("persons", "MergeRequest", "updated_by"),
    ("declarations", "DeclarationRequest", "created_by"),
    ("declarations", "DeclarationRequest", "updated_by"),
    ("declarations", "Declaration", "created_by"),
    ("declarations", "Declaration", "updated_by"),
    ("approvals", "Approval", "created_by"),
    ("approvals", "Approval", "updated_by"),
    ("verifications", "FailedGuess", "lifted_by"),
]


def rewrite_actors(get_model, *, back: bool = False) -> int:
    """Rewrite every old-style actor to its id (`back`: every id to the old style); how many values
    changed. Values it does not know (a deleted user's, say) are left as they are. One statement per
    column, each on its own when the caller runs outside a transaction."""
    changed = 0
    for app_label, model_name, column in ACTOR_COLUMNS:
        model = get_model(app_label, model_name)
        found = set(model.objects.order_by().values_list(column, flat=True).distinct())
        mapping = (_ids_to_old if back else _old_to_ids)(get_model, found)
        if mapping:
            new_value = Case(*(When(**{column: old}, then=Value(new)) for old, new in mapping.items()))
            changed += model.objects.filter(**{f"{column}__in": list(mapping)}).update(**{column: new_value})
    return changed


def _old_to_ids(get_model, found: set[str]) -> dict[str, str]:
    Client, UserIdentity = get_model("core", "Client"), get_model("core", "UserIdentity")
    mapping = {"system": SYSTEM} if "system" in found else {}
    client_ids = {value.removeprefix("client:") for value in found if value.startswith("client:")}
    for client_id, client_uuid in Client.objects.filter(client_id__in=client_ids).values_list("client_id", "uuid"):
        mapping[f"client:{client_id}"] = str(client_uuid)
    user_pks = {int(value[5:]) for value in found if value.startswith("user:") and value[5:].isdigit()}
    users = get_model(*settings.AUTH_USER_MODEL.split(".")).objects.filter(pk__in=user_pks)
    user_pks = set(users.values_list("pk", flat=True))
    UserIdentity.objects.bulk_create([UserIdentity(user_id=pk) for pk in user_pks], ignore_conflicts=True)
    for pk, user_uuid in UserIdentity.objects.filter(user_id__in=user_pks).values_list("user_id", "uuid"):
        mapping[f"user:{pk}"] = str(user_uuid)
    return mapping


def _ids_to_old(get_model, found: set[str]) -> dict[str, str]:
    Client, UserIdentity = get_model("core", "Client"), get_model("core", "UserIdentity")
    mapping = {SYSTEM: "system"} if SYSTEM in found else {}
    ids = [value for value in found if is_uuid(value)]
    for client_id, client_uuid in Client.objects.filter(uuid__in=ids).values_list("client_id", "uuid"):
        mapping[str(client_uuid)] = f"client:{client_id}"
    for pk, user_uuid in UserIdentity.objects.filter(uuid__in=ids).values_list("user_id", "uuid"):
        mapping[str(user_uuid)] = f"user:{pk}"
    return mapping


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
