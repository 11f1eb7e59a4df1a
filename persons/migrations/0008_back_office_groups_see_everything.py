"""The back-office groups see every record staff work with (merge requests, codes, the SMS log, jobs,
task results, events); verifiers may also resend every request's code and expire stale requests (both
are `change_<request>`) and resend a failed SMS."""

from django.db import migrations

from core.backoffice import groups

# added to what 0003 granted (persons, their methods and authentication-method requests, events)
CLERKS = [
    ("persons", "view_mergerequest"),
    ("verifications", "view_verification"),
    ("verifications", "view_smsmessage"),
    ("core", "view_job"),
    ("django_tasks_database", "view_dbtaskresult"),
]
VERIFIERS = [
    ("persons", "change_mergerequest"),
    ("verifications", "resend_smsmessage"),
]


def forwards(apps, schema_editor):
    groups.grant(apps, clerks=CLERKS, verifiers=VERIFIERS)


def backwards(apps, schema_editor):
    groups.revoke(apps, clerks=CLERKS, verifiers=VERIFIERS)


class Migration(migrations.Migration):
    dependencies = [
        ("persons", "0007_merge_request_cancelled"),
        ("verifications", "0004_codes_belong_to_their_owner"),
        ("core", "0001_initial"),
        ("django_tasks_database", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
