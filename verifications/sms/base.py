class SmsDeliveryError(Exception):
    """The gateway did not accept the message; the sender may retry."""


class SmsBackend:
    def send(self, *, phone_number: str, body: str) -> str:
        """Deliver one SMS and return the provider's message id ("" when there is none)."""
        raise NotImplementedError
