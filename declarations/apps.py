from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DeclarationsConfig(AppConfig):
    name = "declarations"
    verbose_name = _("Declarations")

    def ready(self):
        from declarations import checks  # noqa: F401 (registers the signature settings' check)
        from declarations.services import chain_head_ensure

        post_migrate.connect(chain_head_ensure, sender=self)
