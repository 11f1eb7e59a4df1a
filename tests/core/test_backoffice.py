"""The start page: what needs attention, each a link to the filtered list, and a chart per flow."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from core.admin import request_admins
from core.models import Job
from tests.persons.factories import AuthenticationMethodRequestFactory, PersonFactory
from verifications.models import SmsMessage

pytestmark = pytest.mark.django_db


def login(client, group="verifiers") -> User:
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def sms(status, **fields):
    return SmsMessage.objects.create(
        phone_number_masked="+38093*****85", kind="verification", body="x", status=status, **fields
    )


@pytest.fixture
def attention(caller):
    now = timezone.now()
    old = PersonFactory(last_name="Oldest", verification_reason="RULES_TRIGGERED")
    type(old).objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))
    PersonFactory(last_name="Newer", verification_reason="RULES_TRIGGERED")
    PersonFactory(last_name="Done", verification_status="VERIFIED")
    sms("FAILED")
    sms("FAILED", created_at=now - timedelta(days=2))
    sms("SENT")
    stuck = Job.objects.create(kind="approval_resend", client=caller.client, eta=now)
    Job.objects.filter(pk=stuck.pk).update(created_at=now - timedelta(minutes=5))
    Job.objects.create(kind="approval_resend", client=caller.client, eta=now)  # just started
    soon = AuthenticationMethodRequestFactory(client=caller.client, expires_at=now + timedelta(minutes=20))
    AuthenticationMethodRequestFactory(client=caller.client, expires_at=now + timedelta(days=2))
    stale = AuthenticationMethodRequestFactory(client=caller.client, expires_at=now - timedelta(minutes=5))
    AuthenticationMethodRequestFactory(client=caller.client, status="COMPLETED")
    return {"old": old, "soon": soon, "stale": stale, "stuck": stuck}


def items(response) -> dict:
    return {item.label: item for item in response.context["start"]["attention"]}


def test_the_start_page_lists_what_needs_attention_with_links(client, attention):
    login(client)
    response = client.get("/admin/")
    assert response.status_code == 200
    found = items(response)
    waiting = found["Persons waiting for verification (RULES_TRIGGERED)"]
    assert waiting.count == 2
    persons = client.get(waiting.url).content.decode()
    assert persons.index("Oldest") < persons.index("Newer")  # oldest first
    assert "Done" not in persons

    assert found["SMS failed in the last day"].count == 1
    assert client.get(found["SMS failed in the last day"].url).status_code == 200

    stuck = found["Jobs pending longer than a minute"]
    assert stuck.count == 1
    assert str(attention["stuck"].pk) in client.get(stuck.url).content.decode()

    expiring = found["Authentication method requests about to expire (within an hour)"]
    assert expiring.count == 1
    listed = client.get(expiring.url).content.decode()
    assert str(attention["soon"].pk) in listed and str(attention["stale"].pk) not in listed
    past = found["Authentication method requests past their expiry, still NEW"]
    assert past.count == 1
    assert str(attention["stale"].pk) in client.get(past.url).content.decode()


def test_a_chart_per_flow(client, attention):
    login(client)
    response = client.get("/admin/")
    charts = {chart.title: chart for chart in response.context["start"]["charts"]}
    assert set(charts) == {str(a.model._meta.verbose_name_plural).capitalize() for a in request_admins()}
    chart = charts["Authentication method requests"]
    assert chart.total == 4
    assert {entry["status"]: entry["total"] for entry in chart.legend} == {"NEW": 3, "COMPLETED": 1}
    assert len(chart.bars) == 14 and chart.bars[-1]["segments"]
    html = response.content.decode()
    assert "<svg" in html and "<rect" in html


def test_the_start_page_queries_do_not_grow_with_rows(client, attention, django_assert_max_num_queries, caller):
    login(client)
    flows = len(request_admins())
    # session, user, its permissions (2), the recent actions; the persons, the SMS, the jobs; two per flow
    budget = 5 + 3 + 2 * flows
    if connection.vendor == "postgresql":
        budget += 3  # the statement timeout of admin reads: its savepoint (a test's transaction), set_config, release
    with django_assert_max_num_queries(budget):
        client.get("/admin/")
    for _ in range(10):
        PersonFactory()
        AuthenticationMethodRequestFactory(client=caller.client)
    with django_assert_max_num_queries(budget):
        client.get("/admin/")


def test_what_a_user_may_not_see_is_not_on_the_start_page(client, attention):
    user = User.objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert response.context["start"] == {"attention": [], "charts": [], "chart_days": 14}


def test_branded_and_in_ukrainian(client, attention):
    login(client)
    english = client.get("/admin/").content.decode()
    assert "eHealth back office" in english and "What needs attention" in english
    ukrainian = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Бек-офіс eHealth" in ukrainian and "Що потребує уваги" in ukrainian
    assert "Особи, що чекають на верифікацію (RULES_TRIGGERED)" in ukrainian
    listing = client.get("/admin/persons/authenticationmethodrequest/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Надіслати код повторно" in listing and "юридична особа" in listing
