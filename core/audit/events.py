"""Audit events, written in the same transaction as the change they record."""

from collections.abc import Iterable
from typing import Any

from django.db import models

from core.models import Event, UserIdentity

# The nil UUID: the service itself (expiry, the worker, commands) as the one who acted.
SYSTEM = "00000000-0000-0000-0000-000000000000"


def actor_of(request) -> str:
    """Who acts in a request, as the id written to `updated_by` and the audit trail: the user's (a
    staff user, or the user a token was issued to), else the token's client's."""
    token = getattr(request, "auth", None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user_id_of(user)
    if token is not None and getattr(token, "application", None) is not None:
        return str(token.application.uuid)
    return SYSTEM


def user_id_of(user) -> str:
    """The user's public id, made the first time they act."""
    identity, _created = UserIdentity.objects.get_or_create(user=user)
    return str(identity.uuid)


def event_for(*, entity_type: str, entity_id, property: str, old: Any, new: Any, actor: str) -> Event:
    """An unsaved event: `record` saves one, bulk writers save many at once."""
    return Event(
        entity_type=entity_type,
        entity_id=str(entity_id),
        property=property,
        old_value=_jsonable(old),
        new_value=_jsonable(new),
        actor=actor,
    )


def _event_of(entity: models.Model, property: str, old: Any, new: Any, actor: str) -> Event:
    return event_for(
        entity_type=entity._meta.label_lower, entity_id=entity.pk, property=property, old=old, new=new, actor=actor
    )


def record(*, entity: models.Model, property: str, old: Any, new: Any, actor: str, into: list | None = None) -> Event:
    """Save the event of one change; with `into`, add it to that list instead, for the caller to write
    with the others of its transaction in one statement (`write`)."""
    event = _event_of(entity, property, old, new, actor)
    if into is None:
        event.save(force_insert=True)
    else:
        into.append(event)
    return event


def write(events: list[Event]) -> None:
    Event.objects.bulk_create(events)


def record_changes(*, entity: models.Model, changes: Iterable[tuple[str, Any, Any]], actor: str) -> None:
    Event.objects.bulk_create([_event_of(entity, prop, old, new, actor) for prop, old, new in changes if old != new])


def save_changes(entity: models.Model, *, fields, changes: Iterable[tuple[str, Any, Any]], actor: str) -> None:
    """Save `fields` of the (locked) `entity` with the events of its `changes`."""
    entity.save(update_fields=fields)
    record_changes(entity=entity, changes=changes, actor=actor)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)
