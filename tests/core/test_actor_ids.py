"""Who acted is an id: the token's client's or the user's UUID, or the nil UUID for the service."""

import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.audit import events as audit
from core.audit.events import user_id_of
from core.models import UserIdentity


def before_actor_ids(executor):
    """Every app at its newest migration, core at the one before who acted became an id."""
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] != "core"] + [
        ("core", "0005_back_office_indexes")
    ]


def test_a_user_gets_one_id_the_first_time_they_act(db):
    user = User.objects.create_user("olena")
    assert not UserIdentity.objects.filter(user=user).exists()
    first = user_id_of(user)
    assert user_id_of(user) == first == str(UserIdentity.objects.get(user=user).uuid)


def old_style_rows(apps, client, user) -> dict:
    """One row of each kind that holds who acted, written the old way; their ids."""
    Person = apps.get_model("persons", "Person")
    person = Person.objects.create(
        first_name="Олена", last_name="Коваль", birth_date="1990-01-01", gender="FEMALE", updated_by=f"user:{user.pk}"
    )
    request = apps.get_model("persons", "AuthenticationMethodRequest").objects.create(
        person=person,
        action="INSERT",
        client=client,
        legal_entity_id=client.legal_entity_id,
        expires_at=timezone.now(),
        authentication_method_current={"type": "OFFLINE"},
        created_by="client:old-mis",
        updated_by="system",
    )
    guess = apps.get_model("verifications", "FailedGuess").objects.create(
        phone_number="+380931234585", lifted_at=timezone.now(), lifted_by=f"user:{user.pk}"
    )
    Event = apps.get_model("core", "Event")
    for actor in ("client:old-mis", f"user:{user.pk}", "system", "user:999", "user:abc"):
        Event.objects.create(entity_type="persons.person", entity_id=str(person.pk), property="p", actor=actor)
    return {"person": person.pk, "request": request.pk, "guess": guess.pk}


def who_acted(apps, rows) -> tuple:
    request = apps.get_model("persons", "AuthenticationMethodRequest").objects.get(pk=rows["request"])
    events = apps.get_model("core", "Event").objects.filter(entity_id=str(rows["person"]))
    return (
        request.created_by,
        request.updated_by,
        apps.get_model("persons", "Person").objects.get(pk=rows["person"]).updated_by,
        apps.get_model("verifications", "FailedGuess").objects.get(pk=rows["guess"]).lifted_by,
        sorted(events.values_list("actor", flat=True)),
    )


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_rewrites_who_acted_as_ids_and_the_downgrade_back():
    executor = MigrationExecutor(connection)
    before = before_actor_ids(executor)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    client = apps.get_model("core", "Client").objects.create(
        client_id="old-mis", name="Old MIS", client_type="confidential", api_key_digest="x" * 64
    )
    user = apps.get_model("auth", "User").objects.create(username="olena")
    rows = old_style_rows(apps, client, user)
    old = who_acted(apps, rows)

    executor = MigrationExecutor(connection)
    newest = executor.loader.graph.leaf_nodes()
    executor.migrate(newest)
    apps = executor.loader.project_state(newest).apps
    client_id = str(apps.get_model("core", "Client").objects.get(pk=client.pk).uuid)
    user_id = str(apps.get_model("core", "UserIdentity").objects.get(user_id=user.pk).uuid)
    # a user who no longer exists (or never could) keeps the old text: there is no id to give
    unknown = ["user:999", "user:abc"]
    assert who_acted(apps, rows) == (
        client_id,
        audit.SYSTEM,
        user_id,
        user_id,
        sorted([client_id, user_id, audit.SYSTEM, *unknown]),
    )

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert who_acted(executor.loader.project_state(before).apps, rows) == old
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_command_rewrites_what_old_processes_wrote_after_the_upgrade(caller):
    from django.core.management import call_command

    from core.models import Event

    user = User.objects.create_user("olena")
    for actor in (f"client:{caller.client.client_id}", f"user:{user.pk}", "system"):
        Event.objects.create(entity_type="persons.person", entity_id="x", property="p", actor=actor)
    output = io.StringIO()
    call_command("rewrite_actor_ids", stdout=output)
    assert output.getvalue() == "3 values rewritten\n"
    assert sorted(Event.objects.filter(entity_id="x").values_list("actor", flat=True)) == sorted(
        [str(caller.client.uuid), user_id_of(user), audit.SYSTEM]
    )
