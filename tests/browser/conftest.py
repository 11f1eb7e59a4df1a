"""A real Chromium (Debian's package) driven by Playwright against Django's live server."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's background services try to reach Google; this machine has no such network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    # the hook sees every collected test, so mark only this folder's
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in tests are still sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def staff_login(page, live_server, django_user_model):
    """Log in to the admin as a user; returns a function taking the user."""

    def login(user, password="pass-for-tests-1"):
        user.set_password(password)
        user.save()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_selector("#user-tools")
        return page

    return login


SCREENSHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "var", "screenshots")


@pytest.fixture
def screenshot(page, request):
    """`screenshot("name")` saves the page as var/screenshots/<test>-<n>-<name>.png and prints the path."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    taken = []

    def take(name: str) -> str:
        taken.append(name)
        path = os.path.abspath(os.path.join(SCREENSHOTS, f"{request.node.name}-{len(taken):02d}-{name}.png"))
        page.screenshot(path=path, full_page=True)
        print(f"screenshot: {path}")
        return path

    return take


@pytest.fixture
def back_office_groups(db):
    """The groups as the migrations make them. A transactional test's flush removes what data
    migrations wrote, so they are run again here (on the migration state, as migrate runs them)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    state_apps = loader.project_state().apps
    for (_app, name), migration in sorted(loader.disk_migrations.items()):
        if "back_office_groups" not in name:
            continue
        for operation in migration.operations:
            if isinstance(operation, RunPython):
                operation.code(state_apps, None)


@pytest.fixture
def staff_in(back_office_groups, django_user_model):
    """`staff_in("verifiers", "olena")`: a staff user of that group, with a name the audit trail shows."""
    from django.contrib.auth.models import Group

    def make(group: str, username: str, first_name: str = "", last_name: str = ""):
        user = django_user_model.objects.create_user(
            username, is_staff=True, first_name=first_name, last_name=last_name
        )
        user.groups.add(Group.objects.get(name=group))
        return user

    return make
