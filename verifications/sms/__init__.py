"""SMS delivery backends, chosen like Django's email backends by the `SMS_BACKEND` setting."""

from django.conf import settings
from django.utils.module_loading import import_string

from verifications.sms.base import SmsBackend, SmsDeliveryError

BACKENDS = {
    "console": "verifications.sms.console.ConsoleBackend",
    "file": "verifications.sms.file.FileBackend",
    "locmem": "verifications.sms.locmem.LocmemBackend",
    "http": "verifications.sms.http.HttpBackend",
}

__all__ = ["SmsBackend", "SmsDeliveryError", "get_backend"]


def get_backend() -> SmsBackend:
    """`SMS_BACKEND` is a short name from BACKENDS or a dotted path to a backend class."""
    name = settings.SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()
