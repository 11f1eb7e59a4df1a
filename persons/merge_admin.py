"""Back office for merge requests: read-only list and detail with audit events; resending a code."""

from django.contrib import admin

from core.admin import AuditHistoryMixin, ReadOnlyAdminMixin, apply_service
from core.masking import mask_phone
from persons.merge_services import merge_request_resend_otp
from persons.models import MergeRequest


@admin.register(MergeRequest)
class MergeRequestAdmin(AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "status", "master_person", "merge_person", "confirmation", "created_at", "expires_at")
    list_filter = ("status", "created_at")
    list_select_related = ("master_person", "merge_person")
    search_fields = ("=id", "=master_person__tax_id", "=merge_person__tax_id")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend_otp"]
    fieldsets = (
        (None, {"fields": ("id", "status", "master_person", "merge_person")}),
        ("Confirmation", {"fields": ("confirmation", "authorize_with", "documents", "expires_at")}),
        ("Audit", {"fields": ("legal_entity_id", "created_at", "created_by", "updated_at", "updated_by", "history")}),
    )
    readonly_fields = (
        "id",
        "status",
        "master_person",
        "merge_person",
        "confirmation",
        "authorize_with",
        "documents",
        "expires_at",
        "legal_entity_id",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "history",
    )

    @admin.display(description="Authentication method")
    def confirmation(self, obj):
        current = obj.authentication_method_current
        return " ".join(filter(None, [current.get("type"), mask_phone(current.get("number"))]))

    def has_resend_permission(self, request):
        return request.user.has_perm("persons.change_mergerequest")

    @admin.action(description="Resend the code (NEW requests confirmed by OTP)", permissions=["resend"])
    def resend_otp(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            call=lambda merge_request, actor: merge_request_resend_otp(merge_request=merge_request, actor=actor),
            done="Resent the code",
        )
