"""Audit events, written in the same transaction as the change they record."""

from collections.abc import Iterable
from typing import Any

from django.db import models

from core.models import Event

SYSTEM = "system"


def actor_of(request) -> str:
    """Who acts in an API request: the token's user, else the client (client credentials)."""
    token = getattr(request, "auth", None)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    if token is not None and getattr(token, "application", None) is not None:
        return f"client:{token.application.client_id}"
    return SYSTEM


def record(*, entity: models.Model, property: str, old: Any, new: Any, actor: str) -> Event:
    return Event.objects.create(
        entity_type=entity._meta.label_lower,
        entity_id=str(entity.pk),
        property=property,
        old_value=_jsonable(old),
        new_value=_jsonable(new),
        actor=actor,
    )


def record_changes(*, entity: models.Model, changes: Iterable[tuple[str, Any, Any]], actor: str) -> None:
    Event.objects.bulk_create(
        Event(
            entity_type=entity._meta.label_lower,
            entity_id=str(entity.pk),
            property=prop,
            old_value=_jsonable(old),
            new_value=_jsonable(new),
            actor=actor,
        )
        for prop, old, new in changes
        if old != new
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)
