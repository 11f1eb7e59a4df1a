"""The data path's promises, as they were once broken: a write in a savepoint that rolls back never
lands, and a locking read of another legal entity's request answers 404 without locking its rows."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from approvals.selectors import approval_get
from core.api.errors import NotFound
from core.audit import events as audit
from core.models import Event
from declarations.models import DeclarationRequest, Employee
from declarations.selectors import declaration_request_get, declaration_request_lock
from persons.models import AuthenticationMethodRequest, Person
from persons.selectors import authentication_method_request_get
from tests.declarations.factories import DeclarationRequestFactory, EmployeeFactory
from tests.persons.factories import AuthenticationMethodRequestFactory, PersonFactory


@pytest.mark.django_db
def test_an_audit_event_in_a_savepoint_that_rolls_back_is_never_written():
    person = PersonFactory()
    with transaction.atomic():
        audit.record(entity=person, property="kept", old=None, new=1, actor="test")
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record(entity=person, property="rolled_back", old=None, new=1, actor="test")
            audit.record_changes(entity=person, changes=[("rolled_back_too", 1, 2)], actor="test")
            raise RuntimeError("the inner work fails")
    written = set(Event.objects.filter(entity_id=str(person.pk)).values_list("property", flat=True))
    assert written == {"kept"}


def rows_locked_elsewhere(rows) -> list[str]:
    """Which of `rows` ((model, pk) pairs) another connection cannot lock at once (NOWAIT)."""
    locked = []

    def probe():
        try:
            for model, pk in rows:
                try:
                    with transaction.atomic():
                        list(model.objects.select_for_update(nowait=True).filter(pk=pk))
                except DatabaseError:
                    locked.append(f"{model.__name__} {pk}")
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=30)
    return locked


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_another_legal_entitys_request_is_404_and_none_of_its_rows_is_locked(caller, caller_factory):
    other = caller_factory(name="Other MIS")
    theirs = DeclarationRequestFactory(employee=EmployeeFactory(client=other.client), status="NEW")
    their_method_request = AuthenticationMethodRequestFactory(
        client=other.client, legal_entity_id=other.client.legal_entity_id
    )
    rows = [
        (DeclarationRequest, theirs.pk),
        (Person, theirs.person_id),
        (Employee, theirs.employee_id),
        (AuthenticationMethodRequest, their_method_request.pk),
    ]
    with transaction.atomic():
        with pytest.raises(NotFound):
            declaration_request_lock(request_id=theirs.pk, client=caller.client)
        with pytest.raises(NotFound):
            declaration_request_get(request_id=theirs.pk, client=caller.client, lock=True)
        with pytest.raises(NotFound):
            authentication_method_request_get(request_id=their_method_request.pk, client=caller.client, lock=True)
        assert rows_locked_elsewhere(rows) == []
        # the probe itself sees a lock when there is one: the owner's own locking read
        declaration_request_lock(request_id=theirs.pk, client=other.client)
        assert rows_locked_elsewhere(rows[:3]) == [f"{model.__name__} {pk}" for model, pk in rows[:3]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_another_legal_entitys_approval_is_404_and_not_locked(caller, caller_factory):
    from approvals.models import Approval
    from tests.approvals.conftest import EPISODE, reference

    other = caller_factory(name="Other MIS")
    doctor = EmployeeFactory(client=other.client)
    patient = PersonFactory()
    approval = Approval.objects.create(
        patient=patient,
        granted_resources=[reference("episode_of_care", EPISODE)],
        granted_to=doctor,
        expires_at="2099-01-01T00:00:00Z",
        authentication_method_current={"type": "OFFLINE", "number": None, "method_id": ""},
        client=other.client,
        legal_entity_id=other.client.legal_entity_id,
        created_by="test",
        updated_by="test",
    )
    with transaction.atomic():
        with pytest.raises(NotFound):
            approval_get(client=caller.client, patient_id=patient.pk, approval_id=approval.pk, lock=True)
        assert rows_locked_elsewhere([(Approval, approval.pk)]) == []
