from django.apps import AppConfig


class PersonsConfig(AppConfig):
    name = "persons"

    def ready(self):
        # merge requests keep their admin in their own module (persons.admin belongs to persons/methods)
        from persons import merge_admin  # noqa: F401
