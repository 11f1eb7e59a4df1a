"""System checks of `manage.py check --deploy`: settings that are fine on a laptop and wrong in production."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

NOT_DELIVERED = {
    "file": "writes each SMS, its code in clear, to SMS_FILE_PATH",
    "console": "prints each SMS, its code in clear, to the worker's output",
}


@register(Tags.security, deploy=True)
def check_sms_backend(app_configs, **kwargs):
    """Patients get no SMS with the development backends, and their codes end up readable."""
    reason = NOT_DELIVERED.get(settings.SMS_BACKEND)
    if reason is None:
        return []
    return [
        Warning(
            f"SMS_BACKEND is {settings.SMS_BACKEND!r}: no SMS reaches a patient; it {reason}.",
            hint="Set SMS_BACKEND=http with SMS_HTTP_URL and SMS_HTTP_TOKEN of your SMS gateway.",
            id="core.W001",
        )
    ]
