"""Demo data of declarations: a doctor of the demo client and one open request per confirmation method."""

from datetime import date

from core.audit import SYSTEM
from core.errors import TooManyRequests
from declarations.models import DeclarationRequest, Employee
from declarations.services import declaration_request_create, employee_create
from persons.models import Person
from persons.services import person_create

DEMO_ACTOR = "demo"
DOCTOR = {"last_name": "Коваленко", "first_name": "Ірина", "second_name": "Петрівна"}
# a patient of their own: the other demo phones got a code moments ago (the resend cooldown)
OTP_PATIENT_TAX_ID = "3385700015"


def _doctor(client) -> Employee:
    doctor = Employee.objects.filter(client=client, **DOCTOR).first()
    return doctor or employee_create(
        client=client, speciality=Employee.Speciality.FAMILY_DOCTOR, actor=DEMO_ACTOR, **DOCTOR
    )


def _otp_patient() -> Person:
    person = Person.objects.filter(tax_id=OTP_PATIENT_TAX_ID).first()
    return person or person_create(
        first_name="Андрій",
        last_name="Шевченко",
        second_name="Іванович",
        birth_date=date(1992, 9, 11),
        gender="MALE",
        tax_id=OTP_PATIENT_TAX_ID,
        documents=[{"type": "PASSPORT", "number": "ВК654321"}],
        phones=[{"type": "MOBILE", "number": "+380631234567"}],
        authentication_methods=[{"type": "OTP", "phone_number": "+380631234567", "alias": "mobile"}],
        actor=DEMO_ACTOR,
    )


def _open_request(*, person: Person, doctor: Employee, client) -> DeclarationRequest | None:
    request = DeclarationRequest.objects.filter(
        person=person, employee=doctor, status=DeclarationRequest.Status.NEW
    ).first()
    if request is None:
        try:
            request = declaration_request_create(
                person_id=person.pk, employee_id=doctor.pk, client=client, actor=SYSTEM
            )
        except TooManyRequests:  # a code went to this phone moments ago: run again later for a new request
            return None
    return request


def seed(context: dict) -> dict:
    client = context["client"]
    doctor = _doctor(client)
    persons = context.get("persons", {})
    patients = {"OTP": _otp_patient(), "OFFLINE": persons.get("offline"), "NA": persons.get("na")}
    requests = {}
    for method, person in patients.items():
        request = person and _open_request(person=person, doctor=doctor, client=client)
        requests[method] = request and {"id": str(request.pk), "person_id": str(person.pk), "status": request.status}
    return {"employee": {"id": str(doctor.pk), "speciality": doctor.speciality}, "declaration_requests": requests}
