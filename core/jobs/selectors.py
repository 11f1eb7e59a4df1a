from core.api.errors import NotFound
from core.models import Client, Job


def job_get_for_client(*, job_id, client: Client) -> Job:
    """Only the client that started a job reads it; anyone else gets 404, like a missing one."""
    job = Job.objects.filter(pk=job_id, client=client).first()
    if job is None:
        raise NotFound("Job not found")
    return job
