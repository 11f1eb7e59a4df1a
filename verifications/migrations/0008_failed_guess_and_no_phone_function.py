"""The guess budget's failed attempts, seen by both back-office groups and lifted by verifiers; the
phone's lock and the scan of its codes are plain queries again (limits.py), so migration 0007's
PostgreSQL function goes."""

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from core.backoffice import groups

FUNCTION = importlib.import_module("verifications.migrations.0007_lock_phone_codes_function")
CLERKS = [("verifications", "view_failedguess")]
VERIFIERS = [("verifications", "lift_guess_lock")]


def grant(apps, schema_editor):
    groups.grant(apps, clerks=CLERKS, verifiers=VERIFIERS)


def revoke(apps, schema_editor):
    groups.revoke(apps, clerks=CLERKS, verifiers=VERIFIERS)


class Migration(migrations.Migration):
    dependencies = [
        ("verifications", "0007_lock_phone_codes_function"),
        ("persons", "0008_back_office_groups_see_everything"),
    ]

    operations = [
        migrations.CreateModel(
            name="FailedGuess",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("phone_number", models.CharField(max_length=13)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lifted_by", models.CharField(blank=True, max_length=128)),
                (
                    "verification",
                    models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="failed_guesses",
                        to="verifications.verification",
                    ),
                ),
            ],
            options={
                "verbose_name": "failed code attempt",
                "verbose_name_plural": "failed code attempts",
                "ordering": ["-created_at"],
                "permissions": [("lift_guess_lock", "Can lift a phone's guess lock")],
                "indexes": [
                    models.Index(
                        condition=models.Q(("lifted_at__isnull", True)),
                        fields=["phone_number", "-created_at"],
                        name="failed_guess_phone_created",
                    ),
                    models.Index(fields=["created_at"], name="failed_guess_created"),
                ],
            },
        ),
        migrations.RunPython(FUNCTION.on_postgresql(FUNCTION.DROP), FUNCTION.on_postgresql(FUNCTION.CREATE)),
        migrations.RunPython(grant, revoke),
    ]
