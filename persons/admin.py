"""Back office for persons: search, a case file with methods and the whole audit trail, manual
verification; authentication-method requests (built from the one request admin)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin import (
    BOTH_PLACES,
    CaseSearchMixin,
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    RequestAdminMixin,
    apply_service,
    audit_events_html,
    list_html,
    request_admins,
    value_in_words,
)
from core.masking import mask_phone
from persons.models import AuthenticationMethod, AuthenticationMethodRequest, Person
from persons.services import authentication_method_request_resend_otp, person_verify


class AuthenticationMethodInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AuthenticationMethod
    fk_name = "person"
    fields = ("type", "phone", "third_person", "alias", "started_at", "ended_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description=_("phone number"))
    def phone(self, obj):
        return mask_phone(obj.phone_number) or "-"


class VerificationCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False, strip=True
    )

    def __init__(self, *args, comment_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = comment_required


def _document_in_words(document: dict) -> str:
    return f"{document.get('type', '?')} {document.get('number', '')}".strip()


def _phone_in_words(phone: dict) -> str:
    return f"{phone.get('type', '?')}: {mask_phone(phone.get('number')) or '-'}"


def _verify_action(status: str, *, comment_required: bool, title, description):
    """An action setting `status` by hand, through the page that asks for the comment."""

    @admin.action(description=description, permissions=["verify"], location=BOTH_PLACES)
    def action(self, request, queryset):
        return self._verify(request, queryset, status=status, comment_required=comment_required, title=str(title))

    return action


@admin.register(Person)
class PersonAdmin(LargeTableAdminMixin, CaseSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "birth_date",
        "status",
        "verification_status",
        "verification_reason",
        "created_at",
    )
    list_filter = ("status", "verification_status", "verification_reason")
    search_fields = ("last_name",)
    tax_id_search_lookups = ("tax_id",)
    phone_search_lookup = "authentication_methods__phone_number"
    search_help_text = _("A person id, a tax id, a whole phone number (+380 and nine digits), or a last name")
    inlines = [AuthenticationMethodInline]
    actions = ["mark_verified", "mark_not_verified"]
    fieldsets = (
        (None, {"fields": ("id", "last_name", "first_name", "second_name", "birth_date", "gender", "status")}),
        (_("Identity"), {"fields": ("tax_id", "no_tax_id", "documents_list", "phones_list")}),
        (_("Verification"), {"fields": ("verification_status", "verification_reason", "verification_comment")}),
        (_("History"), {"fields": ("created_at", "updated_at", "updated_by", "history")}),
    )

    def get_ordering(self, request):
        # who waits for a decision is worked through oldest first
        waiting = Person.VerificationStatus.VERIFICATION_NEEDED
        if request.GET.get("verification_status__exact") == waiting and "o" not in request.GET:
            return ("created_at", "pk")
        return super().get_ordering(request)

    @admin.display(description=_("documents"))
    def documents_list(self, obj):
        return list_html(obj.documents, _document_in_words)

    @admin.display(description=_("phones"))
    def phones_list(self, obj):
        return list_html(obj.phones, _phone_in_words)

    @admin.display(description=_("audit trail: the person, their methods and requests"))
    def history(self, obj):
        related = [obj.authentication_methods.all()]
        for model_admin in request_admins(self.admin_site):
            about = Q()
            for field in model_admin.person_fields:
                about |= Q(**{field: obj})
            related.append(model_admin.model.objects.filter(about).only("pk"))
        return audit_events_html(obj, related=related)

    def has_verify_permission(self, request):
        return request.user.has_perm("persons.verify_person")

    def _verify(self, request, queryset, *, status: str, comment_required: bool, title: str):
        """An intermediate page asks for the comment (required for NOT_VERIFIED); then the service."""
        data = request.POST if "apply" in request.POST else None
        form = VerificationCommentForm(data, comment_required=comment_required)
        if form.is_bound and form.is_valid():
            comment = form.cleaned_data["comment"]
            apply_service(
                self,
                request,
                queryset,
                call=lambda person, actor: person_verify(
                    person_id=person.pk, status=status, comment=comment, actor=actor
                ),
                done=f"Marked {status}" + (f": {comment}" if comment else ""),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "status": status,
            "comment_required": comment_required,
            "opts": self.model._meta,
            "form": form,
            "persons": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action": request.POST.get("action") or request.POST.get("CHANGE_FORM-action"),
        }
        return TemplateResponse(request, "admin/persons/person/verify.html", context)

    mark_verified = _verify_action(
        Person.VerificationStatus.VERIFIED,
        comment_required=False,
        title=_("Verify person"),
        description=_("Verify person (VERIFIED, with an optional comment)"),
    )
    mark_not_verified = _verify_action(
        Person.VerificationStatus.NOT_VERIFIED,
        comment_required=True,
        title=_("Mark not verified"),
        description=_("Mark not verified (NOT_VERIFIED, a comment is required)"),
    )


@admin.register(AuthenticationMethodRequest)
class AuthenticationMethodRequestAdmin(RequestAdminMixin, admin.ModelAdmin):
    list_display = (
        "short_id",
        "person",
        "action",
        "requested_type",
        "confirmation",
        "status",
        "legal_entity",
        "created_at",
        "expires_at",
    )
    case_fieldsets = (
        (None, {"fields": ("id", "status", "person", "action", "requested")}),
        (_("Confirmation"), {"fields": ("confirmation", "documents_list", "expires_at")}),
    )

    def resend(self, obj, actor):
        authentication_method_request_resend_otp(request_id=obj.pk, client=None, actor=actor)

    @admin.display(description=_("method"))
    def requested_type(self, obj):
        return obj.authentication_method.get("type", "-")

    @admin.display(description=_("requested method"))
    def requested(self, obj):
        return value_in_words(obj.authentication_method)


# Merge requests keep their back office in their own module; importing it registers it.
from persons import merge_admin  # noqa: E402, F401
