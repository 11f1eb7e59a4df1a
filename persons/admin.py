"""Back office for persons: search, read-only methods and events, manual verification, request resends."""

import uuid

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from core.admin import AuditHistoryMixin, PhoneSearchMixin, ReadOnlyAdminMixin, apply_service, audit_events_html
from core.masking import mask_phone
from persons.models import AuthenticationMethod, AuthenticationMethodRequest, Person
from persons.services import authentication_method_request_resend_otp, person_verify


def _masked(data: dict) -> dict:
    shown = dict(data or {})
    for key in ("phone_number", "number"):
        if shown.get(key):
            shown[key] = mask_phone(shown[key])
    return shown


class AuthenticationMethodInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AuthenticationMethod
    fk_name = "person"
    fields = ("type", "phone", "third_person", "alias", "started_at", "ended_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description="phone number")
    def phone(self, obj):
        return mask_phone(obj.phone_number) or "-"


class NotVerifiedForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=True, strip=True)


@admin.register(Person)
class PersonAdmin(PhoneSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "last_name",
        "first_name",
        "birth_date",
        "status",
        "verification_status",
        "verification_reason",
    )
    list_filter = ("status", "verification_status", "verification_reason")
    search_fields = ("last_name",)
    phone_search_lookup = "authentication_methods__phone_number"
    search_help_text = "A person id, a tax id, a whole phone number (+380 and nine digits), or a last name"
    show_full_result_count = False
    inlines = [AuthenticationMethodInline]
    actions = ["mark_verified", "mark_not_verified"]
    fieldsets = (
        (None, {"fields": ("id", "last_name", "first_name", "second_name", "birth_date", "gender", "status")}),
        ("Identity", {"fields": ("tax_id", "no_tax_id", "documents", "phones_masked")}),
        ("Verification", {"fields": ("verification_status", "verification_reason", "verification_comment")}),
        ("History", {"fields": ("created_at", "updated_at", "updated_by", "history", "method_history")}),
    )
    readonly_fields = (
        "id",
        "last_name",
        "first_name",
        "second_name",
        "birth_date",
        "gender",
        "status",
        "tax_id",
        "no_tax_id",
        "documents",
        "phones_masked",
        "verification_status",
        "verification_reason",
        "verification_comment",
        "created_at",
        "updated_at",
        "updated_by",
        "history",
        "method_history",
    )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            pass
        if term.isdigit() and len(term) == 10:
            return queryset.filter(tax_id=term), False
        return super().get_search_results(request, queryset, term)

    @admin.display(description="phones")
    def phones_masked(self, obj):
        return ", ".join(f"{p.get('type')}: {mask_phone(p.get('number'))}" for p in obj.phones) or "-"

    @admin.display(description="audit events of the person")
    def history(self, obj):
        return audit_events_html(obj)

    @admin.display(description="audit events of the methods")
    def method_history(self, obj):
        return audit_events_html(*obj.authentication_methods.all())

    def has_verify_permission(self, request):
        return request.user.has_perm("persons.verify_person")

    def _verify(self, request, queryset, *, status: str, comment: str = "") -> None:
        apply_service(
            self,
            request,
            queryset,
            call=lambda person, actor: person_verify(person_id=person.pk, status=status, comment=comment, actor=actor),
            done=f"Marked {status}" + (f": {comment}" if comment else ""),
        )

    @admin.action(description="Mark VERIFIED", permissions=["verify"])
    def mark_verified(self, request, queryset):
        self._verify(request, queryset, status=Person.VerificationStatus.VERIFIED)

    @admin.action(description="Mark NOT_VERIFIED (asks for a comment)", permissions=["verify"])
    def mark_not_verified(self, request, queryset):
        form = NotVerifiedForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._verify(
                request, queryset, status=Person.VerificationStatus.NOT_VERIFIED, comment=form.cleaned_data["comment"]
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Mark NOT_VERIFIED",
            "opts": self.model._meta,
            "form": form,
            "persons": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action": "mark_not_verified",
        }
        return TemplateResponse(request, "admin/persons/person/mark_not_verified.html", context)


@admin.register(AuthenticationMethodRequest)
class AuthenticationMethodRequestAdmin(AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "person", "action", "requested_type", "confirmed_by", "status", "created_at", "expires_at")
    list_filter = ("status", "action", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("person",)
    search_fields = ("=id", "=person__id")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend_code"]
    fields = (
        "id",
        "person",
        "action",
        "requested",
        "current",
        "status",
        "channel",
        "client",
        "documents",
        "expires_at",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "history",
    )
    readonly_fields = fields

    @admin.display(description="method")
    def requested_type(self, obj):
        return obj.authentication_method.get("type", "-")

    @admin.display(description="confirmed by")
    def confirmed_by(self, obj):
        return obj.authentication_method_current.get("type", "-")

    @admin.display(description="authentication method")
    def requested(self, obj):
        return _masked(obj.authentication_method)

    @admin.display(description="authentication method current")
    def current(self, obj):
        return _masked(obj.authentication_method_current)

    def has_resend_permission(self, request):
        return request.user.has_perm("persons.change_authenticationmethodrequest")

    @admin.action(description="Resend code (NEW requests confirmed by OTP)", permissions=["resend"])
    def resend_code(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            call=lambda amr, actor: authentication_method_request_resend_otp(
                request_id=amr.pk, client=None, actor=actor
            ),
            done="Resent the code",
        )


# Merge requests keep their back office in their own module; importing it registers it.
from persons import merge_admin  # noqa: E402, F401
