from datetime import timedelta

import pytest
from django.utils import timezone

from core.audit import events as audit
from core.models import Event
from persons import housekeeping
from persons.models import AuthenticationMethodRequest
from tests.persons.factories import AuthenticationMethodRequestFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relaxed_otp_limits")]


@pytest.fixture
def client_row(caller):
    return caller.client


def test_expire_only_new_requests_past_their_time(client_row):
    now = timezone.now()
    due = AuthenticationMethodRequestFactory(client=client_row, expires_at=now - timedelta(seconds=1))
    later = AuthenticationMethodRequestFactory(client=client_row, expires_at=now + timedelta(hours=1))
    done = AuthenticationMethodRequestFactory(client=client_row, expires_at=now - timedelta(days=1), status="COMPLETED")
    assert housekeeping.expire(now) == {"authentication method requests expired": 1}
    statuses = dict(AuthenticationMethodRequest.objects.values_list("id", "status"))
    assert statuses == {due.id: "EXPIRED", later.id: "NEW", done.id: "COMPLETED"}
    event = Event.objects.get(entity_id=str(due.id))
    assert (event.property, event.old_value, event.new_value, event.actor) == ("status", "NEW", "EXPIRED", audit.SYSTEM)
    assert housekeeping.expire(now) == {}


def test_expire_in_batches_with_progress(client_row, monkeypatch, caplog):
    monkeypatch.setattr("core.jobs.housekeeping.EXPIRE_BATCH", 2)
    past = timezone.now() - timedelta(minutes=1)
    for _ in range(5):
        AuthenticationMethodRequestFactory(client=client_row, expires_at=past)
    with caplog.at_level("INFO", logger="housekeeping"):
        assert housekeeping.expire() == {"authentication method requests expired": 5}
    assert [r.getMessage() for r in caplog.records if r.name == "housekeeping"] == [
        "authentication method requests expired so far: 2",
        "authentication method requests expired so far: 4",
    ]
    assert set(AuthenticationMethodRequest.objects.values_list("status", flat=True)) == {"EXPIRED"}


def test_expire_requests_command_runs_persons_housekeeping(client_row):
    from io import StringIO

    from django.core.management import call_command

    AuthenticationMethodRequestFactory(client=client_row, expires_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("expire_requests", stdout=out)
    assert "authentication method requests expired: 1" in out.getvalue()
    assert AuthenticationMethodRequest.objects.get().status == "EXPIRED"
