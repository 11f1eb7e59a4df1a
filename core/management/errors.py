"""The exit code of the management commands: 2 for input they refuse, as for argparse's own usage errors
(a missing or unknown option), so a script can tell a wrong call from a failure (1)."""

from django.core.management.base import CommandError

BAD_INPUT = 2


class BadInput(CommandError):
    """Raise it for an argument a command refuses; `manage.py` prints the message and exits 2."""

    def __init__(self, message: str):
        super().__init__(message, returncode=BAD_INPUT)
