import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from verifications.models import SmsMessage

POLL_SECONDS = 0.1


class Command(BaseCommand):
    help = (
        "Print the SMS of the local outbox (SMS_BACKEND=file), one JSON object a line. With --last, print the "
        "newest SMS queued (to --phone, if given) alone, once the worker has written it: it answers at once when "
        "no SMS was queued or the newest failed, and waits (--wait) only for one queued and not yet written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--last", action="store_true", help="only the newest SMS; waits for the worker to send it")
        parser.add_argument("--phone", help="only SMS to this phone, e.g. +380501234567")
        parser.add_argument("--wait", type=float, default=10.0, help="seconds --last waits (default 10)")

    def handle(self, *args, **options):
        if settings.SMS_BACKEND != "file":
            raise CommandError(f"The outbox is the file backend's; SMS_BACKEND is {settings.SMS_BACKEND!r}.")
        phone = options["phone"]
        if not options["last"]:
            for line in self._lines(phone):
                self.stdout.write(json.dumps(line, ensure_ascii=False))
            return
        to = f" to {phone}" if phone else ""
        messages = SmsMessage.objects.all()
        if phone:
            messages = messages.filter(verification__phone_number=phone)
        newest = messages.order_by("-created_at").only("created_at", "status", "error").first()
        if newest is None:  # nothing to wait for: what the outbox holds (an older database's SMS), or why not
            written = self._lines(phone)
            if written:
                self.stdout.write(json.dumps(written[-1], ensure_ascii=False))
                return
            raise CommandError(
                f"No SMS was queued{to}, so there is nothing to wait for: the call that should have sent one was "
                "refused (see its answer) or did not send a code (OFFLINE and NA send none)."
            )
        if newest.status == SmsMessage.Status.FAILED:
            raise CommandError(f"The newest SMS{to} FAILED ({newest.error or 'no error recorded'}): see the SMS log.")
        line = self._wait_for(newest, phone, deadline=time.monotonic() + options["wait"])
        if line is None:
            newest.refresh_from_db(fields=["status"])
            raise CommandError(
                f"No SMS{to} reached {settings.SMS_FILE_PATH} within {options['wait']:g} s: the newest is "
                f"{newest.status} (is `manage.py db_worker` running? `make run` starts one)."
            )
        self.stdout.write(json.dumps(line, ensure_ascii=False))

    def _wait_for(self, newest: SmsMessage, phone: str | None, *, deadline: float) -> dict | None:
        """The outbox line of the newest SMS in the log, once the worker has written it.

        The API queues an SMS before it answers and the worker sends it a moment later, so the last line of
        the file right after a call may still be the previous SMS: wait for this one instead.
        """
        while True:
            lines = [
                line
                for line in self._lines(phone)
                if (parse_datetime(line.get("sent_at", "")) or newest.created_at) >= newest.created_at
            ]
            if lines:
                return lines[-1]
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_SECONDS)

    def _lines(self, phone: str | None) -> list[dict]:
        try:
            with open(settings.SMS_FILE_PATH, encoding="utf-8") as file:
                lines = [json.loads(text) for text in file if text.strip()]
        except FileNotFoundError:
            return []
        return [line for line in lines if not phone or line.get("phone_number") == phone]
