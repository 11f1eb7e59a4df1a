import sys

from verifications.sms.base import SmsBackend


class ConsoleBackend(SmsBackend):
    """Development: prints each SMS to stdout (not to the log, which never sees a code)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, *, phone_number: str, body: str) -> str:
        self.stream.write(f"SMS to {phone_number}: {body}\n")
        self.stream.flush()
        return ""
