from django.contrib import admin

from core.admin import AuditHistoryMixin, PhoneSearchMixin, ReadOnlyAdminMixin, apply_service
from core.masking import mask_phone
from verifications.models import SmsMessage, Verification
from verifications.services import sms_resend


@admin.register(Verification)
class VerificationAdmin(PhoneSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # The code digest is never shown; phones only masked. Search by id or a whole phone number.
    list_display = ("id", "phone", "kind", "status", "attempts", "code_expired_at", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("=id",)
    phone_search_lookup = "phone_number"
    search_help_text = "A code's id, or a whole phone number (+380 and nine digits)"
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "id",
        "phone",
        "kind",
        "client",
        "status",
        "attempts",
        "code_expired_at",
        "created_at",
        "updated_at",
        "history",
    )
    readonly_fields = fields

    @admin.display(description="phone number")
    def phone(self, obj):
        return mask_phone(obj.phone_number)


@admin.register(SmsMessage)
class SmsMessageAdmin(PhoneSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "phone_number_masked", "kind", "status", "attempts", "provider_id", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("=id", "=provider_id", "=verification__id")
    phone_search_lookup = "verification__phone_number"
    search_help_text = "An SMS id, provider id, code id, or a whole phone number (+380 and nine digits)"
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

    def has_resend_permission(self, request):
        return request.user.has_perm("verifications.resend_smsmessage")

    @admin.action(description="Resend the selected failed SMS", permissions=["resend"])
    def resend(self, request, queryset):
        apply_service(
            self, request, queryset, call=lambda sms, actor: sms_resend(sms_id=sms.pk, actor=actor), done="Resent"
        )
