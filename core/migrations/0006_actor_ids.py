"""Who acted is an id: a client's or a user's UUID, or the nil UUID for the service itself.

`created_by`, `updated_by` and the audit trail's `actor` held "client:<client id>", "user:<pk>" or
"system"; they are rewritten to those ids (a user who no longer exists keeps the old text).
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Case, Value, When

SYSTEM = "00000000-0000-0000-0000-000000000000"


def give_clients_ids(apps, schema_editor):
    Client = apps.get_model("core", "Client")
    for client in Client.objects.filter(uuid__isnull=True).only("pk"):
        Client.objects.filter(pk=client.pk).update(uuid=uuid.uuid4())


def actors_as_ids(apps, schema_editor):
    Client = apps.get_model("core", "Client")
    UserIdentity = apps.get_model("core", "UserIdentity")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    columns = [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.fields
        if field.name in ("actor", "created_by", "updated_by") and isinstance(field, models.CharField)
    ]
    clients = {f"client:{client_id}": str(uid) for client_id, uid in Client.objects.values_list("client_id", "uuid")}
    for model, name in columns:
        ids = {}
        for old in model.objects.values_list(name, flat=True).distinct():
            if old == "system":
                ids[old] = SYSTEM
            elif old in clients:
                ids[old] = clients[old]
            elif old.startswith("user:") and User.objects.filter(pk=old.removeprefix("user:")).exists():
                identity, _created = UserIdentity.objects.get_or_create(user_id=old.removeprefix("user:"))
                ids[old] = str(identity.uuid)
        if ids:  # one statement per column
            model.objects.filter(**{f"{name}__in": list(ids)}).update(
                **{name: Case(*(When(**{name: old}, then=Value(new)) for old, new in ids.items()))}
            )


class Migration(migrations.Migration):
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
        migrations.RunPython(actors_as_ids, migrations.RunPython.noop),
    ]
