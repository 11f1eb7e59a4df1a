from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("persons", "0005_retire_phone_keyed_codes")]

    operations = [
        migrations.AlterField(
            model_name="authenticationmethodrequest",
            name="legal_entity_id",
            field=models.UUIDField(),
        ),
        migrations.AddConstraint(
            model_name='authenticationmethodrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'NEW')), fields=('person', 'legal_entity_id'), name='one_new_auth_method_request'),
        ),
        migrations.AddConstraint(
            model_name='mergerequest',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'NEW')), fields=('master_person', 'merge_person', 'legal_entity_id'), name='merge_request_one_new_per_pair'),
        ),
    ]
