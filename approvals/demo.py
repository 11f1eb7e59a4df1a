"""Demo data of approvals: a doctor of the demo client and an approval of the demo OTP person for them."""

from django.utils import timezone

from approvals.models import Approval
from approvals.services import approval_create
from core.demo import created, skipped
from core.errors import ApiError
from declarations.models import Employee
from persons.models import Person

DEMO_ACTOR = "demo"
OTP_PERSON_TAX_ID = "3346812319"  # the persons demo's OTP person
# fixed ids, so the demo's references stay the same from run to run
EPISODE_ID = "2f6a1c5e-9d4b-4e0a-8c1f-3b7d5e9a0c21"
SERVICE_REQUEST_ID = "7c3e9b1a-5f2d-4a8e-b6c0-1d9e8f7a6b54"


def _reference(code: str, value: str) -> dict:
    return {"identifier": {"type": {"coding": [{"system": "eHealth/resources", "code": code}]}, "value": value}}


def _doctor(context: dict, client) -> Employee:
    # the declarations demo may have made one already: either app's doctor will do
    doctor = Employee.objects.filter(client=client).order_by("created_at").first()
    if doctor is None:
        doctor = Employee.objects.create(
            client=client,
            legal_entity_id=client.legal_entity_id,
            first_name="Ірина",
            last_name="Коваленко",
            second_name="Петрівна",
            speciality=Employee.Speciality.FAMILY_DOCTOR,
        )
        created(context, f"doctor {doctor}")
    return doctor


def seed(context: dict) -> dict:
    client = context["client"]
    doctor = _doctor(context, client)
    patient = Person.objects.filter(tax_id=OTP_PERSON_TAX_ID).order_by("created_at").first()
    if patient is None:
        return {"approval": {"id": None, "granted_to": str(doctor.pk)}}
    approval = Approval.objects.filter(
        patient=patient,
        granted_to=doctor,
        status__in=Approval.OPEN_STATUSES,
        expires_at__gt=timezone.now(),
        legal_entity_id=client.legal_entity_id,
    ).first()
    if approval is None:
        try:
            approval = approval_create(
                patient_id=patient.pk,
                granted_resources=[_reference("episode_of_care", EPISODE_ID)],
                granted_to_id=doctor.pk,
                reason=_reference("service_request", SERVICE_REQUEST_ID),
                client=client,
                actor=DEMO_ACTOR,
            )
            created(context, "approval")
        except ApiError as error:  # e.g. a code went to this phone moments ago: the next run makes it
            skipped(context, "approval", error)
            approval = None
    return {
        "approval": {
            "id": approval and str(approval.pk),
            "patient_id": str(patient.pk),
            "granted_to": str(doctor.pk),
            "status": approval and approval.status,
        }
    }
