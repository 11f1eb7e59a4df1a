"""Fixed-shape reads and writes of one model in plain SQL, for the statements every write repeats.

The ORM builds and compiles its SQL on every call: on this service's writes that was half of their
Python time (0.7 ms for a locked read of one person, against 0.14 ms in plain SQL). A `Table` builds
its model's column list once and keeps the model's own value conversions both ways and its fields'
defaults, so the instances it reads and the rows it writes are the ORM's. It knows equality (`IN` for
a list) on a model's attributes; anything else is a `where` fragment on column names whose parameters
the caller prepares with `prep`. Writes send pre_save and post_save as the ORM's save does.
`table(Model)` is the one Table of a model in a process.
"""

import contextvars
import dataclasses
import datetime
import functools
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.models import Choices, Model, signals
from django.db.models.base import ModelState
from django.db.transaction import TransactionManagementError

# Names come from the model's meta, quoted by the database's own rules; values are always parameters.
_SELECT = "SELECT {columns} FROM {table}"
_JOIN = " JOIN {table} {alias} ON {left} = {right}"
_ALIASES = "abcdefgh"  # of the tables of a join, in FROM order
_INSERT = "INSERT INTO {table} ({columns}) VALUES {rows}"
_UPDATE = "UPDATE {table} SET {assignments} WHERE {where}"
_FOUND = "(SELECT count(*) FROM {name})"  # the rows an update in a WITH returned
_RETURNED = "(SELECT {column} FROM {name})"  # what an update in a WITH computed
_RETURNING = " RETURNING {columns}"
_WITH = "WITH {parts} SELECT {found}"


class Table:
    def __init__(self, model: type[Model]):
        meta = model._meta
        if any(hasattr(field, "get_placeholder_sql") for field in meta.concrete_fields):
            raise TypeError(f"{meta.label}: a field with its own SQL placeholder needs the ORM")
        self.model = model
        self.fields = meta.concrete_fields
        self.attnames = [field.attname for field in self.fields]
        self._by_attname = {field.attname: field for field in self.fields}
        self._by_name = {field.name: field for field in self.fields}
        self._relations = {field.name: field for field in self.fields if field.is_relation}
        self._defaults = [(field.attname, field.get_default) for field in self.fields if not field.generated]
        self._vendor: dict[str, tuple] = {}

    @staticmethod
    def _connection():
        return connections[DEFAULT_DB_ALIAS]

    def _for(self, connection) -> "_Shape":
        """The model's SQL names, converters and savers on this database vendor, made once."""
        known = self._vendor.get(connection.vendor)
        if known is None:
            quote, table = connection.ops.quote_name, self.model._meta.db_table
            converters = []
            for field in self.fields:
                column = field.get_col(table)
                converters.append(
                    (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
                )
            columns = [quote(field.column) for field in self.fields]
            savers = [_saver(field, connection) for field in self.fields]
            known = self._vendor[connection.vendor] = _Shape(
                table=quote(table),
                columns=columns,
                listed={None: ", ".join(columns)},
                column_of=dict(zip(self.attnames, columns, strict=True)),
                by_name={field.name: pair for field, *pair in zip(self.fields, columns, savers, strict=True)},
                converters=converters,
                savers=savers,
            )
        return known

    @property
    def name(self) -> str:
        """The quoted table name."""
        return self._for(self._connection()).table

    def column(self, attname: str) -> str:
        """The quoted column of the model's attribute `attname`."""
        return self._for(self._connection()).column_of[attname]

    def columns(self, alias: str | None = None) -> str:
        """The model's columns in the order `build` reads them, prefixed with `alias.` if given (joins)."""
        shape = self._for(self._connection())
        if alias not in shape.listed:
            shape.listed[alias] = ", ".join(f"{alias}.{column}" for column in shape.columns)
        return shape.listed[alias]

    def prep(self, attname: str, value, connection=None):
        """`value` as the database takes it for the model's attribute `attname` (ids, datetimes on SQLite)."""
        connection = connection or self._connection()
        return self._by_attname[attname].get_db_prep_value(value, connection, prepared=False)

    def conditions(self, alias: str | None = None, **equal) -> tuple[str, list]:
        """`column = %s` (or `IN` for a list or tuple) for each attribute, ANDed, with prepared parameters.

        A model's choice (`status=Status.NEW`) is a constant of the code and is written into the SQL: the
        generic plan of a prepared statement can then use a partial index on it (`WHERE status = 'NEW'`),
        which it cannot for a parameter. That plan is made once per connection, often while a young
        table has no statistics, and kept."""
        connection = self._connection()
        column_of = self._for(connection).column_of
        sql, params = [], []
        for attname, value in equal.items():
            column = f"{alias}.{column_of[attname]}" if alias else column_of[attname]
            items = value if isinstance(value, (list, tuple)) else [value]
            if all(isinstance(item, Choices) for item in items):
                written = [_literal(item) for item in items]
            else:
                written = ["%s"] * len(items)
                params += [self.prep(attname, item, connection) for item in items]
            sql.append(f"{column} IN ({', '.join(written)})" if value is items else f"{column} = {written[0]}")
        return " AND ".join(sql), params

    def select(
        self,
        *,
        where: str = "",
        params=(),
        order_by: str = "",
        limit: int | None = None,
        lock: bool = False,
        **equal,
    ) -> list[Model]:
        """The rows whose attributes equal `equal` and that match `where`, as instances. `lock` locks them
        (FOR UPDATE, where the database has it) and, as the ORM's, needs a transaction.

        A row asked for by its primary key is found by the key alone and checked against the other
        attributes here: on a young table every index looks alike to the planner, and a generic plan
        made then (and kept) may walk, say, a legal entity's every request to find one."""
        connection = self._connection()
        shape = self._for(connection)
        key = self.model._meta.pk.attname
        checked = {}
        if not isinstance(equal.get(key, []), (list, tuple)):
            checked = {attname: value for attname, value in equal.items() if attname != key}
            equal = {key: equal[key]}
        condition, values = self.conditions(**equal)
        conditions = [part for part in (condition, where) if part]
        sql = _SELECT.format(columns=shape.listed[None], table=shape.table)
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        if order_by:
            sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        if lock:
            sql += _for_update(connection)
        cursor = kept_cursor(connection)
        cursor.execute(sql, [*values, *params])
        rows = cursor.fetchall()
        return [instance for row in rows if self.matches(instance := self.build(row, connection), **checked)]

    def matches(self, instance: Model, **equal) -> bool:
        """Whether the instance's attributes equal `equal` (one of them, for a list), as `conditions` asks."""
        for attname, value in equal.items():
            field = self._by_attname[attname]
            allowed = value if isinstance(value, (list, tuple)) else [value]
            if getattr(instance, attname) not in [field.to_python(item) for item in allowed]:
                return False
        return True

    def one(self, **options) -> Model | None:
        """The first row `select(**options)` finds, or None."""
        found = self.select(limit=1, **options)
        return found[0] if found else None

    def one_joined(self, *joins: tuple["Table", str, str], where: str, params, lock: bool = False):
        """The first row of this model (alias `a`) joined with each `(table, "x.attname", "attname")` of
        `joins`, which gets the next alias (`b`, `c`, ...) and joins on its attribute equal to that of
        an earlier alias `x`, matching `where` (written with those aliases): the instances in that
        order, or None. `lock` locks every row, in FROM order (which is lock order)."""
        connection = self._connection()
        tables = [self, *(join[0] for join in joins)]
        joined = self._for(connection).joined
        sql = joined.get((joins, where))
        if sql is None:  # made once per shape of join
            aliases = _ALIASES[: len(tables)]
            columns = ", ".join(table_.columns(alias) for table_, alias in zip(tables, aliases, strict=True))
            sql = _SELECT.format(columns=columns, table=f"{self.name} a")
            for alias, (other, left, right) in zip(aliases[1:], joins, strict=True):
                left_alias, left_attname = left.split(".")
                left_column = f"{left_alias}.{tables[aliases.index(left_alias)].column(left_attname)}"
                right_column = f"{alias}.{other.column(right)}"
                sql += _JOIN.format(table=other.name, alias=alias, left=left_column, right=right_column)
            sql = joined[joins, where] = f"{sql} WHERE {where}"
        if lock:
            sql += _for_update(connection)
        cursor = kept_cursor(connection)
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        instances, start = [], 0
        for table_ in tables:
            instances.append(table_.build(row[start : start + len(table_.attnames)], connection))
            start += len(table_.attnames)
        return tuple(instances)

    def build(self, values, connection=None) -> Model:
        """An instance from the model's columns as the database answered them (see `columns`): what
        the model's `from_db` makes."""
        connection = connection or self._connection()
        values = list(values)
        for index, (column, functions) in enumerate(self._for(connection).converters):
            for convert in functions:
                values[index] = convert(values[index], column, connection)
        if not self._plainly_made():
            return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, values)
        instance = _bare(self.model)
        instance._state.adding = False
        instance._state.db = DEFAULT_DB_ALIAS
        instance.__dict__.update(zip(self.attnames, values, strict=True))
        return instance

    def new(self, **values) -> Model:
        """An unsaved instance with `values` (by attname, or a related instance by its relation's name)
        and each other field's default: what `Model(**values)` makes, without its constructor's work
        for every field, 20-60 µs an instance (each write makes several)."""
        if not self._plainly_made():
            return self.model(**values)
        instance = _bare(self.model)
        made = instance.__dict__
        for name, value in values.items():
            relation = self._relations.get(name)
            if relation is not None:
                if value is not None and not isinstance(value, relation.related_model):
                    raise ValueError(f"{self.model.__name__}.{name} must be a {relation.related_model.__name__}")
                made[relation.attname] = None if value is None else getattr(value, relation.target_field.attname)
                relation.set_cached_value(instance, value)
                if relation.one_to_one and value is not None:  # as the ORM: the other side knows it too
                    relation.remote_field.set_cached_value(value, instance)
            elif name in self._by_attname:
                made[name] = value
            else:
                raise TypeError(f"{self.model.__name__}() got an unexpected keyword argument {name!r}")
        for attname, default in self._defaults:
            if attname not in made:
                made[attname] = default()
        return instance

    def _plainly_made(self) -> bool:
        """Whether the model's instances may be made without its constructor: nothing listens to
        pre_init or post_init (as some fields do), and the model keeps the ORM's constructor and
        `from_db`."""
        model = self.model
        return (
            not signals.pre_init.has_listeners(model)
            and not signals.post_init.has_listeners(model)
            and model.from_db.__func__ is Model.from_db.__func__
            and model.__init__ is Model.__init__
        )

    def _send(self, signal, instance: Model, **details) -> None:
        """pre_save or post_save, as the ORM's save sends them (for a model that listens)."""
        if signal.has_listeners(self.model):
            signal.send(sender=self.model, instance=instance, raw=False, using=DEFAULT_DB_ALIAS, **details)

    def insert(self, *instances: Model) -> None:
        """INSERT the unsaved `instances` in one statement, with their fields' defaults and auto_now values
        (the values pre_save receivers set included). Inside `together()`, with the block's other inserts."""
        if self.model._meta.pk.db_returning:  # an id the database makes: the ORM reads it back, this does not
            raise TypeError(f"{self.model._meta.label}: Table inserts need ids made in Python")
        if not instances:
            return
        connection = self._connection()
        savers = self._for(connection).savers
        values = []
        for instance in instances:
            self._send(signals.pre_save, instance, update_fields=None)
            values += [save(instance, True) for save in savers]
        insert = _Insert(self, instances, values)
        pending = _together.get()
        if pending is None:
            _write(connection, [insert])
        else:
            pending.append(insert)

    def _rows(self, connection, instances, values) -> tuple[str, list]:
        shape = self._for(connection)
        row = f"({', '.join(['%s'] * len(shape.columns))})"
        rows = ", ".join([row] * len(instances))
        return _INSERT.format(table=shape.table, columns=shape.listed[None], rows=rows), values

    def _inserted(self, instances) -> None:
        for instance in instances:
            instance._state.adding = False
            instance._state.db = DEFAULT_DB_ALIAS
            self._send(signals.post_save, instance, created=True, update_fields=None)

    def update(self, instance: Model, fields, *, computed: dict | None = None) -> dict[str, "Returned"]:
        """UPDATE the instance's row with the values of `fields` (field names, as `save(update_fields=...)`
        takes them) and their auto_now values; DatabaseError when the row is gone, as the ORM's. Inside
        `together()`, with the block's other writes.

        `computed` maps other field names to `(sql, params)`: an expression over the row's own columns
        (`Table.column`) that the database works out as it updates the row, after any lock on it, so
        over the row's latest version. The update returns what it wrote: a `Returned` per field, which
        the block's other writes may take as a value. Once the block has run, the field's attribute
        holds that value, as does every attribute that took it."""
        computed = computed or {}
        fields = frozenset(fields)
        self._send(signals.pre_save, instance, update_fields=fields | computed.keys())
        connection = self._connection()
        shape = self._for(connection)
        meta = self.model._meta
        assignments, values = [], []
        for name in fields:
            column, save = shape.by_name[name]
            assignments.append(f"{column} = %s")
            values.append(save(instance, False))
        returned = {}
        for name, (expression, expression_params) in computed.items():
            column, _save = shape.by_name[name]
            assignments.append(f"{column} = {expression}")
            values += expression_params
            returned[name] = Returned(self, instance, self._by_name[name])
        where, key = self.conditions(**{meta.pk.attname: instance.pk})
        sql = _UPDATE.format(table=shape.table, assignments=", ".join(assignments), where=where)
        update = _Update(self, instance, fields | computed.keys(), sql, [*values, *key], list(returned.values()))
        pending = _together.get()
        if pending is not None and any(
            isinstance(write, _Update) and write.table.model is self.model and write.instance.pk == instance.pk
            for write in pending
        ):  # in one statement only one of them would apply
            raise TypeError(f"{meta.label} {instance.pk}: one update of a row per together() block")
        if pending is None:
            _write(connection, [update])
        else:
            pending.append(update)
        return returned

    def _updated(self, update: "_Update", rowcount: int) -> None:
        if rowcount == 0:  # as the ORM's save(update_fields=...): the row was expected
            raise DatabaseError(f"{self.model._meta.label} {update.instance.pk}: the update found no row")
        self._send(signals.post_save, update.instance, created=False, update_fields=update.fields)


@dataclass
class _Shape:
    """A model's quoted names, its columns' converters (reads) and its fields' savers (writes) on one
    database vendor."""

    table: str
    columns: list
    listed: dict  # alias (None: none) -> the columns, comma-separated
    column_of: dict  # attname -> quoted column
    by_name: dict  # field name -> (quoted column, saver)
    converters: list
    savers: list
    joined: dict = dataclasses.field(default_factory=dict)  # (joins, where) -> one_joined's statement


def _bare(model: type[Model]) -> Model:
    """An instance of `model` with no field set yet, in the state its constructor leaves it."""
    instance = object.__new__(model)
    instance._state = ModelState()
    return instance


def _saver(model_field, connection):
    """`save(instance, add)`: the field's value of `instance` as the ORM's save writes it (pre_save, then
    get_db_prep_save). Where pre_save only reads the attribute it is read directly, and a value
    get_db_prep_save would return unchanged is written as it is: those calls were a tenth of an insert's
    Python time."""
    as_is = _written_as_is(model_field, connection)
    pre_save = type(model_field).pre_save
    automatic = getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)
    if pre_save is models.Field.pre_save or (pre_save is models.DateTimeField.pre_save and not automatic):
        attname = model_field.attname

        def value_of(instance, add):
            return getattr(instance, attname)

    else:
        value_of = model_field.pre_save  # an auto_now value, or a field's own

    def save(instance, add):
        value = value_of(instance, add)
        if as_is is not None and (value is None or as_is(value)):  # None too, for these fields only
            return value
        if isinstance(value, Returned):
            if not value.known:  # written by the same statement: see _write
                return _taken(value, model_field, instance)
            value = value.value
        if hasattr(value, "resolve_expression"):
            raise TypeError(f"{model_field}: an expression needs the ORM")
        return model_field.get_db_prep_save(value, connection)

    return save


def _written_as_is(model_field, connection):
    """A test of the values get_db_prep_save returns unchanged for this field, or None when there are none."""
    kind = type(model_field.target_field if isinstance(model_field, models.ForeignKey) else model_field)
    if kind in (models.CharField, models.TextField):
        return lambda value: isinstance(value, str)  # a choice is one
    if kind is models.BooleanField:
        return lambda value: type(value) is bool
    if kind is models.UUIDField and connection.features.has_native_uuid_field:
        return lambda value: type(value) is uuid.UUID
    if kind is models.DateTimeField and connection.vendor == "postgresql":
        # a naive one the ORM warns about and makes aware
        return lambda value: type(value) is datetime.datetime and value.utcoffset() is not None
    return None  # integers too: on PostgreSQL the ORM gives them the column's exact type


def _literal(choice: Choices) -> str:
    """A choice as an SQL literal: an integer, or a string quoted by the SQL standard's rule."""
    if isinstance(choice.value, int):
        return str(int(choice.value))
    return "'" + str(choice.value).replace("'", "''") + "'"


def kept_cursor(connection=None):
    """A cursor for one statement and its fetch, before any other: Django's wrapper, as
    `connection.cursor()` gives it (its errors, execute_wrapper hooks and query logging), around the one
    driver cursor kept per database connection, instead of a new one for every statement (29 µs less a
    statement, measured). Not to be closed: the next statement uses it again."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    kept = getattr(connection, "_kept_cursor", None)
    if kept is None or kept[0] is not connection.connection:  # none yet, or the connection was made anew
        with connection.wrap_database_errors:
            kept = connection._kept_cursor = (connection.connection, connection.create_cursor())
    return connection._prepare_cursor(kept[1])


def _for_update(connection) -> str:
    """The locking clause of a select, where the database has one; the ORM's rule: only in a transaction."""
    if not connection.features.has_select_for_update:
        return ""
    if connection.get_autocommit():  # a lock that ends with its own statement protects nothing
        raise TransactionManagementError("a locking select needs a transaction")
    return " FOR UPDATE"


@dataclass
class _Insert:
    table: Table
    instances: tuple
    values: list


@dataclass
class _Update:
    table: Table
    instance: Model
    fields: frozenset
    sql: str
    params: list
    returning: list  # the Returned of its computed fields


_UNKNOWN = object()


class Returned:
    """The value an update computes for a field (`Table.update(..., computed=...)`), which other writes
    of its `together()` block may take before anyone knows it: set it as an attribute's value. Known
    (`value`) once the block has run."""

    def __init__(self, table_: Table, instance: Model, field):
        self.table, self.instance, self.field = table_, instance, field
        self.value = _UNKNOWN

    @property
    def known(self) -> bool:
        return self.value is not _UNKNOWN

    def __repr__(self):
        return f"<Returned {self.field}: {'?' if not self.known else repr(self.value)}>"


@dataclass
class _Taken:
    """A `Returned` as the parameter of another write: which field of which instance takes it."""

    returned: Returned
    field: object
    instance: Model


_together: contextvars.ContextVar[list | None] = contextvars.ContextVar("rows_together", default=None)


def _taken(returned: Returned, field, instance: Model) -> _Taken:
    """A parameter for what `returned` will be, listed with the block's writes so `_write` finds it."""
    pending = _together.get()
    if pending is None:
        raise TypeError(f"{field}: a Returned not known yet is taken only inside a together() block")
    taken = _Taken(returned, field, instance)
    pending.append(taken)
    return taken


@contextmanager
def together():
    """The inserts and updates made inside (of any models) go to the database together when the block
    ends without an error: one statement on PostgreSQL (a WITH of them), one per table and update
    elsewhere. Inside the caller's transaction; foreign keys are checked at commit, so the order does
    not matter, but the block must not read back, nor update, what it writes. A block inside another
    leaves its writes to the outer."""
    if _together.get() is not None:
        yield
        return
    pending: list = []
    token = _together.set(pending)
    try:
        yield
    finally:
        _together.reset(token)
    if pending:
        _write(Table._connection(), pending)


def _write(connection, writes: list) -> None:
    """The writes (`_Insert`, `_Update`, and the `_Taken` among their parameters): each update, and the
    rows of one table in one VALUES list.
    The updates that compute a value go first, so that on one statement at a time the others may take it."""
    updates = sorted((write for write in writes if isinstance(write, _Update)), key=lambda update: not update.returning)
    merged: dict[Table, tuple[list, list]] = {}
    for write in writes:
        if isinstance(write, _Insert):
            rows, params = merged.setdefault(write.table, ([], []))
            rows += write.instances
            params += write.values
    statements = [(update.sql, update.params) for update in updates]
    statements += [table_._rows(connection, rows, params) for table_, (rows, params) in merged.items()]
    returned = [(number, each) for number, update in enumerate(updates) for each in update.returning]
    taken = [write for write in writes if isinstance(write, _Taken)]
    if any(all(value.returned is not each for _n, each in returned) for value in taken):
        raise TypeError("a Returned must be taken in the together() block of the update that computes it")
    cursor = kept_cursor(connection)
    if connection.vendor == "postgresql" and len(statements) > 1:
        # one statement: each update returns its row (or what it computed), and the statement how many
        # each found and what they computed, which the others take from their WITH
        name = {
            id(each): _RETURNED.format(column=_returned_column(each), name=f"w{number}") for number, each in returned
        }
        parts, values = [], []
        for n, (sql, params) in enumerate(statements):
            if taken:
                sql, params = _taking(sql, params, lambda value: _as_taken(name[id(value.returned)], value.field))
            if n < len(updates):
                sql += _RETURNING.format(columns=", ".join(map(_returned_column, updates[n].returning)) or "1")
            parts.append(sql)
            values += params
        found = [_FOUND.format(name=f"w{n}") for n in range(len(updates))] + [name[id(each)] for _n, each in returned]
        parts = ", ".join(f"w{n} AS ({part})" for n, part in enumerate(parts))
        cursor.execute(_WITH.format(parts=parts, found=", ".join(found) or "1"), values)
        row = cursor.fetchone()
        rowcounts = row[: len(updates)]
        for (_number, each), value in zip(returned, row[len(updates) : len(updates) + len(returned)], strict=True):
            _learn(each, value, connection)
    else:
        rowcounts = []
        for n, (sql, params) in enumerate(statements):
            if taken:
                params = [_resolved(value, connection) for value in params]
            returning = updates[n].returning if n < len(updates) else []
            if returning:
                cursor.execute(sql + _RETURNING.format(columns=", ".join(map(_returned_column, returning))), params)
                row = cursor.fetchone()
                rowcounts.append(0 if row is None else 1)  # by its key: one row at most
                for each, value in zip(returning, row or [None] * len(returning), strict=True):
                    _learn(each, value, connection)
            else:
                cursor.execute(sql, params)
                rowcounts.append(cursor.rowcount)
    for value in taken:
        setattr(value.instance, value.field.attname, value.returned.value)
    for update, rowcount in zip(updates, rowcounts, strict=False):  # the inserts' counts are not checked
        update.table._updated(update, rowcount)
    for table_, (rows, _params) in merged.items():
        table_._inserted(rows)


def _returned_column(returned: Returned) -> str:
    return returned.table.column(returned.field.attname)


def _learn(returned: Returned, value, connection) -> None:
    """What the database returned for a computed field, converted as a read converts it, on the
    updated instance and in its Returned."""
    table_ = returned.table
    column, functions = table_._for(connection).converters[table_.attnames.index(returned.field.attname)]
    for convert in functions:
        value = convert(value, column, connection)
    returned.value = value
    setattr(returned.instance, returned.field.attname, value)


def _taking(sql: str, params: list, fragment) -> tuple[str, list]:
    """`sql` with each placeholder whose parameter is a `_Taken` replaced by its `fragment`, and the
    parameters left."""
    slots = tuple((n, fragment(value)) for n, value in enumerate(params) if isinstance(value, _Taken))
    if not slots:
        return sql, params
    return _substituted(sql, slots), [value for value in params if not isinstance(value, _Taken)]


@functools.lru_cache(maxsize=256)  # a few fixed shapes: the split of a long statement costs 0.02 ms
def _substituted(sql: str, slots: tuple) -> str:
    """`sql` with its `n`th placeholder replaced by `fragment`, for each `(n, fragment)` of `slots`."""
    fragments, pieces, n = dict(slots), [], 0
    for piece in re.split(r"(%%|%s)", sql):
        if piece == "%s":
            if n in fragments:
                piece = fragments[n]
            n += 1
        pieces.append(piece)
    return "".join(pieces)


def _as_taken(source: str, field) -> str:
    """A value of another part of the statement as `field`'s column takes it (a JSON column: as JSON)."""
    return f"to_jsonb({source})" if isinstance(field, models.JSONField) else source


def _resolved(value, connection):
    """A parameter, with a `_Taken` value (known by now: its update ran first) saved as its field saves it."""
    if isinstance(value, _Taken):
        return value.field.get_db_prep_save(value.returned.value, connection)
    return value


# The largest number of parameters of a statement `together()` sends (an authentication-method
# request's code, SMS, task and events: 71), with room.
_LARGEST_FIXED_STATEMENT = 256


def cache_statement_conversions() -> None:
    """psycopg turns a statement's placeholders into PostgreSQL's on every execute (a regex over its
    text) and keeps the result only for statements of at most 50 parameters: ORM statements with
    ever-changing IN lists would flood its cache. `together()` sends a few fixed shapes with more,
    whose conversion cost 0.25 ms a call; psycopg's cache (a bounded LRU) now keeps them too."""
    try:
        from psycopg import _queries
    except ImportError:  # no PostgreSQL driver: nothing to tune
        return
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, _LARGEST_FIXED_STATEMENT)


@functools.cache
def table(model: type[Model]) -> Table:
    """The one Table of `model`: its SQL text is built once per process."""
    return Table(model)
