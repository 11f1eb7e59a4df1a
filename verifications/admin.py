from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    BOTH_PLACES,
    AuditHistoryMixin,
    CaseSearchMixin,
    ClientLegalEntityFilter,
    DateRangeFilter,
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    apply_service,
)
from core.masking import mask_phone
from verifications.models import SmsMessage, Verification
from verifications.services import sms_resend


@admin.register(Verification)
class VerificationAdmin(LargeTableAdminMixin, CaseSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # The code digest is never shown; phones only masked. Search by id or a whole phone number.
    list_display = ("id", "phone", "kind", "status", "attempts", "code_expired_at", "created_at")
    list_filter = ("status", "kind", ("created_at", DateRangeFilter), ClientLegalEntityFilter)
    phone_search_lookup = "phone_number"
    search_help_text = _("A code's id, or a whole phone number (+380 and nine digits)")
    fieldsets = (
        (None, {"fields": ("id", "phone", "kind", "client", "status", "attempts", "code_expired_at")}),
        (_("History"), {"fields": ("created_at", "updated_at", "history")}),
    )

    @admin.display(description=_("phone number"))
    def phone(self, obj):
        return mask_phone(obj.phone_number)


@admin.register(SmsMessage)
class SmsMessageAdmin(LargeTableAdminMixin, CaseSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "phone_number_masked", "kind", "status", "attempts", "provider_id", "sent_at")
    list_filter = ("status", "kind", ("created_at", DateRangeFilter))
    id_search_lookups = ("pk", "verification_id")
    search_fields = ("=provider_id",)
    phone_search_lookup = "verification__phone_number"
    search_help_text = _("An SMS id, provider id, code id, or a whole phone number (+380 and nine digits)")
    fieldsets = (
        (None, {"fields": ("id", "verification", "phone_number_masked", "kind", "body")}),
        (_("Delivery"), {"fields": ("status", "attempts", "provider_id", "error", "next_attempt_at", "sent_at")}),
        (_("History"), {"fields": ("created_at", "updated_at", "history")}),
    )
    actions = ["resend"]

    def has_resend_permission(self, request):
        return request.user.has_perm("verifications.resend_smsmessage")

    @admin.action(description=_("Resend the selected failed SMS"), permissions=["resend"], location=BOTH_PLACES)
    def resend(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            call=lambda sms, actor: sms_resend(sms_id=sms.pk, actor=actor),
            done=gettext("Resent"),
        )
