"""Load through nginx against `make cluster` (two web instances, two workers, one PostgreSQL):
limits hold across instances and every accepted SMS is delivered exactly once.

Runs only with RUN_CLUSTER_TESTS=1 against a running cluster (its own `.ci/run` step:
`OTP_RESEND_COOLDOWN_SECONDS=0 make cluster`, then this, then `make cluster-stop`). Bounded: 12 phones,
8 clients initializing each in parallel, then 8 parallel wrong guesses each, on loopback.
"""

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from .processes import http, wait_until

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(os.environ.get("RUN_CLUSTER_TESTS") != "1", reason="needs `make cluster`: RUN_CLUSTER_TESTS=1"),
]

BASE = f"http://127.0.0.1:{os.environ.get('CLUSTER_PORT', '8100')}"
PHONES, PARALLEL = 12, 8


def cluster_env() -> dict:
    lines = (Path(settings.BASE_DIR) / "var" / "cluster" / "env").read_text().splitlines()  # written by make cluster
    return {**os.environ, **dict(line.split("=", 1) for line in lines if "=" in line)}


def manage(*args: str) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=settings.BASE_DIR, env=cluster_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def counts(phones: list[str]) -> dict:
    script = (
        "import json; from django.db.models import Count, Max, Q; from verifications.models import Verification; "
        f"rows = Verification.objects.filter(phone_number__in={phones!r}).values('phone_number')"
        ".annotate(codes=Count('id', distinct=True), sent=Count('sms_messages', filter=Q(sms_messages__status='SENT')),"
        " failed=Count('sms_messages', filter=Q(sms_messages__status='FAILED')), attempts=Max('attempts')); "
        "print(json.dumps({r.pop('phone_number'): r for r in rows}))"
    )
    return json.loads(manage("shell", "-c", script).splitlines()[-1])


def outbox(phones: list[str]) -> Counter:
    path = Path(cluster_env()["SMS_FILE_PATH"])
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return Counter(line["phone_number"] for line in lines if line["phone_number"] in phones)


def make_callers(n: int) -> list[dict]:
    """n clients (MIS) with a token each: each client's code for a phone is its own, none replaces another's."""
    script = (
        "import json; from core.oauth.services import client_create, token_issue; s = ['otp:write', 'otp:read']; "
        f"c = [client_create(name='Cluster load {time.time()} ' + str(i), scopes=s) for i in range({n})]; "
        "print(json.dumps([{'Authorization': 'Bearer ' + token_issue(client=x.client, scopes=s).value, "
        "'Api-key': x.api_key} for x in c]))"
    )
    return json.loads(manage("shell", "-c", script).splitlines()[-1])


def test_limits_hold_and_every_accepted_sms_is_delivered_once_across_instances():
    # each client sends each phone one code: the cap that holds is the phone's, for all clients together
    limit = int(os.environ.get("OTP_PHONE_SEND_LIMIT", "10"))
    max_attempts = int(os.environ.get("OTP_MAX_ATTEMPTS", "3"))
    callers = make_callers(PARALLEL)
    rng = random.Random()
    phones = ["+38067" + "".join(rng.choice("0123456789") for _ in range(7)) for _ in range(PHONES)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        calls = [(phone, i) for phone in phones for i in range(PARALLEL)]

        def initialize(call):
            phone, i = call
            return phone, http("POST", f"{BASE}/api/verifications", body={"phone_number": phone}, headers=callers[i])

        def guess(call):  # every guess by the first client, against its own code; one digit is never right
            url = f"{BASE}/api/verifications/{call[0]}/actions/complete"
            return http("PATCH", url, body={"code": 1}, headers=callers[0])

        answers = list(pool.map(initialize, calls))
        accepted = Counter(phone for phone, (status, _, _) in answers if status == 200)
        statuses = Counter(status for _, (status, _, _) in answers)
        upstreams = Counter(h.get("X-Upstream") for _, (_, h, _) in answers)
        assert set(statuses) <= {200, 429}, statuses
        assert len(upstreams) == 2, upstreams  # both instances served
        assert all(1 <= accepted[phone] <= limit for phone in phones), accepted

        # Delivered before the guesses: a code the guesses lock before its SMS goes out is, rightly,
        # never sent (its SMS fails as no longer active), and the API now outruns the two workers.
        wait_until(
            lambda: sum(row["sent"] for row in counts(phones).values()) >= sum(accepted.values()),
            timeout=60,
            what="the accepted SMS",
        )
        guesses = list(pool.map(guess, calls))
    reasons = Counter(body["error"]["message"] for status, _, body in guesses)
    assert set(reasons) <= {"Invalid verification code", "Maximum attempts exceed", "Verification not found"}, reasons

    rows, delivered = counts(phones), outbox(phones)
    for phone in phones:
        row = rows[phone]
        assert row["codes"] == row["sent"] == accepted[phone] == delivered[phone], (phone, row, delivered[phone])
        assert row["failed"] == 0 and row["attempts"] <= max_attempts
    # the wrong guesses: at most the attempts of each phone's latest code were counted
    assert reasons["Invalid verification code"] <= PHONES * max_attempts
    print(f"initialize {dict(statuses)} via {dict(upstreams)}; guesses {dict(reasons)}")
