"""Demo data of approvals: a doctor of the demo client, the patient of docs/api.md's approval walkthrough,
and an approval waiting for its code, of another patient, which the walkthrough resends.

Each patient has a phone of their own: the approval's code goes to its patient when `make run` starts,
and nothing else does, so the walkthrough's create (to its own patient) and its resend (of this approval,
by then more than the resend cooldown after the start) are both accepted at the default settings.
"""

from datetime import date

from django.utils import timezone

from approvals.models import Approval
from approvals.services import approval_create
from core.api.errors import ApiError
from core.demo import created, skipped
from declarations.models import Employee
from persons.demo import demo_person
from persons.models import Person

DEMO_ACTOR = "demo"
# fixed ids, so the demo's references stay the same from run to run
EPISODE_ID = "2f6a1c5e-9d4b-4e0a-8c1f-3b7d5e9a0c21"
SERVICE_REQUEST_ID = "7c3e9b1a-5f2d-4a8e-b6c0-1d9e8f7a6b54"
WALKTHROUGH_PATIENT = {
    "last_name": "Бондаренко",
    "first_name": "Оксана",
    "second_name": "Василівна",
    "birth_date": date(1979, 6, 23),
    "gender": "FEMALE",
    "phone": "+380661234567",
}
APPROVAL_PATIENT = {
    "last_name": "Мельник",
    "first_name": "Олег",
    "second_name": "Степанович",
    "birth_date": date(1968, 11, 5),
    "gender": "MALE",
    "phone": "+380931234567",
}


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


def _patient(context: dict, details: dict) -> Person:
    details = dict(details)
    phone = details.pop("phone")
    return demo_person(
        context,
        lookup={key: details.pop(key) for key in ("last_name", "first_name", "birth_date")},
        **details,
        no_tax_id=True,
        documents=[{"type": "PASSPORT", "number": f"КА{phone[-6:]}"}],
        phones=[{"type": "MOBILE", "number": phone}],
        authentication_methods=[{"type": "OTP", "phone_number": phone, "alias": "mobile"}],
    )


def _open_approval(context: dict, *, patient: Person, doctor: Employee) -> Approval | None:
    """The patient's open approval for the doctor, whoever made it; a new one (which cancels nothing) only
    when there is none."""
    client = context["client"]
    approval = Approval.objects.filter(
        patient=patient,
        granted_to=doctor,
        status__in=Approval.OPEN_STATUSES,
        expires_at__gt=timezone.now(),
        legal_entity_id=client.legal_entity_id,
    ).first()
    if approval is not None:
        return approval
    try:
        approval = approval_create(
            patient_id=patient.pk,
            granted_resources=[_reference("episode_of_care", EPISODE_ID)],
            granted_to_id=doctor.pk,
            reason=_reference("service_request", SERVICE_REQUEST_ID),
            client=client,
            actor=DEMO_ACTOR,
        )
    except ApiError as error:  # e.g. a code went to this phone moments ago: the next run makes it
        skipped(context, "approval", error)
        return None
    created(context, "approval")
    return approval


def seed(context: dict) -> dict:
    doctor = _doctor(context, context["client"])
    walkthrough_patient = _patient(context, WALKTHROUGH_PATIENT)
    patient = _patient(context, APPROVAL_PATIENT)
    approval = _open_approval(context, patient=patient, doctor=doctor)
    return {
        "approval_patient": str(walkthrough_patient.pk),
        "approval": {
            "id": approval and str(approval.pk),
            "patient_id": str(patient.pk),
            "granted_to": str(doctor.pk),
            "status": approval and approval.status,
        },
    }
