"""Merge-request part of `expire_requests` (the lead wires it into persons.housekeeping)."""

from datetime import datetime

from persons.merge_services import merge_requests_expire


def expire(now: datetime) -> dict[str, int]:
    return {"merge_requests": merge_requests_expire(now=now)}
