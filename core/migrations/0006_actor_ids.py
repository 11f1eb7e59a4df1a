"""Who acted is an id: a client's or a user's UUID, or the nil UUID for the service itself.

`created_by`, `updated_by`, `lifted_by` and the audit trail's `actor` held "client:<client id>",
"user:<pk>" or "system"; they are rewritten to those ids (a user who no longer exists keeps the old
text), one statement per column, each committed on its own (the migration is not atomic): a large
audit trail is not held in one transaction. `manage.py rewrite_actor_ids` does it again after the
deploy; reversed, the ids are written back the old way before the ids themselves go.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.audit.actor_ids import rewrite_actors


def give_clients_ids(apps, schema_editor):
    Client = apps.get_model("core", "Client")
    for client in Client.objects.filter(uuid__isnull=True).only("pk"):
        Client.objects.filter(pk=client.pk).update(uuid=uuid.uuid4())


def actors_as_ids(apps, schema_editor):
    rewrite_actors(apps.get_model)


def actors_as_before(apps, schema_editor):
    rewrite_actors(apps.get_model, back=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("core", "0005_back_office_indexes"),
        ("approvals", "0004_back_office_indexes"),
        ("declarations", "0008_signed_declarations"),
        ("persons", "0012_back_office_indexes"),
        ("verifications", "0009_back_office_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(model_name="client", name="uuid", field=models.UUIDField(editable=False, null=True, verbose_name="public id")),
        migrations.RunPython(give_clients_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="client",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="public id"),
        ),
        migrations.CreateModel(
            name="UserIdentity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="public id")),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="identity",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "user's id", "verbose_name_plural": "users' ids"},
        ),
        migrations.RunPython(actors_as_ids, actors_as_before),
    ]
