"""Transaction-scoped locks on a name that has no row to lock yet (a phone, a tax id).

PostgreSQL: an advisory lock, released when the transaction ends. SQLite needs none: its IMMEDIATE
transactions (config/settings.py) already run one writer at a time. The only raw SQL of the data path.
"""

from django.db import connection

# The first key of PostgreSQL's two-key advisory locks, one per kind of name, so ours never collide
# with each other's or another application's.
PHONE = 0x0E7A
TAX_ID = 0x0E7B


def lock_name(namespace: int, name: str) -> None:
    """Hold `name` of `namespace` until the transaction ends; call it inside one."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [namespace, name])
