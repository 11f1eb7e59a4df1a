"""The back office speaks Ukrainian: the field names and choice labels of the project's models, which
the models spell in English (a field's name, a TextChoices member's), are made translatable here, once,
when the admin loads. The English text stays exactly what it was (the API and its schema speak English
and are unchanged; `makemigrations` runs without translations, so it sees no change either); the
Ukrainian catalog (locale/uk) carries the translations."""

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

APPS = ("core", "persons", "verifications", "approvals", "declarations")


def _lazy(text):
    return text if isinstance(text, Promise) or not isinstance(text, str) else gettext_lazy(text)


def translate_model_labels(app_labels=APPS) -> None:
    for app_label in app_labels:
        try:
            models = apps.get_app_config(app_label).get_models()
        except LookupError:
            continue
        for model in models:
            for field in model._meta.get_fields():
                if not getattr(field, "concrete", False):
                    continue
                field.verbose_name = _lazy(field.verbose_name)
                if field.choices and not isinstance(field.choices, type):
                    field.choices = [
                        (value, _lazy(label)) if not isinstance(label, (list, tuple)) else (value, label)
                        for value, label in field.choices
                    ]


def untranslated_labels(app_labels=APPS) -> list[str]:
    """The English labels (for the catalog and its test)."""
    found = []
    for app_label in app_labels:
        for model in apps.get_app_config(app_label).get_models():
            for field in model._meta.get_fields():
                if getattr(field, "concrete", False):
                    found.append(str(field.verbose_name))
                    found.extend(str(label) for _value, label in (field.choices or []))
    return found
