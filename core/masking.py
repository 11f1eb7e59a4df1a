import re


def mask_phone(phone_number: str | None) -> str | None:
    """'+380931234585' -> '+38093*****85': enough to recognise, not enough to use."""
    if not phone_number:
        return phone_number
    if len(phone_number) <= 8:
        return "*" * len(phone_number)
    return f"{phone_number[:6]}*****{phone_number[-2:]}"


# `+380...` as written, or `%2B380...` as it travels percent-encoded in a request line or query
_PHONE = re.compile(r"(\+|%2[Bb])(380[0-9]{9})")


def mask_phones_in(text: str) -> str:
    """Every Ukrainian phone number in a text, masked (for log lines), in either spelling of its plus."""
    return _PHONE.sub(lambda match: match.group(1) + mask_phone("+" + match.group(2))[1:], text)
