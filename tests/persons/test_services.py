"""Service-level behaviour the API tests do not reach directly."""

from datetime import UTC, date, datetime, timedelta

import pytest

from core.api.errors import NotFound, TooManyRequests, ValidationFailed
from core.models import Event
from persons import services
from persons.models import AuthenticationMethod, AuthenticationMethodRequest
from persons.rules import age, today_utc
from tests.conftest import ACTOR
from tests.persons.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]


def leap_day_child_birth_date() -> date:
    year = today_utc().year - 1
    while not (year % 4 == 0 and (year % 100 or year % 400 == 0)):
        year -= 1
    born = date(year, 2, 29)
    assert age(born, today_utc()) < 14
    return born


def test_third_person_for_a_leap_day_child_ends_on_28_february(caller, last_code, django_capture_on_commit_callbacks):
    born = leap_day_child_birth_date()
    child = PersonFactory(birth_date=born, primary__phone_number="+380931234585")
    with django_capture_on_commit_callbacks(execute=True):  # the SMS goes out on commit
        request = services.authentication_method_request_create(
            person_id=child.id,
            action="INSERT",
            authentication_method={"type": "THIRD_PERSON", "value": str(PersonFactory().id)},
            client=caller.client,
            actor="test",
        )
    services.authentication_method_request_approve(
        person_id=child.id,
        request_id=request.id,
        client=caller.client,
        verification_code=last_code("+380931234585"),
        actor="test",
    )
    method = AuthenticationMethod.objects.get(person=child, type="THIRD_PERSON")
    # valid through 28 February, the day before the child turns 14 (on 1 March)
    assert method.ended_at == datetime(born.year + 14, 3, 1, tzinfo=UTC)


def test_rate_limited_create_rolls_back_everything(caller, settings):
    person = PersonFactory(primary__phone_number="+380931234585")
    older = services.authentication_method_request_create(
        person_id=person.id, action="INSERT", authentication_method={"type": "NA"}, client=caller.client, actor="t"
    )
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    with pytest.raises(TooManyRequests):
        services.authentication_method_request_create(
            person_id=person.id,
            action="INSERT",
            authentication_method={"type": "OFFLINE"},
            client=caller.client,
            actor="t",
        )
    assert list(AuthenticationMethodRequest.objects.values_list("id", "status")) == [(older.id, "NEW")]
    assert not Event.objects.filter(entity_id=str(older.id), new_value="CANCELLED").exists()


def test_person_verify_records_the_actor_and_reason():
    person = PersonFactory(verification_comment="old")
    services.person_verify(person_id=person.id, status="IN_REVIEW", comment="", actor=ACTOR)
    person.refresh_from_db()
    assert (person.verification_status, person.verification_reason, person.verification_comment) == (
        "IN_REVIEW",
        "MANUAL",
        "",
    )
    changes = {e.property: (e.old_value, e.new_value, e.actor) for e in Event.objects.filter(entity_id=str(person.id))}
    assert changes == {
        "verification_status": ("VERIFICATION_NEEDED", "IN_REVIEW", ACTOR),
        "verification_reason": ("RULES_PASSED", "MANUAL", ACTOR),
        "verification_comment": ("old", "", ACTOR),
    }


def test_person_verify_missing_person_and_bad_status():
    with pytest.raises(NotFound, match=r"^Person not found$"):
        services.person_verify(person_id="8f0f6c3e-64f6-4f32-9c2b-6f5bb2d0a9a1", status="VERIFIED", actor="t")
    with pytest.raises(ValidationFailed) as error:
        services.person_verify(person_id=PersonFactory().id, status="VERIFICATION_NEEDED", actor="t")
    assert error.value.invalid[0]["rules"][0]["description"] == "Must be one of VERIFIED, NOT_VERIFIED, IN_REVIEW"


def test_a_request_for_an_ended_method_conflicts_at_approve(caller, last_code, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from core.api.errors import Conflict
    from tests.persons.factories import AuthenticationMethodFactory

    person = PersonFactory(primary__phone_number="+380931234585")
    trusted = AuthenticationMethodFactory(person=person, type="THIRD_PERSON")
    with django_capture_on_commit_callbacks(execute=True):
        request = services.authentication_method_request_create(
            person_id=person.id,
            action="UPDATE",
            authentication_method={"id": str(trusted.id), "alias": "x"},
            client=caller.client,
            actor="t",
        )
    AuthenticationMethod.objects.filter(pk=trusted.pk).update(ended_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict, match=r"^Authentication method is no longer active$"):
        services.authentication_method_request_approve(
            person_id=person.id,
            request_id=request.id,
            client=caller.client,
            verification_code=last_code("+380931234585"),
            actor="t",
        )
    assert AuthenticationMethodRequest.objects.get(pk=request.id).status == "NEW"
