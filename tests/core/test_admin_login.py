"""The admin login is locked (django-axes) for a username from an address after AXES_FAILURE_LIMIT failures."""

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient

from core.backoffice.login import client_ip

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def log_in(http, username, password, **extra):
    return http.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


@pytest.fixture
def admin_user():
    return User.objects.create_user("olena", password="right-pass-1", is_staff=True)


def test_a_right_password_logs_in(client, admin_user):
    response = log_in(client, "olena", "right-pass-1")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_locked_out_after_the_failure_limit(client, admin_user, settings):
    assert settings.AXES_ENABLED is not False
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "olena", "wrong").status_code == 200  # the form again, with its error
    assert log_in(client, "olena", "wrong").status_code == 429  # the limit's failure locks
    locked = log_in(client, "olena", "right-pass-1")  # even the right password, for the cool-off
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # another address for the same user, and another user from the same address, are not locked
    assert log_in(HttpClient(), "olena", "right-pass-1", REMOTE_ADDR="10.0.0.9").status_code == 302
    User.objects.create_user("taras", password="right-pass-2", is_staff=True)
    assert log_in(HttpClient(), "taras", "right-pass-2").status_code == 302


def test_a_success_resets_the_count(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "olena", "wrong")
    assert log_in(client, "olena", "right-pass-1").status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(HttpClient(), "olena", "wrong").status_code == 200


def test_the_address_behind_trusted_proxies(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.2", REMOTE_ADDR="10.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"  # X-Forwarded-For is anyone's to write
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "203.0.113.7"  # never what the client wrote at the left
