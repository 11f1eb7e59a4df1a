"""Back office for approvals (built from the one request admin): list, case file, resend, expire now."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from approvals.models import Approval
from approvals.services import approval_resend
from core.admin import RequestAdminMixin, list_html


def _reference_in_words(reference: dict) -> str:
    identifier = (reference or {}).get("identifier", {})
    codes = [coding.get("code", "?") for coding in identifier.get("type", {}).get("coding", [])]
    return f"{'/'.join(codes) or '?'} {identifier.get('value', '')}".strip()


@admin.register(Approval)
class ApprovalAdmin(RequestAdminMixin, admin.ModelAdmin):
    person_fields = ("patient",)
    list_display = (
        "short_id",
        "status",
        "patient",
        "granted_to",
        "access_level",
        "confirmation",
        "legal_entity",
        "created_at",
        "expires_at",
    )
    case_fieldsets = (
        (None, {"fields": ("id", "status", "patient", "granted_to", "access_level", "resources", "reason_in_words")}),
        (_("Confirmation"), {"fields": ("confirmation", "authorize_with", "documents_list", "expires_at")}),
    )

    def get_list_select_related(self, request):
        return (*super().get_list_select_related(request), "granted_to")

    def resend(self, obj, actor):
        approval_resend(patient_id=obj.patient_id, approval_id=obj.pk, client=None, actor=actor)

    @admin.display(description=_("granted resources"))
    def resources(self, obj):
        return list_html(obj.granted_resources, _reference_in_words)

    @admin.display(description=_("reason"))
    def reason_in_words(self, obj):
        return _reference_in_words(obj.reason) if obj.reason else "-"
