"""Finding a person: by tax id, or by name and birth date; no browsing; one active record per tax id."""

import datetime

import pytest

from persons.models import Person
from tests.persons.factories import PersonFactory

pytestmark = pytest.mark.django_db

URL = "/api/persons"
SEARCH_NEEDS = "Search needs tax_id, or first_name, last_name and birth_date"


def found(response) -> list[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["meta"]["type"] == "list"
    return [person["id"] for person in body["data"]]


def test_by_tax_id_finds_the_active_person_with_masked_phones(caller, django_assert_max_num_queries):
    person = PersonFactory(phones=[{"type": "MOBILE", "number": "+380503410870"}])
    PersonFactory(tax_id=person.tax_id, status="inactive")  # a merged duplicate is not an answer
    PersonFactory()
    with django_assert_max_num_queries(2):  # the token, the search
        response = caller.get(URL, {"tax_id": person.tax_id})
    assert found(response) == [str(person.pk)]
    assert response.json()["data"][0]["phones"] == [{"type": "MOBILE", "number": "+38050*****70"}]
    assert "+380503410870" not in response.content.decode()


def test_by_name_and_birth_date_in_either_case(caller):
    person = PersonFactory(first_name="Petro", last_name="Ivanenko", birth_date=datetime.date(1991, 8, 19))
    PersonFactory(first_name="Petro", last_name="Ivanenko", birth_date=datetime.date(1991, 8, 20))
    query = {"first_name": "PETRO", "last_name": "ivanenko", "birth_date": "1991-08-19"}
    assert found(caller.get(URL, query)) == [str(person.pk)]


def test_at_most_ten_answer(caller):
    for _ in range(12):
        PersonFactory(first_name="Olena", last_name="Shevchenko", birth_date=datetime.date(1990, 1, 1))
    query = {"first_name": "Olena", "last_name": "Shevchenko", "birth_date": "1990-01-01"}
    assert len(found(caller.get(URL, query))) == 10


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"first_name": "Olena"},
        {"first_name": "Olena", "last_name": "Shevchenko"},
        {"last_name": "Shevchenko", "birth_date": "1990-01-01"},
        {"tax_id": "3346812319", "first_name": "Olena", "last_name": "Shevchenko", "birth_date": "1990-01-01"},
    ],
)
def test_anything_else_is_422_no_browsing(caller, query):
    PersonFactory(first_name="Olena", last_name="Shevchenko", birth_date=datetime.date(1990, 1, 1))
    response = caller.get(URL, query)
    assert response.status_code == 422
    assert response.json()["error"] == {"type": "request_malformed", "message": SEARCH_NEEDS}


@pytest.mark.parametrize(
    "query, entry",
    [({"tax_id": "12"}, "$.tax_id"), ({"birth_date": "yesterday"}, "$.birth_date"), ({"name": "x"}, "$.name")],
)
def test_bad_parameters_are_422_on_the_parameter(caller, query, entry):
    response = caller.get(URL, query)
    assert response.status_code == 422
    assert [item["entry"] for item in response.json()["error"]["invalid"]] == [entry]


def test_search_needs_person_read(caller_factory):
    response = caller_factory(scopes=["person:write"]).get(URL, {"tax_id": "3346812319"})
    assert response.status_code == 403
    assert response.json()["error"]["message"].endswith("Missing allowances: person:read")


INTAKE = {
    "first_name": "Петро",
    "last_name": "Іванов",
    "birth_date": "1991-08-19",
    "gender": "MALE",
    "tax_id": "3346812319",
    "authentication_methods": [{"type": "OFFLINE"}],
}


def test_intake_refuses_a_second_active_person_with_the_tax_id(caller):
    assert caller.post(URL, INTAKE, format="json").status_code == 201
    response = caller.post(URL, {**INTAKE, "first_name": "Павло"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == {"type": "request_conflict", "message": "Such person already exists"}
    assert Person.objects.filter(tax_id="3346812319").count() == 1


def test_intake_of_a_merged_away_tax_id_is_allowed(caller):
    PersonFactory(tax_id="3346812319", status="inactive")
    assert caller.post(URL, INTAKE, format="json").status_code == 201


def test_a_merged_person_shows_its_master(caller):
    master = PersonFactory()
    merged = PersonFactory(status="inactive", merged_into=master)
    assert caller.get(f"{URL}/{merged.pk}").json()["data"]["merged_into"] == str(master.pk)
    assert caller.get(f"{URL}/{master.pk}").json()["data"]["merged_into"] is None
