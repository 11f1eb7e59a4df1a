"""Parallel approves on PostgreSQL: the doctor's limit holds and the seed chain never forks."""

import pytest

from declarations.models import ChainHead, DeclarationRequest
from tests.declarations.conftest import URL, chain_seed, with_parent
from tests.declarations.factories import DeclarationFactory, EmployeeFactory
from tests.parallel import in_parallel
from tests.persons.factories import PersonFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def new_requests(caller, doctor, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        person = PersonFactory(primary="NA")
        body = {"person_id": str(person.pk), "employee_id": str(doctor.pk), **with_parent(person)}
        response = caller.post(URL, body, format="json")
        assert response.status_code == 201
        ids.append(response.json()["data"]["id"])
    return ids


def approve_all(caller, ids) -> list[int]:
    responses = in_parallel(lambda i: caller.patch(f"{URL}/{ids[i]}/actions/approve", {}, format="json"), len(ids))
    return [response.status_code for response in responses]


def test_two_approves_for_a_doctor_one_below_the_limit_one_wins(caller):
    doctor = EmployeeFactory(client=caller.client, declaration_limit=3)
    for _ in range(2):
        DeclarationFactory(employee=doctor)
    ids = new_requests(caller, doctor, 2)
    assert sorted(approve_all(caller, ids)) == [201, 422]
    assert DeclarationRequest.objects.filter(status="APPROVED").count() == 1
    assert DeclarationRequest.objects.filter(status="NEW").count() == 1


def test_parallel_approves_of_different_requests_chain_distinct_seeds(caller):
    doctor = EmployeeFactory(client=caller.client)
    ids = new_requests(caller, doctor, 3)
    assert approve_all(caller, ids) == [201, 201, 201]
    chain = list(DeclarationRequest.objects.filter(pk__in=ids).order_by("approved_at"))
    assert len({request.seed for request in chain}) == 3
    previous = ""
    for request in chain:
        assert request.seed == chain_seed(previous, request.data_to_be_signed)
        previous = request.seed
    assert ChainHead.objects.get().seed == previous
