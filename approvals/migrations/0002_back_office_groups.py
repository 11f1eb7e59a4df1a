"""The back-office groups see approvals and jobs; verifiers may also resend an approval's code."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CLERKS = "read-only clerks"
VERIFIERS = "verifiers"
VIEW = [("approvals", "view_approval"), ("core", "view_job")]
RESEND = [("approvals", "change_approval")]


def _permissions(apps, pairs):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, codename in pairs:
        found.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return found


def grant(apps, schema_editor):
    for label in ("core", "approvals"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # the migration state's app stub has none; create_permissions needs it
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, pairs in ((CLERKS, VIEW), (VERIFIERS, VIEW + RESEND)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, pairs))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=[CLERKS, VERIFIERS]):
        group.permissions.remove(*_permissions(apps, VIEW + RESEND))


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_approval"),
        ("persons", "0003_back_office_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
