import json
import os

from django.conf import settings
from django.utils import timezone

from verifications.sms.base import SmsBackend


class FileBackend(SmsBackend):
    """The local outbox: one JSON object per line in `SMS_FILE_PATH`."""

    def send(self, *, phone_number: str, body: str) -> str:
        line = json.dumps(
            {"phone_number": phone_number, "body": body, "sent_at": timezone.now().isoformat()}, ensure_ascii=False
        )
        path = settings.SMS_FILE_PATH
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # One write() on an O_APPEND file: lines of parallel workers never interleave.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
        return ""
