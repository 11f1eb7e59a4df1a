"""Time every back-office list, search and filter page on the loaded volume (bench/load_volume.py):
each page through Django's whole stack (middleware, statement timeout, templates) as a superuser, the
best and the median of --runs after one warm-up. Target: under 0.5 s each. Prints a Markdown table.

    DATABASE_URL=postgres://ehealth:ehealth@127.0.0.1:5432/ehealth_admin SECRET_KEY=... SMS_BACKEND=console \\
        .venv/bin/python bench/time_admin.py"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from persons.models import AuthenticationMethodRequest, Person  # noqa: E402

TARGET = 0.5


def pages() -> list[tuple[str, str]]:
    request = AuthenticationMethodRequest.objects.order_by().first()
    person = Person.objects.filter(tax_id="1000012345").first() or Person.objects.order_by().first()
    rid, pid = str(request.pk), str(person.pk)
    requests = "/admin/persons/authenticationmethodrequest/"
    persons = "/admin/persons/person/"
    events = "/admin/core/event/"
    codes = "/admin/verifications/verification/"
    return [
        ("start page", "/admin/"),
        ("requests", requests),
        ("requests by expiry ↑", f"{requests}?o=9"),
        ("requests by expiry ↓", f"{requests}?o=-9"),
        ("requests NEW", f"{requests}?status__exact=NEW"),
        ("requests COMPLETED", f"{requests}?status__exact=COMPLETED"),
        ("requests of a week", f"{requests}?created_at__from=2026-11-01&created_at__to=2026-11-07"),
        ("requests: _facets=1 (ignored)", f"{requests}?_facets=1"),
        ("search 0500012345", f"{requests}?q=0500012345"),
        ("search 050 001 23 45", f"{requests}?q=050+001+23+45"),
        ("search (050) 001-23-45", f"{requests}?q=%28050%29+001-23-45"),
        ("search +380500012345", f"{requests}?q=%2B380500012345"),
        ("search last 4 digits 2345", f"{requests}?q=2345"),
        ("search 8-character id", f"{requests}?q={rid[:8]}"),
        ("search whole id", f"{requests}?q={rid}"),
        ("search tax id", f"{requests}?q=1000012345"),
        ("request page", f"{requests}{rid}/change/"),
        ("persons", persons),
        ("persons queue (oldest first)", f"{persons}?verification_status__exact=VERIFICATION_NEEDED"),
        ("persons by name", f"{persons}?q=шевченко+олена"),
        ("persons by last digits", f"{persons}?q=012345"),
        ("person page", f"{persons}{pid}/change/"),
        ("events", events),
        ("events by record id", f"{events}?q={rid}"),
        ("events by 8-character id", f"{events}?q={rid[:8]}"),
        ("events by actor", f"{events}?q=user:1"),
        ("events of a day", f"{events}?created_at__from=2026-11-01&created_at__to=2026-11-01"),
        ("codes", codes),
        ("codes by phone", f"{codes}?q=0500012345"),
        ("codes by last digits", f"{codes}?q=12345"),
        ("codes VERIFIED", f"{codes}?status__exact=VERIFIED"),
        ("SMS log", "/admin/verifications/smsmessage/"),
        ("merge requests", "/admin/persons/mergerequest/"),
        ("approvals", "/admin/approvals/approval/"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    print("| page | status | best, s | median, s | under 0.5 s |")
    print("|---|---|---|---|---|")
    slow = 0
    for label, url in pages():
        client.get(url, secure=True)  # warm-up
        times, status = [], None
        for _ in range(args.runs):
            started = time.perf_counter()
            status = client.get(url, secure=True).status_code
            times.append(time.perf_counter() - started)
        best, median = min(times), statistics.median(times)
        slow += median >= TARGET
        print(
            f"| {label} | {status} | {best:.3f} | {median:.3f} | {'yes' if median < TARGET else '**no**'} |", flush=True
        )
    print(f"\n{slow} page(s) at or over {TARGET} s")


if __name__ == "__main__":
    main()
