"""Demo data of declarations: a doctor of the demo client, the patient of docs/api.md's declaration
walkthrough (no demo request: the walkthrough makes one, and gets the only code sent to that phone) and
one open request confirmed OFFLINE (no SMS)."""

from datetime import date

from core.api.errors import ApiError
from core.demo import created, skipped
from declarations.models import DeclarationRequest, Employee
from declarations.services import declaration_request_create, employee_create, employee_update
from persons.demo import demo_person
from persons.models import Person

DEMO_ACTOR = "demo"
DOCTOR = {"last_name": "Коваленко", "first_name": "Ірина", "second_name": "Петрівна"}
# the demo doctor's DRFO: `manage.py sign_declaration_request` signs as her with a development certificate
DOCTOR_TAX_ID = "3111910005"
# the walkthrough's patient, with a phone of their own: no other walkthrough or demo code goes to it
OTP_PATIENT_TAX_ID = "3385700015"


def _doctor(context: dict, client) -> Employee:
    doctor = Employee.objects.filter(client=client, **DOCTOR).order_by("created_at").first()
    if doctor is None:
        speciality = Employee.Speciality.FAMILY_DOCTOR
        doctor = employee_create(client=client, speciality=speciality, tax_id=DOCTOR_TAX_ID, actor=DEMO_ACTOR, **DOCTOR)
        created(context, f"doctor {doctor}")
    elif not doctor.tax_id:  # made before doctors had a tax id
        doctor = employee_update(employee_id=doctor.pk, changes={"tax_id": DOCTOR_TAX_ID}, actor=DEMO_ACTOR)
    return doctor


def _otp_patient(context: dict) -> Person:
    return demo_person(
        context,
        lookup={"tax_id": OTP_PATIENT_TAX_ID},
        first_name="Андрій",
        last_name="Шевченко",
        second_name="Іванович",
        birth_date=date(1992, 9, 11),
        gender="MALE",
        documents=[{"type": "PASSPORT", "number": "ВК654321"}],
        phones=[{"type": "MOBILE", "number": "+380631234567"}],
        authentication_methods=[{"type": "OTP", "phone_number": "+380631234567", "alias": "mobile"}],
    )


def _open_request(context: dict, *, person: Person, doctor: Employee) -> DeclarationRequest | None:
    """The person's open (NEW or APPROVED) request of the demo client's legal entity, whoever made it; one
    is made only when there is none, as a new request cancels the open ones."""
    client = context["client"]
    requests = DeclarationRequest.objects.filter(person=person, legal_entity_id=client.legal_entity_id)
    request = requests.filter(status__in=DeclarationRequest.OPEN_STATUSES).order_by("-created_at").first()
    if request is not None:
        return request
    what = f"declaration request ({person.last_name} {person.first_name})"
    try:
        request = declaration_request_create(
            person_id=person.pk, employee_id=doctor.pk, client=client, actor=DEMO_ACTOR
        )
    except ApiError as error:  # e.g. the person's method now sends a code that the limits refuse
        skipped(context, what, error)
        return None
    created(context, what)
    return request


def seed(context: dict) -> dict:
    doctor = _doctor(context, context["client"])
    patient = _otp_patient(context)
    offline = context.get("persons", {}).get("offline")
    request = offline and _open_request(context, person=offline, doctor=doctor)
    return {
        "employee": {"id": str(doctor.pk), "speciality": doctor.speciality},
        "declaration_patient": str(patient.pk),
        "declaration_request": request
        and {
            "id": str(request.pk),
            "person_id": str(request.person_id),
            "status": request.status,
            "confirmed_by": request.confirmation_type,
        },
    }
