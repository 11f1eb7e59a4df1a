import pytest

from core.jobs.services import job_create, job_finish
from core.models import Job

pytestmark = pytest.mark.django_db


def test_pending_job_shows_where_to_poll(caller):
    job = job_create(client=caller.client, kind="approval_resend")
    response = caller.get(f"/api/jobs/{job.id}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "pending"
    assert data["links"] == [{"entity": "job", "href": f"/api/jobs/{job.id}"}]
    assert "eta" in data


def test_processed_job_shows_its_answer(caller):
    job = job_create(client=caller.client, kind="approval_resend")
    assert job_finish(job_id=job.id, status_code=201, response_data={"id": "x"})
    assert not job_finish(job_id=job.id, status_code=500, error={"message": "late second worker"})
    data = caller.get(f"/api/jobs/{job.id}").json()["data"]
    assert data == {"id": str(job.id), "status": "processed", "status_code": 201, "response_data": {"id": "x"}}


def test_failed_job_shows_its_error(caller):
    job = job_create(client=caller.client, kind="approval_resend")
    job_finish(job_id=job.id, status_code=409, error={"message": "Resend SMS is not allowed"})
    data = caller.get(f"/api/jobs/{job.id}").json()["data"]
    assert data["status"] == Job.Status.FAILED
    assert data["error"] == {"message": "Resend SMS is not allowed"}


def test_job_of_another_legal_entity_is_404(caller, caller_factory):
    other = caller_factory(name="Other MIS")
    job = job_create(client=other.client, kind="approval_resend")
    response = caller.get(f"/api/jobs/{job.id}")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Job not found"


def test_non_uuid_id_is_404(caller):
    assert caller.get("/api/jobs/not-a-uuid").status_code == 404


def test_job_needs_job_read_scope(caller_factory):
    caller = caller_factory(scopes=["otp:read"])
    job = job_create(client=caller.client, kind="x")
    assert caller.get(f"/api/jobs/{job.id}").status_code == 403


def test_job_of_another_client_of_the_same_legal_entity_is_404(caller, caller_factory):
    """Only the client that started a job reads its answer (it may carry that client's data)."""
    colleague = caller_factory(name="Second MIS", legal_entity_id=caller.client.legal_entity_id)
    job = job_create(client=colleague.client, kind="approval_resend")
    assert caller.get(f"/api/jobs/{job.id}").status_code == 404
    assert colleague.get(f"/api/jobs/{job.id}").status_code == 200
