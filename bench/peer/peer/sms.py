from phone_verify.backends.base import BaseBackend


class NoopBackend(BaseBackend):
    """Sends nothing: the benchmark measures the web and database work, not a gateway."""

    def __init__(self, **options):
        super().__init__(**options)
        self.exception_class = RuntimeError

    def send_sms(self, number, message):
        return None

    def send_bulk_sms(self, numbers, message):
        return None
