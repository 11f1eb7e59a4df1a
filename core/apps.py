from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Clients, jobs and audit")

    def ready(self):
        from core.observability import checks  # noqa: F401 (registers the deploy checks)
        from core.observability.masking import install_log_record_masking

        install_log_record_masking()  # every log record's message, whichever handler gets it
