import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from core.api.errors import ApiError
from core.management.errors import BadInput
from core.models import Client
from declarations.models import Employee
from declarations.services import employee_create


class Command(BaseCommand):
    help = "Register a doctor of a client's legal entity. Prints its id as JSON. Refused input exits 2."

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help="The client_id of the legal entity's API client")
        parser.add_argument("--speciality", required=True, help=" | ".join(Employee.Speciality.values))
        parser.add_argument("--declaration-limit", help="The doctor's own limit (default: the speciality's)")
        parser.add_argument("--user", help="Username of the doctor's user account")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--second-name", default="")
        parser.add_argument(
            "--tax-id", default="", help="The doctor's DRFO (10 digits): the certificate they sign with must name it"
        )

    def handle(self, *args, **options):
        client = Client.objects.filter(client_id=options["client"]).first()
        if client is None:
            raise BadInput(f"Client not found: {options['client']}")
        if options["speciality"] not in Employee.Speciality.values:
            raise BadInput(f"--speciality must be one of {', '.join(Employee.Speciality.values)}")
        limit = options["declaration_limit"]
        if limit is not None:
            if not limit.isdigit() or int(limit) < 1:
                raise BadInput("--declaration-limit must be a positive integer")
            limit = int(limit)
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise BadInput(f"User not found: {options['user']}")
        try:
            employee = employee_create(
                client=client,
                speciality=options["speciality"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                second_name=options["second_name"],
                declaration_limit=limit,
                user=user,
                tax_id=options["tax_id"],
            )
        except ApiError as error:
            raise BadInput(error.describe()) from error
        self.stdout.write(json.dumps({"id": str(employee.id)}))
