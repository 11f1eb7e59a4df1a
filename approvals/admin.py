"""Back office for approvals: read-only list and detail with audit events; resending a code."""

from django.contrib import admin

from approvals.models import Approval
from approvals.services import approval_resend
from core.admin import AuditHistoryMixin, ReadOnlyAdminMixin, apply_service
from core.masking import mask_phone


@admin.register(Approval)
class ApprovalAdmin(AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "status", "patient", "granted_to", "access_level", "confirmation", "created_at", "expires_at")
    list_filter = ("status", "access_level", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("patient", "granted_to")
    search_fields = ("=id", "=patient__id", "=patient__tax_id", "=granted_to__id")
    search_help_text = "An approval id, a patient id or tax id, or a doctor's id"
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend_code"]
    fieldsets = (
        (None, {"fields": ("id", "status", "patient", "granted_to", "access_level", "granted_resources", "reason")}),
        ("Confirmation", {"fields": ("confirmation", "authorize_with", "documents", "expires_at")}),
        (
            "Audit",
            {
                "fields": (
                    "client",
                    "legal_entity_id",
                    "created_at",
                    "created_by",
                    "updated_at",
                    "updated_by",
                    "history",
                )
            },
        ),
    )
    readonly_fields = (
        "id",
        "status",
        "patient",
        "granted_to",
        "access_level",
        "granted_resources",
        "reason",
        "confirmation",
        "authorize_with",
        "documents",
        "expires_at",
        "client",
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
        return " ".join(filter(None, [current.get("type"), mask_phone(current.get("number"))])) or "-"

    def has_resend_permission(self, request):
        return request.user.has_perm("approvals.change_approval")

    @admin.action(description="Resend the code (new approvals confirmed by OTP)", permissions=["resend"])
    def resend_code(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            call=lambda approval, actor: approval_resend(
                patient_id=approval.patient_id, approval_id=approval.pk, client=None, actor=actor
            ),
            done="Resent the code",
        )
