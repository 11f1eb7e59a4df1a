from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationsConfig(AppConfig):
    name = "verifications"
    verbose_name = _("Codes and SMS")
