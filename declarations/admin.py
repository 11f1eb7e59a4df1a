"""Back office for declarations: doctors (editable, with their limit and count), declarations, and
read-only declaration requests with their audit trail and printout."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    BOTH_PLACES,
    AuditHistoryMixin,
    CaseSearchMixin,
    DateRangeFilter,
    LargeTableAdminMixin,
    LegalEntityFilter,
    ReadOnlyAdminMixin,
    RequestAdminMixin,
    apply_service,
)
from core.audit.events import actor_of
from core.observability.masking import mask_phones_in
from declarations.models import Declaration, DeclarationRequest, Employee
from declarations.selectors import declaration_limit, employees_with_declaration_counts
from declarations.services import (
    EMPLOYEE_EDITABLE,
    declaration_request_resend_otp,
    declaration_terminate,
    employee_create,
    employee_update,
)


@admin.register(Employee)
class EmployeeAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("__str__", "speciality", "status", "declaration_limit", "limit", "declaration_count", "client")
    list_filter = ("status", "speciality")
    list_select_related = ("client",)
    search_fields = ("=id", "last_name")
    show_full_result_count = False
    fields = (
        "id",
        "client",
        "legal_entity_id",
        "user",
        "last_name",
        "first_name",
        "second_name",
        "speciality",
        "tax_id",
        "status",
        "declaration_limit",
        "limit",
        "declaration_count",
        "created_at",
        "updated_at",
        "history",
    )
    readonly_fields = ("id", "legal_entity_id", "limit", "declaration_count", "created_at", "updated_at", "history")
    raw_id_fields = ("user",)

    def get_queryset(self, request):
        return employees_with_declaration_counts(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        # the legal entity is fixed once the doctor exists
        return self.readonly_fields + (("client",) if obj else ())

    def has_delete_permission(self, request, obj=None):
        return False  # dismiss instead: declarations point to the doctor

    @admin.display(description="limit in effect")
    def limit(self, obj):
        return declaration_limit(obj) if obj.pk else "-"

    @admin.display(description="active declarations + approved requests")
    def declaration_count(self, obj):
        return getattr(obj, "declaration_count", "-")

    def save_model(self, request, obj, form, change):
        """Through the services, so each change is audited like any other."""
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EMPLOYEE_EDITABLE}
            employee_update(employee_id=obj.pk, changes=changes, actor=actor_of(request))
            return
        created = employee_create(
            client=obj.client,
            speciality=obj.speciality,
            first_name=obj.first_name,
            last_name=obj.last_name,
            second_name=obj.second_name,
            declaration_limit=obj.declaration_limit,
            user=obj.user,
            tax_id=obj.tax_id,
            actor=actor_of(request),
        )
        obj.pk = created.pk


BACK_OFFICE_TERMINATION = "Terminated in the back office"


@admin.register(Declaration)
class DeclarationAdmin(LargeTableAdminMixin, CaseSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("declaration_number", "status", "reason", "person", "employee", "start_date", "end_date")
    list_filter = ("status", ("created_at", DateRangeFilter), LegalEntityFilter)
    list_select_related = ("person", "employee")
    search_fields = ("=declaration_number",)
    tax_id_search_lookups = ("person__tax_id",)
    phone_search_lookup = "person__authentication_methods__phone_number"
    search_help_text = _("An id, a declaration number, a tax id or a whole phone number")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "declaration_number",
                    "status",
                    "reason",
                    "reason_description",
                    "person",
                    "employee",
                    "legal_entity_id",
                    "declaration_request",
                    "start_date",
                    "end_date",
                    "signed_at",
                )
            },
        ),
        (_("History"), {"fields": ("created_at", "created_by_name", "updated_at", "updated_by_name", "history")}),
    )
    actions = ["terminate"]

    def has_terminate_permission(self, request):
        return request.user.has_perm("declarations.change_declaration")

    @admin.action(
        description=_("Terminate (active or pending declarations)"), permissions=["terminate"], location=BOTH_PLACES
    )
    def terminate(self, request, queryset):
        """Through the API's service: `manual_employee`, ends today, audited."""
        apply_service(
            self,
            request,
            queryset,
            call=lambda obj, actor: declaration_terminate(
                declaration_id=obj.pk, client=None, reason_description=BACK_OFFICE_TERMINATION, actor=actor
            ),
            done=gettext("Terminated"),
        )


@admin.register(DeclarationRequest)
class DeclarationRequestAdmin(RequestAdminMixin, admin.ModelAdmin):
    list_display = (
        "short_id",
        "status",
        "person",
        "employee",
        "confirmation",
        "legal_entity",
        "created_at",
        "expires_at",
    )
    list_filter = (
        *RequestAdminMixin.list_filter,
        ("employee", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("=declaration_number",)
    search_help_text = _("An id, a declaration number, a tax id or a whole phone number (+380 and nine digits)")
    case_fieldsets = (
        (None, {"fields": ("id", "status", "status_reason", "person", "employee")}),
        (
            _("Confirmation"),
            {"fields": ("confirmation", "authorize_with", "documents_list", "parent_declaration", "expires_at")},
        ),
        (
            _("Declaration"),
            {
                "fields": (
                    "declaration_id",
                    "declaration_number",
                    "overlimit",
                    "is_shareable",
                    "seed",
                    "signed_data",
                    "printout",
                    "channel",
                )
            },
        ),
    )

    def get_list_select_related(self, request):
        return (*super().get_list_select_related(request), "employee")

    def resend(self, obj, actor):
        declaration_request_resend_otp(request_id=obj.pk, client=None, actor=actor)

    @admin.display(description=_("data to be signed"))
    def signed_data(self, obj):
        text = json.dumps(obj.data_to_be_signed, ensure_ascii=False, indent=2)
        return format_html('<pre class="signed-data">{}</pre>', mask_phones_in(text))

    @admin.display(description=_("printout"))
    def printout(self, obj):
        # the whole page, as the patient gets it, in a sandboxed frame of its own
        if not obj.printout_content:
            return "-"
        return format_html(
            '<iframe sandbox srcdoc="{}" title="printout" style="width: 100%; min-width: 40em; height: 40em; '
            'border: 1px solid #ccc; background: #fff"></iframe>',
            obj.printout_content,
        )
