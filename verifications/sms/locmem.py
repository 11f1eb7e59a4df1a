from verifications.sms.base import SmsBackend

# Every SMS "sent" in this process, like django.core.mail.outbox; tests clear it.
outbox: list[dict] = []


class LocmemBackend(SmsBackend):
    def send(self, *, phone_number: str, body: str) -> str:
        outbox.append({"phone_number": phone_number, "body": body})
        return ""
