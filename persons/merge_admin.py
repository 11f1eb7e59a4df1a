"""Back office for merge requests: read-only list and detail with audit events; resending a code."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from core.admin import ReadOnlyAdminMixin
from core.audit import actor_of
from core.errors import ApiError
from core.masking import mask_phone
from core.models import Event
from persons.merge_services import merge_request_resend_otp
from persons.models import MergeRequest


@admin.register(MergeRequest)
class MergeRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
        ("Audit", {"fields": ("legal_entity_id", "created_at", "created_by", "updated_at", "updated_by", "events")}),
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
        "events",
    )

    @admin.display(description="Authentication method")
    def confirmation(self, obj):
        current = obj.authentication_method_current
        return " ".join(filter(None, [current.get("type"), mask_phone(current.get("number"))]))

    @admin.display(description="Events")
    def events(self, obj):
        rows = Event.objects.filter(entity_type=MergeRequest._meta.label_lower, entity_id=str(obj.pk)).order_by(
            "created_at"
        )
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td></tr>",
                ((e.created_at, e.property, e.old_value, e.new_value, e.actor) for e in rows),
            ),
        )

    def has_resend_permission(self, request):
        return request.user.has_perm("persons.change_mergerequest")

    @admin.action(description="Resend the code (NEW requests confirmed by OTP)", permissions=["resend"])
    def resend_otp(self, request, queryset):
        for merge_request in queryset:
            try:
                merge_request_resend_otp(merge_request=merge_request, actor=actor_of(request))
            except ApiError as error:
                self.message_user(request, f"{merge_request.pk}: {error.message}", messages.ERROR)
                continue
            self.log_change(request, merge_request, "Resent the code")
            self.message_user(request, f"{merge_request.pk}: code sent", messages.SUCCESS)
