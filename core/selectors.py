from core.errors import NotFound
from core.models import Client, Job


def job_get_for_client(*, job_id, client: Client) -> Job:
    """Another client's job is 404, like a missing one: ids must not leak."""
    job = Job.objects.filter(pk=job_id, client__legal_entity_id=client.legal_entity_id).first()
    if job is None:
        raise NotFound("Job not found")
    return job
