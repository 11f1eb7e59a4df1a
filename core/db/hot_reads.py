"""The reads on every request's path (its token) and the row locks writes start with, one statement each.

Building a queryset's SQL costs more CPU than PostgreSQL spends answering these, on every call. So
each is a `Read`: its SQL made once, at import, from the models' metadata, run through Django's own
cursor, and its rows loaded with the ORM's own parts: each column's converters (`get_db_converters`)
and `Model.from_db`. Everything else goes through querysets.
"""

from django.db import connection, transaction
from django.db.models import Model


class Table:
    """A model's columns under an alias in a `Read`, and how a row's slice of them becomes an instance.

    In a `Read`'s SQL, `{alias}` is the model's table and `{alias.c.field}` a field's column."""

    def __init__(self, model: type[Model], alias: str):
        self.model, self.alias = model, alias
        self.name = connection.ops.quote_name(model._meta.db_table)
        self.c = Columns(model, alias)
        fields = model._meta.concrete_fields
        self.attnames = [field.attname for field in fields]
        self.columns = ", ".join(getattr(self.c, field.name) for field in fields)
        columns = [field.get_col(alias) for field in fields]
        self.converters = [
            (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
            for column in columns
        ]

    def __format__(self, spec: str) -> str:
        return self.name

    def param(self, field_name: str, value):
        """`value` as the database takes it for the field (a UUID as SQLite stores it, say)."""
        return self.model._meta.get_field(field_name).get_db_prep_value(value, connection)

    def load(self, values) -> Model:
        converted = []
        for value, (column, converters) in zip(values, self.converters, strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)


class Columns:
    """A model's columns by field name, qualified by the table's alias and quoted."""

    def __init__(self, model: type[Model], alias: str):
        self.model, self.alias = model, alias

    def __getattr__(self, field_name: str) -> str:
        column = self.model._meta.get_field(field_name).column
        return f"{self.alias}.{connection.ops.quote_name(column)}"


class Read:
    """`SELECT <every table's columns> <sql>` (see `Table` for what `sql` may name); `lock` (aliases)
    makes it `FOR UPDATE OF` those tables' rows, where the database can, and then it must run inside a
    transaction, as `select_for_update` must."""

    def __init__(self, *tables: Table, sql: str, lock: tuple[str, ...] = ()):
        self.tables, self.locks = tables, bool(lock) and connection.features.has_select_for_update
        columns = ", ".join(table.columns for table in tables)
        self.sql = f"SELECT {columns} " + sql.format(**{table.alias: table for table in tables})
        if lock and connection.features.has_select_for_update_of:
            self.sql += " FOR UPDATE OF " + ", ".join(lock)
        elif lock and connection.features.has_select_for_update:
            self.sql += " FOR UPDATE"

    def one(self, params) -> list[Model] | None:
        """The first row, as one instance per table; None when there is none."""
        if self.locks and transaction.get_autocommit():
            raise transaction.TransactionManagementError("a locking read outside a transaction locks nothing")
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        instances, start = [], 0
        for table in self.tables:
            instances.append(table.load(row[start : start + len(table.attnames)]))
            start += len(table.attnames)
        return instances
