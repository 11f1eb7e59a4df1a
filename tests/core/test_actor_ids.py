"""Who acted is an id: the token's client's or the user's UUID, or the nil UUID for the service."""

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


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_rewrites_who_acted_as_ids():
    executor = MigrationExecutor(connection)
    before = before_actor_ids(executor)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Client = apps.get_model("core", "Client")
    client = Client.objects.create(
        client_id="old-mis", name="Old MIS", client_type="confidential", api_key_digest="x" * 64
    )
    user = apps.get_model("auth", "User").objects.create(username="olena")
    Person = apps.get_model("persons", "Person")
    person = Person.objects.create(
        first_name="Олена", last_name="Коваль", birth_date="1990-01-01", gender="FEMALE", updated_by=f"user:{user.pk}"
    )
    Request = apps.get_model("persons", "AuthenticationMethodRequest")
    request = Request.objects.create(
        person=person,
        action="INSERT",
        client=client,
        legal_entity_id=client.legal_entity_id,
        expires_at=timezone.now(),
        authentication_method_current={"type": "OFFLINE"},
        created_by="client:old-mis",
        updated_by="system",
    )
    Event = apps.get_model("core", "Event")
    for actor in ("client:old-mis", f"user:{user.pk}", "system", "user:999"):
        Event.objects.create(entity_type="persons.person", entity_id=str(person.pk), property="p", actor=actor)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    apps = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    client_id = str(apps.get_model("core", "Client").objects.get(pk=client.pk).uuid)
    user_id = str(apps.get_model("core", "UserIdentity").objects.get(user_id=user.pk).uuid)
    request = apps.get_model("persons", "AuthenticationMethodRequest").objects.get(pk=request.pk)
    assert (request.created_by, request.updated_by) == (client_id, audit.SYSTEM)
    assert apps.get_model("persons", "Person").objects.get(pk=person.pk).updated_by == user_id
    actors = apps.get_model("core", "Event").objects.filter(entity_id=str(person.pk)).values_list("actor", flat=True)
    # a user who no longer exists keeps the old text: there is no id to give
    assert sorted(actors) == sorted([client_id, user_id, audit.SYSTEM, "user:999"])
