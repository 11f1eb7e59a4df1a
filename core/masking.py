import re


def mask_phone(phone_number: str | None) -> str | None:
    """'+380931234585' -> '+38093*****85': enough to recognise, not enough to use."""
    if not phone_number:
        return phone_number
    if len(phone_number) <= 8:
        return "*" * len(phone_number)
    return f"{phone_number[:6]}*****{phone_number[-2:]}"


_PHONE = re.compile(r"\+380[0-9]{9}")


def mask_phones_in(text: str) -> str:
    """Every Ukrainian phone number in a text, masked (for log lines)."""
    return _PHONE.sub(lambda match: mask_phone(match.group()), text)
