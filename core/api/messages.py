"""Messages that domain apps raise as plain English constants, listed here for the translation
catalog (`makemessages` finds them through gettext_noop). Nothing imports this at run time: the
exception handler translates every message of an answer, wherever it was raised."""

from django.utils.translation import gettext_noop as _

SHARED_MESSAGES = [
    # the verification service's reasons, the rule of every approve
    _("Invalid verification code"),
    _("Verification code expired"),
    _("Maximum attempts exceed"),
    _("Verification code is required"),
    _("Verification not found"),
    # lookups every flow answers
    _("Person not found"),
    _("Authentication method not found"),
    _("Authentication method request not found"),
    _("Person has no active authentication method"),
    _("Person is not active"),
    _("Authentication method has changed"),
    # who confirms, and the phone's guess budget: every flow
    _("Request can not be confirmed by authentication method NA"),
    _("Third person has no authentication method"),
    _("Too many failed attempts for this phone number"),
    # persons: a verified phone, one record per tax id, a search that does not browse
    _("Phone number is not verified"),
    _("Such person already exists"),
    _("Search needs tax_id, or first_name, last_name and birth_date"),
    _("Must be a valid UUID"),
]
