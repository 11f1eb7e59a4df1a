import pytest

from core.audit import events as audit
from core.oauth.services import client_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_superuser_sees_clients_and_audit_events(staff_login, live_server, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.org", "x")
    new = client_create(name="Clinic No 7", scopes=["otp:read"], actor=audit.SYSTEM)
    page = staff_login(admin)

    page.goto(f"{live_server.url}/admin/core/event/")
    row = page.locator("#result_list tbody tr").first
    assert "API client" in row.inner_text() and "created" in row.inner_text()
    assert f"/admin/core/client/{new.client.pk}/change/" in row.inner_html()
    # audit events are read-only: no "add" button, no delete action
    assert page.locator(".object-tools a.addlink").count() == 0

    page.goto(f"{live_server.url}/admin/core/client/")
    assert "Clinic No 7" in page.locator("#result_list").inner_text()


def test_admin_speaks_ukrainian(browser, live_server):
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    assert page.locator("html").get_attribute("lang") == "uk"
    assert page.title().startswith("Увійти")
    context.close()
