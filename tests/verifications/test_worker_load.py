"""The worker keeps up: a queue of a few hundred SMS drains through the real `manage.py db_worker`, each
SMS sent once, within a time limit; `--threads` waits on a slow gateway for several SMS at once. The
queue's depth and age are what /metrics reports while it drains (docs/operations-metrics.md)."""

import json
import time
from collections import Counter

import pytest
from django.db.models import Max, Min
from django.test import Client as HttpClient
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from tests.workers import start_worker, worker_log
from verifications.models import SmsMessage
from verifications.services import verification_initialize

from .conftest import Gateway, own_client

# The worker is another process: it needs committed rows in a database it can reach.
pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SMS_COUNT = 300


def enqueue(count: int) -> list[str]:
    """`count` codes to as many phones, as the web tier makes them: each one an SMS QUEUED, its task READY."""
    owner = own_client()
    phones = [f"+38067{n:07d}" for n in range(count)]
    for phone in phones:
        verification_initialize(phone_number=phone, kind="verification", owner=owner)
    return phones


def queue_metrics() -> dict:
    text = HttpClient().get("/metrics").content.decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("ehealth_task_queue") and sample.labels.get("queue") == "default"
    }


def drained(worker, *, within: float) -> float:
    """Seconds until no task is ready or running; fails past `within` or if the worker died."""
    started = time.monotonic()
    while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
        assert worker.poll() is None, worker_log(worker)
        assert time.monotonic() - started < within, (
            f"{DBTaskResult.objects.filter(status='READY').count()} tasks still queued after {within} s"
        )
        time.sleep(0.1)
    return time.monotonic() - started


def stop(worker) -> None:
    worker.terminate()
    worker.wait(timeout=20)


def test_a_queue_of_a_few_hundred_sms_drains_each_sent_once(database_tasks, no_send_limits, tmp_path):
    phones = enqueue(SMS_COUNT)
    waiting = queue_metrics()
    assert waiting["ehealth_task_queue_ready"] == SMS_COUNT
    assert waiting["ehealth_task_queue_oldest_age_seconds"] > 0

    outbox = tmp_path / "sms-outbox.jsonl"
    worker = start_worker(outbox, worker_id="load", threads=4)
    try:
        seconds = drained(worker, within=25)
    finally:
        stop(worker)

    assert Counter(SmsMessage.objects.values_list("status", flat=True)) == {"SENT": SMS_COUNT}
    assert Counter(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL": SMS_COUNT}
    delivered = Counter(json.loads(line)["phone_number"] for line in outbox.read_text().splitlines())
    assert delivered == Counter(phones)  # every phone once, none twice
    assert queue_metrics() == {"ehealth_task_queue_ready": 0, "ehealth_task_queue_oldest_age_seconds": 0}
    print(f"{SMS_COUNT} SMS in {seconds:.1f} s (the worker's start included): {SMS_COUNT / seconds:.0f}/s")


def busy_seconds() -> float:
    """From the first task's start to the last one's end: the worker's own time, its start-up left out."""
    span = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
    return (span["last"] - span["first"]).total_seconds()


def test_threads_wait_on_a_slow_gateway_together(database_tasks, no_send_limits, tmp_path):
    """A gateway that takes 0.1 s an SMS: one thread needs at least 6 s for 60 of them, 6 threads about 1."""
    count, latency = 60, 0.1
    phones = enqueue(count)
    with Gateway(delay=latency) as gateway:
        worker = start_worker(
            tmp_path / "unused.jsonl", worker_id="slow-gateway", threads=6, SMS_BACKEND="http", SMS_HTTP_URL=gateway.url
        )
        try:
            drained(worker, within=25)
        finally:
            stop(worker)
    assert Counter(SmsMessage.objects.values_list("status", flat=True)) == {"SENT": count}
    assert Counter(request["json"]["phone_number"] for request in gateway.requests) == Counter(phones)
    assert busy_seconds() < count * latency / 2, busy_seconds()
    threads = {worker_id for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for worker_id in ids}
    assert len(threads) > 1 and all(worker_id.startswith("slow-gateway-") for worker_id in threads)


def test_sigterm_lets_every_thread_finish_and_the_process_exit(database_tasks, tmp_path):
    worker = start_worker(tmp_path / "outbox.jsonl", worker_id="stopping", threads=3)
    try:
        deadline = time.monotonic() + 20
        while "Starting worker worker_id=stopping-3" not in worker_log(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.terminate()
        assert worker.wait(timeout=10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    log = worker_log(worker)
    assert "shutting down gracefully after the current tasks" in log
    assert all(f"worker_id=stopping-{n}" in log for n in (1, 2, 3))
