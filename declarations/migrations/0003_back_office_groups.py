"""The back-office groups see declarations; verifiers may also resend a declaration request's code."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CLERKS = "read-only clerks"
VERIFIERS = "verifiers"
VIEW = ["view_employee", "view_declaration", "view_declarationrequest"]
RESEND = ["change_declarationrequest"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("declarations")
    app_config.models_module = True  # the migration state's app stub has none; create_permissions needs it
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(codenames):
        return Permission.objects.filter(content_type__app_label="declarations", codename__in=codenames)

    clerks, _ = Group.objects.get_or_create(name=CLERKS)
    clerks.permissions.add(*permissions(VIEW))
    verifiers, _ = Group.objects.get_or_create(name=VERIFIERS)
    verifiers.permissions.add(*permissions(VIEW + RESEND))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=[CLERKS, VERIFIERS]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="declarations"))


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0002_declaration_requests"),
        ("persons", "0003_back_office_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
