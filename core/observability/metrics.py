"""Prometheus metrics at `/metrics` (prometheus-client), for loopback and METRICS_ALLOWED_IPS only.

Two kinds of series, each counted where it is right whatever the number of processes:

* HTTP requests (`ehealth_http_requests_total`, `ehealth_http_request_duration_seconds`), counted by
  MetricsMiddleware in the process that answered. Under gunicorn every worker process counts its own,
  so the web tier runs prometheus-client's multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set (one
  empty folder per gunicorn instance, wiped when it starts: config/gunicorn.py), each process writes its
  counts to a file there and a scrape, answered by any one process, adds up the files of all of them.
* What the service did (codes sent, verified, locked, failed guesses, SMS delivered and their latency,
  the task queue): read from the database at scrape time (DatabaseCollector). The events happen in
  web processes and in task workers, none of which sees the others' counters; the database sees them
  all, so one scrape of any process tells the truth for every web process and every worker. These are
  gauges over a sliding window (METRICS_WINDOW_SECONDS) rather than counters: rows are deleted by
  `cleanup`, and a counter read from a table would go down.

The endpoint is answered by the first middleware, before Django looks at the Host header or redirects
to HTTPS: a scraper addresses a process by its own address and port, which ALLOWED_HOSTS need not
list. Anyone else (another address, or a request that came through a proxy we do not trust) gets the
site's plain 404, as for any unknown page. See docs/operations-metrics.md.
"""

import ipaddress
import logging
import os
import time
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Case, Count, F, Min, Q, Sum, When
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNRESOLVED = "<unresolved>"  # no route matched (a 404 outside /api/, a bad Host refused before routing)

HTTP_REQUESTS = Counter(
    "ehealth_http_requests",
    "HTTP requests answered, by route pattern (never the raw path: no ids or phones), method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "ehealth_http_request_duration_seconds",
    "Time to answer an HTTP request in the web process (Django and the view, not the network), by route.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# SMS delivery: from the code's SMS being queued to the gateway accepting it (retries included)
SMS_LATENCY_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


def route_of(request) -> str:
    """The URL pattern that answered (`/api/verifications/<str:phone_number>`), never the path itself."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED
    return "/" + match.route


class MetricsMiddleware:
    """First in MIDDLEWARE: answers an allowed scrape of /metrics, and counts every other request by its
    route pattern, method and status, and how long the rest of the stack took to answer it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == METRICS_PATH and scrape_allowed(request):
            return metrics_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        method = request.method if request.method in METHODS else "other"
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(route, method).observe(elapsed)
        return response


@cache
def _allowed_networks(allowed: tuple[str, ...]) -> tuple:
    networks = []
    for entry in allowed:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.warning("METRICS_ALLOWED_IPS: %r is neither an address nor a network; ignored", entry)
    return tuple(networks)


def client_address(request) -> str | None:
    """Who is asking: REMOTE_ADDR, or, for a request that came through proxies (it carries
    X-Forwarded-For), the address the outermost of the TRUSTED_PROXY_COUNT proxies saw. A forwarded
    request with no trusted proxy is nobody's (None): behind nginx on the same machine REMOTE_ADDR is
    loopback for every client on the internet."""
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return request.META.get("REMOTE_ADDR") or None
    if settings.TRUSTED_PROXY_COUNT <= 0:
        return None
    return forwarded[-min(settings.TRUSTED_PROXY_COUNT, len(forwarded))]


def scrape_allowed(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    try:
        address = ipaddress.ip_address(client_address(request) or "")
    except ValueError:
        return False
    if address.is_loopback or (getattr(address, "ipv4_mapped", None) and address.ipv4_mapped.is_loopback):
        return True
    return any(address in network for network in _allowed_networks(tuple(settings.METRICS_ALLOWED_IPS)))


class _ThisProcess:
    """The default registry of this process (its HTTP series, process and platform details), as one
    collector of a scrape's registry; used when the process is the only one (runserver, tests)."""

    def collect(self):
        return REGISTRY.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


def registry() -> CollectorRegistry:
    """A scrape's registry: the HTTP series of every process (multiprocess mode) or of this one, and
    the database's."""
    scrape = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(scrape, path=multiprocess_dir())
    else:
        scrape.register(_ThisProcess())
    scrape.register(DatabaseCollector())
    return scrape


def metrics_response(request) -> HttpResponse:
    body = generate_latest(registry())
    return HttpResponse(b"" if request.method == "HEAD" else body, content_type=CONTENT_TYPE_LATEST)


class DatabaseCollector:
    """Series read from the database when Prometheus scrapes (a custom collector, prometheus-client's
    public way to report values that live elsewhere). A few indexed queries: codes and SMS created in
    the window (by created_at), failed guesses in it, the ready tasks (django-tasks-db's partial index).
    An unreachable database is reported as `ehealth_database_up 0`, never as a failed scrape."""

    def collect(self):
        started = time.perf_counter()
        up = GaugeMetricFamily("ehealth_database_up", "1 when the scrape could read the database, 0 otherwise.")
        try:
            families = list(self._families())
        except DatabaseError as error:
            logger.warning("metrics: the database could not be read: %s", str(error).strip())
            families = []
            up.add_metric([], 0)
        else:
            up.add_metric([], 1)
        yield from families
        yield up
        duration = GaugeMetricFamily(
            "ehealth_database_metrics_seconds", "How long this scrape's database queries took."
        )
        duration.add_metric([], time.perf_counter() - started)
        yield duration

    def _families(self):
        window = settings.METRICS_WINDOW_SECONDS
        now = timezone.now()
        since = now - timedelta(seconds=window)
        window_family = GaugeMetricFamily(
            "ehealth_metrics_window_seconds", "The window of the *_recent series (METRICS_WINDOW_SECONDS)."
        )
        window_family.add_metric([], window)
        yield window_family
        yield from self._codes(since)
        yield from self._sms(since)
        yield from self._task_queue(now)

    def _codes(self, since):
        from verifications.models import FailedGuess, Verification

        codes = GaugeMetricFamily(
            "ehealth_codes_recent",
            "One-time codes created (each one sent by SMS) in the window, by kind and their status now: "
            "NEW (not used yet), VERIFIED, LOCKED (wrong attempts used up), EXPIRED, INACTIVE (replaced).",
            labels=["kind", "status"],
        )
        rows = Verification.objects.filter(created_at__gte=since).values("kind", "status").annotate(n=Count("pk"))
        for row in rows.order_by():
            codes.add_metric([row["kind"], row["status"]], row["n"])
        yield codes
        guesses = GaugeMetricFamily(
            "ehealth_code_failed_guesses_recent", "Wrong codes tried in the window, by kind.", labels=["kind"]
        )
        rows = FailedGuess.objects.filter(created_at__gte=since).values("verification__kind").annotate(n=Count("pk"))
        for row in rows.order_by():
            guesses.add_metric([row["verification__kind"] or "unknown"], row["n"])
        yield guesses

    def _sms(self, since):
        from verifications.models import SmsMessage

        recent = SmsMessage.objects.filter(created_at__gte=since)
        by_status = GaugeMetricFamily(
            "ehealth_sms_recent",
            "SMS queued in the window, by kind and their status now: QUEUED (waiting, or waiting to be "
            "retried), SENDING, SENT, FAILED (attempts used up, or the code no longer active).",
            labels=["kind", "status"],
        )
        retrying = GaugeMetricFamily(
            "ehealth_sms_retrying_recent",
            "SMS of the window the gateway refused and that wait for their next attempt, by kind.",
            labels=["kind"],
        )
        retry_counts = {}
        for row in (
            recent.values("kind", "status")
            .annotate(n=Count("pk"), retrying=Count("pk", filter=Q(status="QUEUED", next_attempt_at__isnull=False)))
            .order_by()
        ):
            by_status.add_metric([row["kind"], row["status"]], row["n"])
            retry_counts[row["kind"]] = retry_counts.get(row["kind"], 0) + row["retrying"]
        for kind, n in retry_counts.items():
            retrying.add_metric([kind], n)
        yield by_status
        yield retrying

        latency = GaugeHistogramMetricFamily(
            "ehealth_sms_delivery_seconds",
            "SMS sent in the window: seconds from being queued to the gateway accepting them (retries "
            "included), by kind. A gauge histogram of the window: histogram_quantile() without rate().",
            labels=["kind"],
        )
        delay = F("sent_at") - F("created_at")
        buckets = {
            f"le_{index}": Count("pk", filter=Q(sent_at__lte=F("created_at") + timedelta(seconds=bound)))
            for index, bound in enumerate(SMS_LATENCY_BUCKETS)
        }
        sent = recent.filter(status=SmsMessage.Status.SENT, sent_at__isnull=False)
        for row in sent.values("kind").annotate(n=Count("pk"), total=Sum(delay), **buckets).order_by():
            cumulative = [(_bound(bound), row[f"le_{index}"]) for index, bound in enumerate(SMS_LATENCY_BUCKETS)]
            cumulative.append(("+Inf", row["n"]))
            total = row["total"].total_seconds() if row["total"] is not None else 0.0
            latency.add_metric([row["kind"]], cumulative, gsum_value=total)
        yield latency

    def _task_queue(self, now):
        from django_tasks_db.models import DBTaskResult, get_date_max

        ready = GaugeMetricFamily(
            "ehealth_task_queue_ready",
            "Tasks (an SMS to send, a job) ready to run and waiting for a worker, by queue.",
            labels=["queue"],
        )
        oldest = GaugeMetricFamily(
            "ehealth_task_queue_oldest_age_seconds",
            "How long the oldest ready task has waited for a worker (since it was queued, or since its "
            "retry became due), by queue; 0 when none waits. Alert on this: a code lives OTP_CODE_TTL_MINUTES.",
            labels=["queue"],
        )
        due = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
        rows = DBTaskResult.objects.ready().values("queue_name").annotate(n=Count("pk"), oldest=Min(due)).order_by()
        seen = set()
        for row in rows:
            seen.add(row["queue_name"])
            ready.add_metric([row["queue_name"]], row["n"])
            oldest.add_metric([row["queue_name"]], max(0.0, (now - row["oldest"]).total_seconds()))
        for queue in {"default"} - seen:  # an empty queue reads 0, not "no data"
            ready.add_metric([queue], 0)
            oldest.add_metric([queue], 0)
        yield ready
        yield oldest


def _bound(seconds: float) -> str:
    return repr(float(seconds))
