"""Back office for declarations: doctors (editable, with their limit and count), declarations, and
read-only declaration requests with their audit trail and printout."""

from django.contrib import admin
from django.utils.html import format_html

from core.admin import AuditHistoryMixin, ReadOnlyAdminMixin, apply_service
from core.audit import actor_of
from core.masking import mask_phone
from declarations.models import Declaration, DeclarationRequest, Employee
from declarations.selectors import declaration_limit, employees_with_declaration_counts
from declarations.services import EMPLOYEE_EDITABLE, declaration_request_resend_otp, employee_create, employee_update


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
            actor=actor_of(request),
        )
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(Declaration)
class DeclarationAdmin(AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("declaration_number", "status", "person", "employee", "start_date", "end_date")
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("person", "employee")
    search_fields = ("=id", "=declaration_number", "=person__tax_id")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "id",
        "declaration_number",
        "status",
        "person",
        "employee",
        "legal_entity_id",
        "declaration_request",
        "start_date",
        "end_date",
        "created_at",
        "updated_at",
        "updated_by",
        "history",
    )
    readonly_fields = fields


@admin.register(DeclarationRequest)
class DeclarationRequestAdmin(AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "declaration_number", "status", "person", "employee", "confirmation", "created_at")
    list_filter = ("status", ("employee", admin.RelatedOnlyFieldListFilter), ("created_at", admin.DateFieldListFilter))
    list_select_related = ("person", "employee")
    search_fields = ("=id", "=declaration_number", "=person__tax_id")
    search_help_text = "A request id, a declaration number or the person's tax id"
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend_otp"]
    fieldsets = (
        (None, {"fields": ("id", "status", "status_reason", "person", "employee", "legal_entity_id", "client")}),
        (
            "Confirmation",
            {"fields": ("confirmation", "authorize_with", "documents", "parent_declaration", "expires_at")},
        ),
        (
            "Declaration",
            {
                "fields": (
                    "declaration_id",
                    "declaration_number",
                    "overlimit",
                    "is_shareable",
                    "seed",
                    "data_to_be_signed",
                    "printout",
                )
            },
        ),
        ("Audit", {"fields": ("channel", "created_at", "created_by", "updated_at", "updated_by", "history")}),
    )
    readonly_fields = (
        "id",
        "status",
        "status_reason",
        "person",
        "employee",
        "legal_entity_id",
        "client",
        "confirmation",
        "authorize_with",
        "documents",
        "parent_declaration",
        "expires_at",
        "declaration_id",
        "declaration_number",
        "overlimit",
        "is_shareable",
        "seed",
        "data_to_be_signed",
        "printout",
        "channel",
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

    @admin.display(description="printout")
    def printout(self, obj):
        # the whole page, as the patient gets it, in a sandboxed frame of its own
        if not obj.printout_content:
            return "-"
        return format_html(
            '<iframe sandbox srcdoc="{}" title="printout" style="width: 100%; min-width: 40em; height: 40em; '
            'border: 1px solid #ccc; background: #fff"></iframe>',
            obj.printout_content,
        )

    def has_resend_permission(self, request):
        return request.user.has_perm("declarations.change_declarationrequest")

    @admin.action(description="Resend the code (NEW requests confirmed by OTP)", permissions=["resend"])
    def resend_otp(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            call=lambda declaration_request, actor: declaration_request_resend_otp(
                request_id=declaration_request.pk, client=None, actor=actor
            ),
            done="Resent the code",
        )
