"""The back-office groups see approvals and jobs; verifiers may also resend an approval's code."""

from django.db import migrations

from core.backoffice import groups

VIEW = [("approvals", "view_approval"), ("core", "view_job")]
VERIFY = [("approvals", "change_approval")]


def grant(apps, schema_editor):
    groups.grant(apps, clerks=VIEW, verifiers=VERIFY)


def revoke(apps, schema_editor):
    groups.revoke(apps, clerks=VIEW, verifiers=VERIFY)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_approval"), ("persons", "0003_back_office_groups")]

    operations = [migrations.RunPython(grant, revoke)]
