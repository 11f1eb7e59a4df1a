import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.audit.events import user_id_of
from core.models import Event
from verifications.models import SmsMessage
from verifications.services import verification_initialize

from .conftest import PHONE, Gateway, own_client, sms_of

pytestmark = pytest.mark.django_db


def test_verification_list_masks_phones_and_hides_codes(admin_client, issue):
    verification, _ = issue()
    response = admin_client.get(reverse("admin:verifications_verification_changelist"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "+38050*****67" in page
    assert PHONE not in page
    assert verification.code_digest not in page


def test_verification_detail_is_read_only_with_its_audit_events(admin_client, issue):
    verification, _ = issue()
    url = reverse("admin:verifications_verification_change", args=[verification.pk])
    page = admin_client.get(url).content.decode()
    assert "+38050*****67" in page and PHONE not in page
    assert verification.code_digest not in page
    assert "status: — → NEW" in page
    assert 'name="_save"' not in page
    assert admin_client.post(url, {"status": "VERIFIED"}).status_code == 403


@pytest.mark.parametrize("term", ["4567", "not-a-uuid"])
def test_verification_search_and_status_filter(admin_client, issue, term):
    issue()
    url = reverse("admin:verifications_verification_changelist")
    assert admin_client.get(url, {"q": term}).status_code == 200
    assert "+38050*****67" in admin_client.get(url, {"q": PHONE}).content.decode()
    assert "+38050*****67" in admin_client.get(url, {"q": PHONE.removeprefix("+380")}).content.decode()
    assert "+38050*****67" in admin_client.get(url, {"q": "4567"}).content.decode()  # its last digits
    assert "+38050*****67" not in admin_client.get(url, {"q": "4568"}).content.decode()
    assert "+38050*****67" not in admin_client.get(url, {"status__exact": "VERIFIED"}).content.decode()


def test_sms_log_shows_masked_body_without_the_code(admin_client, issue):
    verification, _ = issue()
    sms = sms_of(verification)
    page = admin_client.get(reverse("admin:verifications_smsmessage_change", args=[sms.pk])).content.decode()
    assert "Код авторизації дій в системі eHealth: ****" in page
    assert "+38050*****67" in page and PHONE not in page
    sms_list = reverse("admin:verifications_smsmessage_changelist")
    assert admin_client.get(sms_list, {"q": "x"}).status_code == 200
    assert "+38050*****67" in admin_client.get(sms_list, {"q": PHONE}).content.decode()
    assert "+38050*****67" in admin_client.get(sms_list, {"q": "34567"}).content.decode()
    assert "+38050*****67" not in admin_client.get(sms_list, {"q": "34568"}).content.decode()


def test_resend_action_requeues_a_failed_sms_and_logs_it(
    admin_client, admin_user, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND, settings.SMS_MAX_ATTEMPTS = "http", 1
    with Gateway(plan=[500]) as gateway:
        settings.SMS_HTTP_URL = gateway.url
        with django_capture_on_commit_callbacks(execute=True):
            verification = verification_initialize(phone_number=PHONE, kind="verification", owner=own_client())
        sms = sms_of(verification)
        assert sms.status == SmsMessage.Status.FAILED
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:verifications_smsmessage_changelist"),
                {"action": "resend", "confirmed": "yes", "_selected_action": [sms.pk]},
                follow=True,
            )
    assert response.status_code == 200
    assert "Resent: 1" in response.content.decode()
    sms.refresh_from_db()
    assert (sms.status, sms.provider_id) == (SmsMessage.Status.SENT, "msg-2")
    assert LogEntry.objects.filter(object_id=str(sms.pk), change_message="Resent").exists()
    assert Event.objects.filter(entity_id=str(sms.pk), new_value="QUEUED", actor=user_id_of(admin_user)).exists()


def test_resend_of_a_sent_sms_is_refused_with_a_message(admin_client, issue):
    verification, _ = issue()
    sms = sms_of(verification)
    response = admin_client.post(
        reverse("admin:verifications_smsmessage_changelist"),
        {"action": "resend", "confirmed": "yes", "_selected_action": [sms.pk]},
        follow=True,
    )
    assert "Resent: 0; refused: 1 (Only a failed SMS can be resent)" in response.content.decode()
    assert not LogEntry.objects.filter(object_id=str(sms.pk)).exists()


def test_resend_needs_its_permission(client, django_user_model, issue):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_smsmessage"))
    client.force_login(clerk)
    page = client.get(reverse("admin:verifications_smsmessage_changelist")).content.decode()
    assert 'value="resend"' not in page
    clerk.user_permissions.add(Permission.objects.get(codename="resend_smsmessage"))
    page = client.get(reverse("admin:verifications_smsmessage_changelist")).content.decode()
    assert 'value="resend"' in page
