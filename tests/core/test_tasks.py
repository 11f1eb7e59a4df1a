"""core.tasks.DatabaseBackend writes the very row django-tasks-db's own backend writes."""

import pytest
from django.db.models.fields import DateTimeField
from django_tasks_db.models import DBTaskResult

from verifications.tasks import send_sms

pytestmark = pytest.mark.django_db


def test_an_enqueued_task_is_the_librarys_row(settings):
    settings.TASKS = {
        "default": {"BACKEND": "core.tasks.DatabaseBackend"},
        "library": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    }
    ours = send_sms.enqueue(sms_id="00000000-0000-0000-0000-000000000001")
    theirs = send_sms.using(backend="library").enqueue(sms_id="00000000-0000-0000-0000-000000000001")

    def row(result) -> dict:
        stored = DBTaskResult.objects.get(pk=result.id)
        return {
            field.attname: getattr(stored, field.attname)
            for field in DBTaskResult._meta.concrete_fields
            if field.attname not in ("id", "backend_name") and not isinstance(field, DateTimeField)
        } | {"run_after": stored.run_after}

    assert row(ours) == row(theirs)
    assert ours.status == theirs.status == "READY" and ours.backend == "default"
    # the result returned is the one the library makes from the row
    library = DBTaskResult.objects.get(pk=ours.id).task_result
    for name in ("id", "status", "args", "kwargs", "backend", "errors", "worker_ids", "started_at", "finished_at"):
        assert getattr(ours, name) == getattr(library, name), name
    assert ours.enqueued_at == library.enqueued_at
    assert ours.task.module_path == library.task.module_path and ours.task.priority == library.task.priority
    assert (ours.task.queue_name, ours.task.run_after) == (library.task.queue_name, library.task.run_after)
    assert DBTaskResult.objects.ready().filter(pk=ours.id).exists()  # a worker will take it


def test_an_enqueue_announces_its_result_as_the_librarys_does(settings):
    """task_enqueued goes out once, with the result the enqueue returns."""
    from django.tasks.signals import task_enqueued

    settings.TASKS = {"default": {"BACKEND": "core.tasks.DatabaseBackend"}}
    announced = []

    def listen(sender, task_result, **kwargs):
        announced.append(task_result)

    task_enqueued.connect(listen)
    try:
        result = send_sms.enqueue(sms_id="00000000-0000-0000-0000-000000000002")
    finally:
        task_enqueued.disconnect(listen)
    assert [announced_result.id for announced_result in announced] == [result.id]
    assert result.kwargs == {"sms_id": "00000000-0000-0000-0000-000000000002"}
