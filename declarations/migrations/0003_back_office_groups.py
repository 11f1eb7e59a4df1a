"""The back-office groups see declarations; verifiers may also resend a declaration request's code."""

from django.db import migrations

from core.backoffice import groups

VIEW = [("declarations", name) for name in ("view_employee", "view_declaration", "view_declarationrequest")]
VERIFY = [("declarations", "change_declarationrequest")]


def grant(apps, schema_editor):
    groups.grant(apps, clerks=VIEW, verifiers=VERIFY)


def revoke(apps, schema_editor):
    groups.revoke(apps, clerks=VIEW, verifiers=VERIFY)


class Migration(migrations.Migration):
    dependencies = [("declarations", "0002_declaration_requests"), ("persons", "0003_back_office_groups")]

    operations = [migrations.RunPython(grant, revoke)]
