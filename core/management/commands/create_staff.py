"""`manage.py create_staff --group clerk|verifier USERNAME`: a back-office user in its group."""

import getpass
import os
import sys

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction

from core.backoffice import groups
from core.management.errors import BadInput

GROUPS = {"clerk": groups.CLERKS, "verifier": groups.VERIFIERS}
PASSWORD_ENV = "STAFF_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a back-office user (staff, not a superuser) in the clerks' or the verifiers' group, or move "
        f"an existing one there. The password: --password, else ${PASSWORD_ENV}, else asked. Refused input exits 2."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--group", required=True, choices=sorted(GROUPS))
        parser.add_argument("--password", help=f"Better: ${PASSWORD_ENV} or the prompt (not in the shell history)")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args, **options):
        password = options["password"] or os.environ.get(PASSWORD_ENV) or self._ask()
        User = get_user_model()
        user = User.objects.filter(username=options["username"]).first() or User(username=options["username"])
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise BadInput("; ".join(error.messages)) from error
        try:
            group = Group.objects.get(name=GROUPS[options["group"]])
        except Group.DoesNotExist as error:
            raise BadInput("the back-office groups are missing: run `manage.py migrate`") from error
        created = user.pk is None
        with transaction.atomic():
            user.is_staff, user.is_superuser = True, False
            user.first_name = options["first_name"] or user.first_name
            user.last_name = options["last_name"] or user.last_name
            user.email = options["email"] or user.email
            user.set_password(password)
            user.save()
            user.groups.remove(*Group.objects.filter(name__in=GROUPS.values()))
            user.groups.add(group)
        self.stdout.write(f"{'created' if created else 'updated'} {user.username} in {group.name}")

    def _ask(self) -> str:
        if not sys.stdin.isatty():
            raise BadInput(f"no password: give --password, set ${PASSWORD_ENV}, or run in a terminal")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise BadInput("the passwords differ")
        return first
