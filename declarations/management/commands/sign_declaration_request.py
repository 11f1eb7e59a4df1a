import base64
import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from core.api.errors import ApiError
from core.management.errors import BadInput
from declarations import services
from declarations.models import DeclarationRequest
from declarations.signatures import dev

ACTOR = "command:sign_declaration_request"


class Command(BaseCommand):
    help = (
        "Sign an APPROVED declaration request as its doctor, with a certificate of the development CA "
        "(made on first use, like `make_dev_ca`), through the same service as the API's sign: prints the "
        "declaration as JSON. For development and the demo: SIGNATURE_TRUSTED_CERTS must trust the "
        "development CA (the default with DEBUG). Refused input exits 2."
    )

    def add_arguments(self, parser):
        parser.add_argument("request_id", help="The declaration request's id")

    def handle(self, *args, **options):
        request = DeclarationRequest.objects.select_related("employee").filter(pk=_uuid(options["request_id"])).first()
        if request is None:
            raise BadInput(f"Declaration request not found: {options['request_id']}")
        doctor = request.employee
        if not doctor.tax_id:
            raise BadInput(f"The doctor {doctor} has no tax id: set one (the back office, or create_employee --tax-id)")
        certificate, key = dev.doctor_credentials(doctor)
        content = json.dumps(services.signed_content(request), ensure_ascii=False).encode()
        signed = base64.b64encode(dev.sign(content, certificate, key)).decode()
        try:
            declaration = services.declaration_request_sign(
                request_id=request.pk,
                client=None,
                signed_declaration_request=signed,
                signed_content_encoding="base64",
                actor=ACTOR,
            )
        except ApiError as error:
            if error.status >= 500:  # the signature could not be checked: a failure, not a refusal
                raise CommandError(error.describe()) from error
            raise BadInput(error.describe()) from error
        self.stdout.write(
            json.dumps(
                {
                    "declaration_id": str(declaration.pk),
                    "declaration_number": declaration.declaration_number,
                    "status": declaration.status,
                    "reason": declaration.reason,
                    "start_date": declaration.start_date.isoformat(),
                    "end_date": declaration.end_date.isoformat(),
                    "signed_content": declaration.signed_content_name,
                },
                ensure_ascii=False,
            )
        )


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise BadInput(f"Not a declaration request id: {value}") from error
