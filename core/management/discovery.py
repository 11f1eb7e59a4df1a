"""Find each installed app's module of a given name (`demo`, `housekeeping`): the commands' plug-in points."""

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps


def app_modules(name: str) -> Iterator[tuple[str, ModuleType]]:
    """(app label, `<app>.<name>` module) for each app that has one, in INSTALLED_APPS order."""
    for app in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{app.name}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{app.name}.{name}":
                raise
            continue
        yield app.label, module
