"""The CPU one client-secret check costs, alone and as a whole /oauth/token/ request with a wrong secret.

    .venv/bin/python bench/client_secret_cost.py [--calls N]

The production settings (DEBUG off, Django's PBKDF2 for passwords), on a throwaway SQLite file in
/tmp. "PBKDF2" is a client whose secret is stored as before this hasher (Django's default hasher, as
DOT used it); "digest" is one stored as now (core.oauth.hashers). CPU is this process's
(time.process_time).
"""

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_FILE = Path(tempfile.mkdtemp()) / "client-secret-cost.sqlite3"
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DEBUG="false",
    SECRET_KEY="bench-only-secret-key-0123456789-0123456789-0123456789",
    SECURE_SSL_REDIRECT="false",
    SMS_BACKEND="locmem",
    ALLOWED_HOSTS="testserver",
    LOG_LEVEL="CRITICAL",
    DATABASE_URL=f"sqlite:///{DB_FILE}",
    OAUTH_CLIENT_FAILED_LIMIT="1000000",  # measure the check, not the 429
)

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import check_password, get_hasher, make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402

from core.models import Client  # noqa: E402
from core.oauth.hashers import ClientSecretHasher  # noqa: E402
from core.oauth.services import client_create  # noqa: E402


def cpu_ms(function, calls: int) -> tuple[float, float]:
    """Median and max CPU milliseconds of one call."""
    times = []
    for _ in range(calls):
        start = time.process_time()
        function()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times), max(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10)
    calls = parser.parse_args().calls
    call_command("migrate", verbosity=0)

    secret = "s" * 128
    pbkdf2 = make_password(secret, hasher="default")
    digest = make_password(secret, hasher=ClientSecretHasher.algorithm)
    print(f"default password hasher: {get_hasher('default').algorithm}, {pbkdf2.split('$')[1]} iterations")
    rows = [
        ("check_password, PBKDF2, wrong", lambda: check_password("wrong", pbkdf2)),
        ("check_password, PBKDF2, right", lambda: check_password(secret, pbkdf2)),
        ("check_password, digest, wrong", lambda: check_password("wrong", digest)),
        ("check_password, digest, right", lambda: check_password(secret, digest)),
    ]

    new = client_create(name="Bench MIS", scopes=["otp:read"])
    old = client_create(name="Bench MIS, secret stored as before", scopes=["otp:read"])
    Client.objects.filter(pk=old.client.pk).update(client_secret=make_password(old.client_secret, hasher="default"))
    http = HttpClient()

    def token(client_id, secret, expected):
        def call():
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            response = http.post(
                "/oauth/token/",
                {"grant_type": "client_credentials", "scope": "otp:read"},
                HTTP_AUTHORIZATION=f"Basic {basic}",
                secure=True,
            )
            assert response.status_code == expected, response.content

        return call

    rows += [
        ("POST /oauth/token/, PBKDF2 client, wrong secret", token(old.client.client_id, "wrong", 401)),
        ("POST /oauth/token/, digest client, wrong secret", token(new.client.client_id, "wrong", 401)),
        ("POST /oauth/token/, unknown client id", token("no-such-client", "wrong", 401)),
        ("POST /oauth/token/, digest client, right secret", token(new.client.client_id, new.client_secret, 200)),
    ]
    print(f"{'CPU per call, ms':<52} {'median':>9} {'max':>9}")
    for name, function in rows:
        function()  # warm up
        median, worst = cpu_ms(function, calls)
        print(f"{name:<52} {median:9.3f} {worst:9.3f}")


if __name__ == "__main__":
    main()
