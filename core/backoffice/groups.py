"""The back-office groups, kept by data migrations: clerks view everything and act on nothing;
verifiers view the same and may verify persons, resend codes and expire requests.

Migrations call `grant(apps, clerks=..., verifiers=...)` with (app label, codename) pairs; permissions
of apps or models not (yet) in the migration state are skipped, so a later migration adds them."""

from django.contrib.auth.management import create_permissions

CLERKS = "read-only clerks"
VERIFIERS = "verifiers"


def _permissions(apps, pairs):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, codename in pairs:
        found.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return found


def grant(apps, *, clerks, verifiers) -> None:
    """Clerks get `clerks`; verifiers get `clerks` and `verifiers`."""
    # permissions are normally created after migrate; make sure the ones the groups need exist now
    for app_label in sorted({label for label, _codename in [*clerks, *verifiers]}):
        try:
            app_config = apps.get_app_config(app_label)
        except LookupError:
            continue
        app_config.models_module = True  # the migration state's app stub has none; create_permissions needs it
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=CLERKS)
    group.permissions.add(*_permissions(apps, clerks))
    group, _ = Group.objects.get_or_create(name=VERIFIERS)
    group.permissions.add(*_permissions(apps, [*clerks, *verifiers]))


def revoke(apps, *, clerks, verifiers) -> None:
    for group in apps.get_model("auth", "Group").objects.filter(name__in=[CLERKS, VERIFIERS]):
        group.permissions.remove(*_permissions(apps, [*clerks, *verifiers]))
