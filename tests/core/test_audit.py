"""Events recorded in an `audit.batched()` block go in together, or not at all."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import audit
from core.models import Event
from tests.persons.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_batch_writes_its_events_in_one_statement_at_its_end():
    person = PersonFactory()
    with CaptureQueriesContext(connection) as queries, audit.batched():
        audit.record(entity=person, property="a", old=None, new=1, actor="t")
        with audit.batched():  # an inner block leaves its events to the outer one
            audit.record_changes(entity=person, changes=[("b", 1, 2), ("c", 3, 3)], actor="t")
        assert not Event.objects.filter(entity_id=str(person.pk)).exists()
    inserts = [query for query in queries.captured_queries if query["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert sorted(Event.objects.filter(entity_id=str(person.pk)).values_list("property", flat=True)) == ["a", "b"]


def test_a_failed_batch_writes_nothing():
    person = PersonFactory()
    with pytest.raises(RuntimeError), audit.batched():
        audit.record(entity=person, property="a", old=None, new=1, actor="t")
        raise RuntimeError("the change failed")
    assert not Event.objects.filter(entity_id=str(person.pk)).exists()
    audit.record(entity=person, property="after", old=None, new=1, actor="t")  # no batch left behind
    assert Event.objects.filter(entity_id=str(person.pk), property="after").exists()
