"""core.rows.Table reads and writes what the ORM does, on both databases."""

import uuid
import warnings
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core import audit
from core import rows as core_rows
from core.models import Event
from core.rows import Table, kept_cursor, together
from declarations.models import Declaration, DeclarationRequest
from persons.models import AuthenticationMethod, Person
from tests.declarations.factories import DeclarationRequestFactory, EmployeeFactory
from tests.persons.factories import AuthenticationMethodFactory, PersonFactory

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {name: value for name, value in instance.__dict__.items() if name != "_state"}


def test_a_read_row_is_the_orms_instance(caller):
    """Ids, dates, datetimes, JSON and choices come back as the ORM converts them."""
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client), data_to_be_signed={"a": [1]})
    read = Table(DeclarationRequest).one(id=request.pk)
    assert fields(read) == fields(DeclarationRequest.objects.get(pk=request.pk))
    assert read._state.adding is False and read._state.db == "default"
    assert read.person.pk == request.person_id  # relations load lazily, as the ORM's do


def test_a_read_row_is_built_by_the_models_constructor_when_something_listens_to_it(caller):
    """A pre_init or post_init listener (some fields have one) sees every instance a Table reads."""
    from django.db.models import signals

    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client))
    seen = []

    def listen(sender, instance, **kwargs):
        seen.append(instance.pk)

    signals.post_init.connect(listen, sender=DeclarationRequest)
    try:
        read = Table(DeclarationRequest).one(id=request.pk)
    finally:
        signals.post_init.disconnect(listen, sender=DeclarationRequest)
    assert seen == [request.pk]
    assert fields(read) == fields(DeclarationRequest.objects.get(pk=request.pk))


def test_a_new_instance_is_the_one_the_models_constructor_makes():
    """Defaults (callables included) for what is not given, an id by attname, a related instance by
    name (kept, as the ORM keeps it); unknown names and wrong relations are refused as the ORM does."""
    person = PersonFactory(primary="")
    made = Table(AuthenticationMethod).new(person=person, type="OTP", phone_number="+380501234567")
    orm = AuthenticationMethod(person=person, type="OTP", phone_number="+380501234567")
    assert fields(made).keys() == fields(orm).keys()
    assert {**fields(made), "id": None, "started_at": None} == {**fields(orm), "id": None, "started_at": None}
    assert made.pk != orm.pk and made.started_at is not None  # each default made anew
    assert made._state.adding is True and made._state.db is None
    with CaptureQueriesContext(connection) as queries:
        assert made.person is person
    assert len(queries) == 0
    by_id = Table(AuthenticationMethod).new(person_id=person.pk, type="NA")
    assert by_id.person_id == person.pk and by_id.phone_number == ""
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Table(AuthenticationMethod).new(colour="red")
    with pytest.raises(ValueError, match="must be a Person"):
        Table(AuthenticationMethod).new(person=Event())
    Table(AuthenticationMethod).insert(made)
    assert AuthenticationMethod.objects.get(pk=made.pk).phone_number == "+380501234567"


def test_a_new_instance_by_a_one_to_one_relation_is_known_from_the_other_side_too(caller):
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client))
    made = Table(Declaration).new(declaration_request=request, person_id=request.person_id)
    orm = Declaration(declaration_request=request, person_id=request.person_id)
    assert made.declaration_request_id == orm.declaration_request_id == request.pk
    with CaptureQueriesContext(connection) as queries:
        assert made.declaration_request is request
    assert len(queries) == 0
    assert request.declaration is orm  # the ORM's constructor ran last: the other side knows its instance
    made = Table(Declaration).new(declaration_request=request, person_id=request.person_id)
    assert request.declaration is made


def test_conditions_take_ids_as_text_lists_and_where_fragments():
    person = PersonFactory(primary="")
    ended = AuthenticationMethodFactory(person=person, ended_at=timezone.now() - timedelta(days=1))
    active = AuthenticationMethodFactory(person=person, third=True)
    table = Table(AuthenticationMethod)
    now = table.prep("ended_at", timezone.now())
    found = table.select(person_id=str(person.pk), where="(ended_at IS NULL OR ended_at > %s)", params=[now])
    assert [method.pk for method in found] == [active.pk]
    both = table.select(id=[ended.pk, active.pk], order_by="started_at")
    assert {method.pk for method in both} == {ended.pk, active.pk}
    assert table.one(id=uuid.uuid4()) is None


def test_a_choice_is_written_into_the_sql_and_a_key_alone_finds_the_row(caller):
    """Choices are literals (a prepared statement's plan can use the partial indexes on them); a row asked
    for by its key is found by the key alone and checked against the rest in Python, with the same answer."""
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client), status="NEW")
    requests = Table(DeclarationRequest)
    New, Approved = DeclarationRequest.Status.NEW, DeclarationRequest.Status.APPROVED
    where, params = requests.conditions(status=[New, Approved], person_id=request.person_id, is_shareable=False)
    assert where.startswith(f"{requests.column('status')} IN ('NEW', 'APPROVED') AND ")
    assert params == [requests.prep("person_id", request.person_id), False]
    with CaptureQueriesContext(connection) as queries:
        assert requests.one(id=request.pk, legal_entity_id=caller.client.legal_entity_id, status=New).pk == request.pk
        assert requests.one(id=request.pk, legal_entity_id=uuid.uuid4()) is None  # another legal entity's
        assert requests.one(id=request.pk, status=[Approved]) is None
        assert requests.one(id=str(request.pk), legal_entity_id=str(caller.client.legal_entity_id)) is not None
    assert all("legal_entity_id" not in query["sql"].split("WHERE")[1] for query in queries)
    assert requests.select(status=New, legal_entity_id=caller.client.legal_entity_id)[0].pk == request.pk


def test_an_inserted_row_reads_back_as_written():
    """Defaults (the id, created_at) and JSON go in as the ORM's save would write them."""
    events = [
        audit.event_for(entity_type="t.t", entity_id=uuid.uuid4(), property="p", old=None, new={"n": i}, actor="t")
        for i in range(2)
    ]
    with CaptureQueriesContext(connection) as queries:
        Table(Event).insert(*events)
    assert len(queries) == 1
    for event in events:
        assert event._state.adding is False
        assert fields(Event.objects.get(pk=event.pk)) == fields(event)


def test_a_field_is_written_as_the_orms_save_would_write_it(caller):
    """Each field's saver gives what pre_save and get_db_prep_save give (those it skips return the value
    unchanged), for a choice, a lazy string, an id as text and a naive datetime too."""
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client))
    request.status = DeclarationRequest.Status.NEW
    request.status_reason = gettext_lazy("declined")
    request.person_id = str(request.person_id)
    request.expires_at = datetime(2030, 1, 1, 12, 0)  # naive
    event = audit.event_for(entity_type="t.t", entity_id=uuid.uuid4(), property="p", old=None, new=[1], actor="t")
    for instance in (request, event, request.person):
        table = Table(type(instance))
        for model_field, save in zip(table.fields, table._for(connection).savers, strict=True):
            if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
                continue  # the time of the call
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # the naive datetime's
                expected = model_field.get_db_prep_save(model_field.pre_save(instance, True), connection)
                written = save(instance, True)
            assert type(written) is type(expected), model_field
            assert getattr(written, "obj", written) == getattr(expected, "obj", expected), model_field


def test_an_update_writes_the_named_fields_only(caller):
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client), status="NEW")
    before = DeclarationRequest.objects.get(pk=request.pk)
    request.status, request.updated_by, request.declaration_number = "REJECTED", "tester", "NOT-SAVED"
    Table(DeclarationRequest).update(request, ["status", "updated_by"])
    after = DeclarationRequest.objects.get(pk=request.pk)
    assert (after.status, after.updated_by, after.declaration_number) == (
        "REJECTED",
        "tester",
        before.declaration_number,
    )
    DeclarationRequest.objects.filter(pk=request.pk).delete()
    with pytest.raises(DatabaseError):
        Table(DeclarationRequest).update(request, ["status"])


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_a_locking_read_needs_a_transaction():
    person = PersonFactory()
    table = Table(Person)
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            table.one(id=person.pk, lock=True)
    with transaction.atomic():
        assert table.one(id=person.pk, status=Person.Status.ACTIVE, lock=True).pk == person.pk


def test_inserts_of_database_made_ids_are_refused():
    """The ORM reads such an id back after its INSERT; Table does not, so it reads them only."""
    user = User.objects.create(username="reader")
    assert Table(User).one(id=user.pk).username == "reader"
    with pytest.raises(TypeError):
        Table(User).insert(User(username="writer"))


def test_writes_send_the_save_signals_as_the_orm_does():
    """django-tasks' results set their run_after in a pre_save receiver."""
    from django.db.models import signals
    from django_tasks_db.models import DBTaskResult, get_date_max

    sent = []

    def listen(sender, instance, created, update_fields, **kwargs):
        sent.append((created, update_fields))

    signals.post_save.connect(listen, sender=DBTaskResult)
    try:
        result = DBTaskResult(args_kwargs={}, task_path="x", backend_name="default", run_after=None)
        Table(DBTaskResult).insert(result)
        assert DBTaskResult.objects.get(pk=result.pk).run_after == get_date_max()
        result.priority = 7
        Table(DBTaskResult).update(result, ["priority"])
    finally:
        signals.post_save.disconnect(listen, sender=DBTaskResult)
    assert sent == [(True, None), (False, frozenset({"priority"}))]


def test_inserts_together_are_one_statement_at_the_blocks_end(caller):
    """On PostgreSQL one statement for every table (one per table elsewhere); an inner block leaves
    its inserts to the outer one; the instances are saved once the block ends."""
    person = PersonFactory()
    request = DeclarationRequestFactory.build(employee=EmployeeFactory(client=caller.client), person=person)
    with CaptureQueriesContext(connection) as queries, together():
        audit.record(entity=person, property="a", old=None, new=1, actor="t")
        with together():
            audit.record_changes(entity=person, changes=[("b", 1, 2), ("c", 3, 3)], actor="t")
            Table(DeclarationRequest).insert(request)
        assert request._state.adding is True
        assert not Event.objects.filter(entity_id=str(person.pk)).exists()
    inserts = [query for query in queries.captured_queries if "INSERT" in query["sql"]]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 2)
    assert sorted(Event.objects.filter(entity_id=str(person.pk)).values_list("property", flat=True)) == ["a", "b"]
    assert request._state.adding is False
    assert fields(DeclarationRequest.objects.get(pk=request.pk)) == fields(request)


def test_a_failed_block_inserts_nothing():
    person = PersonFactory()
    with pytest.raises(RuntimeError), together():
        audit.record(entity=person, property="a", old=None, new=1, actor="t")
        raise RuntimeError("the change failed")
    assert not Event.objects.filter(entity_id=str(person.pk)).exists()
    audit.record(entity=person, property="after", old=None, new=1, actor="t")  # no block left behind
    assert Event.objects.filter(entity_id=str(person.pk), property="after").exists()


def test_updates_join_the_block(caller):
    """An update inside a block goes with the block's inserts (one statement on PostgreSQL); a row it
    does not find fails the block, as the ORM's save does."""
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client), status="NEW")
    request.status = "REJECTED"
    with CaptureQueriesContext(connection) as queries:
        audit.save_changes(request, fields=["status"], changes=[("status", "NEW", "REJECTED")], actor="t")
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert DeclarationRequest.objects.get(pk=request.pk).status == "REJECTED"
    assert Event.objects.filter(entity_id=str(request.pk), property="status", new_value="REJECTED").exists()

    gone = DeclarationRequestFactory.build(employee=request.employee)  # never inserted
    with pytest.raises(DatabaseError), transaction.atomic():
        audit.save_changes(gone, fields=["status"], changes=[("status", "NEW", "REJECTED")], actor="t")
    assert not Event.objects.filter(entity_id=str(gone.pk)).exists()


def test_a_row_is_updated_once_per_block(caller):
    """In one statement only one of two updates of a row would apply: the second is refused."""
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client))
    with pytest.raises(TypeError), together():
        Table(DeclarationRequest).update(request, ["status"])
        Table(DeclarationRequest).update(request, ["updated_by"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's statement conversions")
def test_a_large_fixed_write_is_converted_once(caller, monkeypatch):
    """psycopg keeps the conversion of a write of more than its usual 50 parameters (core.apps)."""
    from psycopg import _queries

    uncached = []
    convert = _queries._query2pg_nocache
    monkeypatch.setattr(
        _queries, "_query2pg_nocache", lambda query, encoding: uncached.append(query) or convert(query, encoding)
    )
    person = PersonFactory()
    for _ in range(2):
        with together():
            for n in range(8):  # 8 events of 8 columns: 64 parameters
                audit.record(entity=person, property=f"p{n}", old=None, new=n, actor="t")
    assert Event.objects.filter(entity_id=str(person.pk)).count() == 16
    assert uncached == []


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_a_joined_read_builds_both_instances_and_locks_only_in_a_transaction(caller):
    request = DeclarationRequestFactory(employee=EmployeeFactory(client=caller.client))
    persons, requests = Table(Person), Table(DeclarationRequest)

    def joined(request_id, **options):
        where, params = requests.conditions("b", id=request_id)
        return persons.one_joined((requests, "a.id", "person_id"), where=where, params=params, **options)

    person, read = joined(request.pk)
    assert fields(person) == fields(Person.objects.get(pk=request.person_id))
    assert fields(read) == fields(DeclarationRequest.objects.get(pk=request.pk))
    assert joined(uuid.uuid4()) is None
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            joined(request.pk, lock=True)
    with transaction.atomic():
        assert joined(request.pk, lock=True)[1].pk == request.pk


def test_the_kept_cursor_is_djangos_wrapper_around_one_driver_cursor_per_connection():
    """Statements share one driver cursor while the connection lasts, a new connection gets its own,
    and the wrapper still logs queries and turns the driver's errors into Django's."""
    first, second = kept_cursor(), kept_cursor()
    assert first.cursor is second.cursor
    with CaptureQueriesContext(connection) as queries:
        kept_cursor().execute("SELECT 1")
    assert [query["sql"] for query in queries] == ["SELECT 1"]
    event = audit.event_for(entity_type="t.t", entity_id=uuid.uuid4(), property="p", old=None, new=None, actor="t")
    Table(Event).insert(event)
    twin = Event.objects.get(pk=event.pk)
    twin._state.adding = True
    with pytest.raises(IntegrityError), transaction.atomic():
        Table(Event).insert(twin)


@pytest.mark.django_db(transaction=True)  # so that the connection may close
def test_a_new_connection_gets_a_kept_cursor_of_its_own():
    kept_cursor().execute("SELECT 1")
    connection.close()
    cursor = kept_cursor()
    cursor.execute("SELECT 1")
    assert cursor.fetchone()[0] == 1
    assert cursor.cursor.connection is connection.connection


def test_an_update_computes_a_value_the_blocks_other_writes_take(caller):
    """The database works out the value as it updates the row; another update and an event (a JSON
    column) take it in the same statement on PostgreSQL, and every instance holds it afterwards."""
    persons = Table(Person)
    source, other = PersonFactory(first_name="Olena"), PersonFactory(last_name="Before")
    with CaptureQueriesContext(connection) as queries, together():
        returned = persons.update(source, [], computed={"first_name": (f"upper({persons.column('first_name')})", [])})
        name = returned["first_name"]
        other.last_name = name
        persons.update(other, ["last_name"])
        event = audit.record(entity=other, property="last_name", old="Before", new=name, actor="t")
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)  # elsewhere: each update, the insert
    assert name.value == source.first_name == other.last_name == event.new_value == "OLENA"
    assert Person.objects.get(pk=source.pk).first_name == "OLENA"
    assert Person.objects.get(pk=other.pk).last_name == "OLENA"
    assert Event.objects.get(pk=event.pk).new_value == "OLENA"


def test_a_computed_value_is_taken_only_in_the_block_that_computes_it(caller):
    persons = Table(Person)
    source, other = PersonFactory(first_name="Olena", last_name="Kovalenko"), PersonFactory()
    with together():
        name = persons.update(source, [], computed={"first_name": (f"upper({persons.column('first_name')})", [])})
    other.last_name = name["first_name"]  # known by now: taken as a plain value
    persons.update(other, ["last_name"])
    assert Person.objects.get(pk=other.pk).last_name == "OLENA"
    with together():
        pending = persons.update(source, [], computed={"last_name": (f"lower({persons.column('last_name')})", [])})
    assert pending["last_name"].known
    other.first_name = core_rows.Returned(persons, source, Person._meta.get_field("first_name"))  # never computed
    with pytest.raises(TypeError), together():
        persons.update(other, ["first_name"])
    with pytest.raises(TypeError):
        persons.update(other, ["first_name"])
