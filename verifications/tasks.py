from django.tasks import task

from verifications import services


@task()
def send_sms(*, sms_id: str) -> str:
    """Deliver one logged SMS; takes only the id (the code travels encrypted in the row, never in task args)."""
    sms = services.sms_deliver(sms_id=sms_id)
    return sms.status if sms is not None else "MISSING"
