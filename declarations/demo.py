"""Demo data of declarations: a doctor of the demo client and one open request by OTP and one by OFFLINE."""

from datetime import date

from django.utils import timezone

from core.audit import SYSTEM
from core.demo import created, skipped
from core.errors import ApiError
from declarations.models import DeclarationRequest, Employee
from declarations.services import declaration_request_create, employee_create
from persons.models import Person
from persons.services import person_create

DEMO_ACTOR = "demo"
DOCTOR = {"last_name": "Коваленко", "first_name": "Ірина", "second_name": "Петрівна"}
# a patient of their own: the other demo phones got a code moments ago (the resend cooldown)
OTP_PATIENT_TAX_ID = "3385700015"


def _doctor(context: dict, client) -> Employee:
    doctor = Employee.objects.filter(client=client, **DOCTOR).order_by("created_at").first()
    if doctor is None:
        speciality = Employee.Speciality.FAMILY_DOCTOR
        doctor = employee_create(client=client, speciality=speciality, actor=DEMO_ACTOR, **DOCTOR)
        created(context, f"doctor {doctor}")
    return doctor


def _otp_patient(context: dict) -> Person:
    person = Person.objects.filter(tax_id=OTP_PATIENT_TAX_ID).order_by("created_at").first()
    if person is not None:
        return person
    created(context, "person Шевченко Андрій")
    return person_create(
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


def _open_request(context: dict, *, method: str, person: Person, doctor: Employee) -> DeclarationRequest | None:
    request = DeclarationRequest.objects.filter(
        person=person, employee=doctor, status=DeclarationRequest.Status.NEW, expires_at__gt=timezone.now()
    ).first()
    if request is None:  # none yet, or the last one was approved, rejected, cancelled or expired since
        what = f"declaration request ({method})"
        try:
            request = declaration_request_create(
                person_id=person.pk, employee_id=doctor.pk, client=context["client"], actor=SYSTEM
            )
            created(context, what)
        except ApiError as error:  # e.g. a code went to this phone moments ago: the next run makes it
            skipped(context, what, error)
    return request


def seed(context: dict) -> dict:
    doctor = _doctor(context, context["client"])
    persons = context.get("persons", {})
    # the NA child has no request of its own: their NA confirms only with a parent declaration
    patients = {"OTP": _otp_patient(context), "OFFLINE": persons.get("offline")}
    requests = {}
    for method, person in patients.items():
        request = person and _open_request(context, method=method, person=person, doctor=doctor)
        requests[method] = request and {"id": str(request.pk), "person_id": str(person.pk), "status": request.status}
    return {"employee": {"id": str(doctor.pk), "speciality": doctor.speciality}, "declaration_requests": requests}
