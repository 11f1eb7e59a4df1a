from django.db import migrations, models


def start_the_head(apps, schema_editor):
    """The head row, holding the seed of the latest request approved so far ("" before the first)."""
    requests = apps.get_model("declarations", "DeclarationRequest")
    latest = requests.objects.filter(approved_at__isnull=False).order_by("-approved_at").first()
    apps.get_model("declarations", "SeedChain").objects.create(id=1, seed=latest.seed if latest else "")


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0004_verbose_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="SeedChain",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ("seed", models.CharField(blank=True, max_length=64)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "seed chain",
                "verbose_name_plural": "seed chain",
            },
        ),
        migrations.RunPython(start_the_head, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="declarationrequest",
            name="decl_request_chain",
        ),
    ]
