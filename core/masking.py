def mask_phone(phone_number: str | None) -> str | None:
    """'+380931234585' -> '+38093*****85': enough to recognise, not enough to use."""
    if not phone_number:
        return phone_number
    if len(phone_number) <= 8:
        return "*" * len(phone_number)
    return f"{phone_number[:6]}*****{phone_number[-2:]}"
