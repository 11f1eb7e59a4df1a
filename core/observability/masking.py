import logging
import re


def mask_phone(phone_number: str | None) -> str | None:
    """'+380931234585' -> '+38093*****85': enough to recognise, not enough to use."""
    if not phone_number:
        return phone_number
    if len(phone_number) <= 8:
        return "*" * len(phone_number)
    return f"{phone_number[:6]}*****{phone_number[-2:]}"


_HEX = "[0-9A-Fa-f]"
# A phone number in any spelling a client may send, in a text (a log line, a URL, a message):
# `+380931234585`, `%2B380931234585` (the plus percent-encoded), `380931234585`, `0931234585`,
# after a space, a `%20` or any other character. Only a whole run of digits is one: not the digits
# inside a longer run (an id, a timestamp in ms), nor the fraction of a decimal number. UUIDs and
# long hex ids (uuid4().hex, nginx's $request_id) are matched first and left as they are: a
# twelve-digit group of theirs is not a phone.
_PHONE = re.compile(
    rf"(?P<id>{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
    rf"|(?<![0-9A-Za-z]){_HEX}{{32,}}(?![0-9A-Za-z]))"
    r"|(?:(?<![0-9])|(?<=%[0-9A-Fa-f]{2}))(?<![0-9]\.)"  # `%20` ends in a digit, yet bounds the number
    r"(?P<prefix>(?:\+|%2[Bb])?380|0)(?P<operator>[0-9]{2})[0-9]{5}(?P<last>[0-9]{2})(?![0-9])"
)


def _masked(match: re.Match) -> str:
    if match.group("id"):
        return match.group("id")
    return f"{match.group('prefix')}{match.group('operator')}*****{match.group('last')}"


def mask_phones_in(text: str) -> str:
    """Every Ukrainian mobile number in a text masked as mask_phone does (`+38093*****85`), in the
    spelling it was written (`38093*****85`, `093*****85`, `%2B38093*****85`)."""
    return _PHONE.sub(_masked, text)


class MaskingFormatter(logging.Formatter):
    """The whole line masked: the message, the request id, an exception's traceback."""

    def format(self, record):
        return mask_phones_in(super().format(record))


_TRACEBACK = logging.Formatter()


def mask_log_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record's message (and traceback) with its phone numbers masked, for every handler that
    sees it (a test's capture, a handler added later), not only ours."""
    if record.exc_info and not record.exc_text:  # what every Formatter prints for the exception
        record.exc_text = mask_phones_in(_TRACEBACK.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_phones_in(record.stack_info)
    try:
        message = record.getMessage()
    except Exception:  # the handler reports a message that does not format; not the caller's problem
        return record
    masked = mask_phones_in(message)
    if masked != message:
        record.msg, record.args = masked, ()
    return record


def install_log_record_masking() -> None:
    """Every log record masked where it is made (logging.setLogRecordFactory), whichever logger."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_phones", False):
        return

    def masking_factory(*args, **kwargs):
        return mask_log_record(factory(*args, **kwargs))

    masking_factory.masks_phones = True
    logging.setLogRecordFactory(masking_factory)
