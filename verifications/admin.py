from django.contrib import admin, messages
from django.utils.html import format_html_join

from core.admin import ReadOnlyAdminMixin
from core.audit import actor_of
from core.errors import ApiError
from core.masking import mask_phone
from core.models import Event
from verifications.models import SmsMessage, Verification
from verifications.services import sms_resend


def _events(obj):
    events = Event.objects.filter(entity_type=obj._meta.label_lower, entity_id=str(obj.pk)).order_by("created_at")
    return (
        format_html_join(
            "\n",
            "<div>{} · {}: {} → {} · {}</div>",
            ((e.created_at, e.property, e.old_value, e.new_value, e.actor) for e in events),
        )
        or "-"
    )


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The code digest is never shown; phones only masked. Search by the phone's last digits.
    list_display = ("id", "phone", "status", "attempts", "code_expired_at", "created_at")
    list_filter = ("status",)
    search_fields = ("=id", "phone_number__endswith")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ("id", "phone", "status", "attempts", "code_expired_at", "created_at", "updated_at", "history")
    readonly_fields = fields

    @admin.display(description="phone number")
    def phone(self, obj):
        return mask_phone(obj.phone_number)

    @admin.display(description="audit events")
    def history(self, obj):
        return _events(obj)


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "phone_number_masked", "kind", "status", "attempts", "provider_id", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("=id", "=provider_id", "=verification__id")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "id",
        "verification",
        "phone_number_masked",
        "kind",
        "body",
        "status",
        "attempts",
        "provider_id",
        "error",
        "next_attempt_at",
        "sent_at",
        "created_at",
        "updated_at",
        "history",
    )
    readonly_fields = fields
    actions = ["resend"]

    @admin.display(description="audit events")
    def history(self, obj):
        return _events(obj)

    def has_resend_permission(self, request):
        return request.user.has_perm("verifications.resend_smsmessage")

    @admin.action(description="Resend the selected failed SMS", permissions=["resend"])
    def resend(self, request, queryset):
        for sms in queryset:
            try:
                sms_resend(sms_id=sms.pk, actor=actor_of(request))
            except ApiError as error:
                self.message_user(request, f"SMS {sms.pk}: {error.message}", messages.WARNING)
                continue
            self.log_change(request, sms, "Resent")
            self.message_user(request, f"SMS {sms.pk}: queued again", messages.SUCCESS)
