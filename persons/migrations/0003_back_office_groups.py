"""Back-office groups: read-only clerks, and verifiers who may also verify persons by hand."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CLERKS = "read-only clerks"
VERIFIERS = "verifiers"
VIEW = [
    ("persons", "view_person"),
    ("persons", "view_authenticationmethod"),
    ("persons", "view_authenticationmethodrequest"),
    ("core", "view_event"),
]
VERIFY = [("persons", "verify_person"), ("persons", "change_authenticationmethodrequest")]  # + resend codes


def create_groups(apps, schema_editor):
    # permissions are normally created after migrate; make sure the ones the groups need exist now
    for label in ("core", "persons"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # the migration state's app stub has none; create_permissions needs it
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(pairs):
        found = []
        for app_label, codename in pairs:
            found.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        return found

    clerks, _ = Group.objects.get_or_create(name=CLERKS)
    clerks.permissions.add(*permissions(VIEW))
    verifiers, _ = Group.objects.get_or_create(name=VERIFIERS)
    verifiers.permissions.add(*permissions(VIEW + VERIFY))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[CLERKS, VERIFIERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("persons", "0002_authentication_method_request"),
        ("persons", "0002_merge_request"),  # also joins the two 0002 branches
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
