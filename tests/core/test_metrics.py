"""`/metrics` for Prometheus: who may scrape it, the HTTP series by route pattern, and the series read
from the database at scrape time (codes, SMS and their latency, the task queue)."""

import subprocess
import sys
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.parser import text_string_to_metric_families

from core.observability import metrics
from verifications.models import FailedGuess, SmsMessage, Verification

pytestmark = pytest.mark.django_db

PHONE = "+380501234567"


def scrape(client, **extra) -> dict:
    """{(name, labels as a sorted tuple): value} of one scrape."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


# --- who may scrape ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_loopback_may_scrape(client, address):
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 200


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.7", "2001:db8::1", "", "not-an-address"])
def test_anyone_else_gets_the_plain_404(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 404
    assert b"ehealth_" not in response.content


def test_metrics_allowed_ips_take_addresses_and_networks(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.1.2.3", "192.168.10.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.10.77").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.4").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="192.168.11.1").status_code == 404


def test_an_entry_that_is_no_address_is_ignored(client, settings):
    settings.METRICS_ALLOWED_IPS = ["monitoring.example.org", "10.1.2.3"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.9.9.9").status_code == 404


def test_through_a_proxy_the_proxys_loopback_address_does_not_count(client, settings):
    """Behind nginx on the same machine every request comes from 127.0.0.1: a forwarded one is judged
    by the client the trusted proxy saw, and without a trusted proxy it is nobody's."""
    settings.TRUSTED_PROXY_COUNT = 0
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9").status_code == 404
    settings.METRICS_ALLOWED_IPS = ["203.0.113.9"]
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9").status_code == 200


def test_only_get_and_head_scrape(client):
    assert client.head("/metrics").status_code == 200
    assert client.post("/metrics").status_code == 404


def test_no_host_check_and_no_https_redirect_for_a_scrape(client, settings):
    """A scraper addresses each process by its own address and port, which ALLOWED_HOSTS need not list."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics", HTTP_HOST="10.0.0.5:8001").status_code == 200


# --- HTTP series ------------------------------------------------------------------------------


def test_requests_are_counted_by_route_pattern_never_by_path(caller, client):
    before = scrape(client)
    for _ in range(3):
        caller.get(f"/api/verifications/{PHONE}")
    caller.get("/api/no-such-route/0501234567")
    client.get("/nowhere/0501234567")
    samples = scrape(client)
    route = "/api/verifications/<phone:phone_number>"
    counted = value(samples, "ehealth_http_requests_total", route=route, method="GET", status="404")
    assert counted - (value(before, "ehealth_http_requests_total", route=route, method="GET", status="404") or 0) == 3
    assert value(samples, "ehealth_http_request_duration_seconds_count", route=route, method="GET") >= 3
    assert value(samples, "ehealth_http_requests_total", route="/^api/", method="GET", status="404") >= 1
    assert value(samples, "ehealth_http_requests_total", route="<unresolved>", method="GET", status="404") >= 1
    text = client.get("/metrics").content.decode()
    assert "0501234567" not in text and "1234567" not in text


def test_an_unknown_method_is_other(client):
    client.generic("BREW", "/api/health")
    samples = scrape(client)
    assert value(samples, "ehealth_http_requests_total", route="/api/health", method="other", status="405") >= 1


# --- series read from the database ------------------------------------------------------------


def code(kind="verification", status="NEW", age=timedelta(0)) -> Verification:
    now = timezone.now()
    verification = Verification.objects.create(
        phone_number=PHONE, kind=kind, status=status, code_digest="x", code_expired_at=now + timedelta(minutes=15)
    )
    Verification.objects.filter(pk=verification.pk).update(created_at=now - age)
    return verification


def sms(verification, status="SENT", delivered_after=None, age=timedelta(0), **fields) -> SmsMessage:
    now = timezone.now()
    created = now - age
    message = SmsMessage.objects.create(
        verification=verification, phone_number_masked="+38050*****67", kind=verification.kind, body="-", status=status
    )
    sent_at = created + delivered_after if delivered_after is not None else None
    SmsMessage.objects.filter(pk=message.pk).update(created_at=created, sent_at=sent_at, **fields)
    return message


def test_codes_by_kind_and_status_in_the_window(client, settings):
    settings.METRICS_WINDOW_SECONDS = 300
    for status in ["NEW", "VERIFIED", "VERIFIED", "LOCKED"]:
        code(status=status)
    locked = code(kind="approval", status="LOCKED")
    code(status="VERIFIED", age=timedelta(minutes=10))  # before the window
    FailedGuess.objects.create(phone_number=PHONE, verification=locked)
    FailedGuess.objects.create(phone_number=PHONE, verification=locked)
    samples = scrape(client)
    assert value(samples, "ehealth_metrics_window_seconds") == 300
    assert value(samples, "ehealth_codes_recent", kind="verification", status="VERIFIED") == 2
    assert value(samples, "ehealth_codes_recent", kind="verification", status="NEW") == 1
    assert value(samples, "ehealth_codes_recent", kind="verification", status="LOCKED") == 1
    assert value(samples, "ehealth_codes_recent", kind="approval", status="LOCKED") == 1
    assert value(samples, "ehealth_code_failed_guesses_recent", kind="approval") == 2
    assert value(samples, "ehealth_database_up") == 1


def test_sms_by_status_their_retries_and_delivery_latency(client):
    verification = code()
    sms(verification, delivered_after=timedelta(seconds=0.2))
    sms(verification, delivered_after=timedelta(seconds=3))
    sms(verification, delivered_after=timedelta(seconds=40))
    sms(verification, status="FAILED", attempts=5)
    sms(verification, status="QUEUED", next_attempt_at=timezone.now() + timedelta(seconds=30), error="gateway 503")
    sms(verification, status="QUEUED")
    samples = scrape(client)
    assert value(samples, "ehealth_sms_recent", kind="verification", status="SENT") == 3
    assert value(samples, "ehealth_sms_recent", kind="verification", status="FAILED") == 1
    assert value(samples, "ehealth_sms_recent", kind="verification", status="QUEUED") == 2
    assert value(samples, "ehealth_sms_retrying_recent", kind="verification") == 1
    buckets = {
        le: value(samples, "ehealth_sms_delivery_seconds_bucket", kind="verification", le=le)
        for le in ["0.5", "2.0", "5.0", "30.0", "60.0", "+Inf"]
    }
    assert buckets == {"0.5": 1, "2.0": 1, "5.0": 2, "30.0": 2, "60.0": 3, "+Inf": 3}
    assert value(samples, "ehealth_sms_delivery_seconds_gcount", kind="verification") == 3
    assert value(samples, "ehealth_sms_delivery_seconds_gsum", kind="verification") == pytest.approx(43.2, abs=0.01)


def task(*, waited: timedelta, run_after=None, status="READY", queue="default") -> DBTaskResult:
    result = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {"sms_id": "x"}},
        task_path="verifications.tasks.send_sms",
        backend_name="default",
        queue_name=queue,
        status=status,
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=result.pk).update(enqueued_at=timezone.now() - waited)
    return result


def test_task_queue_depth_and_the_age_of_the_oldest_ready_task(client):
    samples = scrape(client)
    assert value(samples, "ehealth_task_queue_ready", queue="default") == 0
    assert value(samples, "ehealth_task_queue_oldest_age_seconds", queue="default") == 0

    now = timezone.now()
    task(waited=timedelta(seconds=5))
    task(waited=timedelta(seconds=42))
    task(waited=timedelta(minutes=30), run_after=now - timedelta(seconds=20))  # a retry due 20 s ago
    task(waited=timedelta(minutes=30), run_after=now + timedelta(minutes=1))  # a retry not due yet
    task(waited=timedelta(minutes=50), status="SUCCESSFUL")
    task(waited=timedelta(minutes=50), status="RUNNING")
    task(waited=timedelta(seconds=7), queue="jobs")
    samples = scrape(client)
    assert value(samples, "ehealth_task_queue_ready", queue="default") == 3
    assert 42 <= value(samples, "ehealth_task_queue_oldest_age_seconds", queue="default") < 50
    assert value(samples, "ehealth_task_queue_ready", queue="jobs") == 1
    assert 7 <= value(samples, "ehealth_task_queue_oldest_age_seconds", queue="jobs") < 15


def test_database_down_is_a_series_not_a_failed_scrape(client):
    real_cursor = connection.cursor

    def cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    with mock.patch.object(connection, "cursor", side_effect=cursor):
        samples = scrape(client)
    assert real_cursor
    assert value(samples, "ehealth_database_up") == 0
    assert value(samples, "ehealth_codes_recent", kind="verification", status="NEW") is None


def test_the_database_series_take_a_few_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        scrape(client)


# --- several processes ------------------------------------------------------------------------


def test_multiprocess_mode_adds_up_every_process(client, tmp_path, monkeypatch):
    """gunicorn's workers each count their own requests into PROMETHEUS_MULTIPROC_DIR; a scrape answered
    by any one of them reports the sum."""
    script = (
        "import core.observability.metrics as m; "
        "m.HTTP_REQUESTS.labels('/api/verifications', 'POST', '200').inc({n}); "
        "m.HTTP_LATENCY.labels('/api/verifications', 'POST').observe(0.02)"
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for n in (3, 4):  # two worker processes
        subprocess.run([sys.executable, "-c", script.format(n=n)], cwd=django_settings.BASE_DIR, env=env, check=True)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    route = "/api/verifications"
    assert value(samples, "ehealth_http_requests_total", route=route, method="POST", status="200") == 7
    assert value(samples, "ehealth_http_request_duration_seconds_count", route=route, method="POST") == 2
    assert value(samples, "ehealth_task_queue_ready", queue="default") == 0  # and the database's series


def test_the_scrape_registry_is_made_per_scrape(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert metrics.registry() is not metrics.registry()
