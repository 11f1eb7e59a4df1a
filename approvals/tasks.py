from django.tasks import task

from approvals import services
from approvals.serializers import ApprovalSerializer
from core.jobs.services import job_run


@task()
def approval_resend_job(*, job_id: str, patient_id: str, approval_id: str, actor: str) -> str:
    """The asynchronous resend: the job's result is the answer the synchronous resend gives."""

    def resend(job):
        approval = services.approval_resend(
            patient_id=patient_id, approval_id=approval_id, client=job.client, actor=actor
        )
        return 201, ApprovalSerializer(approval).data

    return job_run(job_id=job_id, run=resend)
