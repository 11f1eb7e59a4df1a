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


# --- sign ------------------------------------------------------------------------------------------


def sign_all(calls) -> list[int]:
    """PATCH each (caller, request id, body) sign at the same moment: the status codes."""
    from tests.declarations.conftest import act

    responses = in_parallel(lambda i: act(calls[i][0], calls[i][1], "sign", calls[i][2]), len(calls))
    return [getattr(response, "status_code", response) for response in responses]


def signed_body(data, holder) -> dict:
    from tests.declarations.conftest import sign_body, to_be_signed
    from tests.declarations.pki import content_of

    return sign_body(content_of(to_be_signed(data)), holder)


def test_two_signs_of_one_request_make_one_declaration(caller, doctor, approved, pki):
    from declarations.models import Declaration

    data = approved()
    body = signed_body(data, pki.holder(doctor))
    assert sorted(sign_all([(caller, data["id"], body), (caller, data["id"], body)])) == [200, 409]
    assert Declaration.objects.count() == 1


def test_two_clinics_signing_for_one_patient_at_once_leave_one_current_declaration(
    caller, caller_factory, doctor, approved, pki
):
    from declarations.models import Declaration

    person = PersonFactory()
    other = caller_factory(name="Another clinic")
    other_doctor = EmployeeFactory(client=other.client)
    mine, theirs = approved(person), approved(person, other_doctor, other)
    calls = [
        (caller, mine["id"], signed_body(mine, pki.holder(doctor))),
        (other, theirs["id"], signed_body(theirs, pki.holder(other_doctor))),
    ]
    assert sign_all(calls) == [200, 200]
    declarations = Declaration.objects.filter(person=person)
    assert sorted(d.status for d in declarations) == ["active", "terminated"]
    assert declarations.get(status="terminated").reason == "auto_new_declaration"
