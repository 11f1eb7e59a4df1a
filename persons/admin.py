"""Back office for persons: search, a case file with methods and the whole audit trail, manual
verification; authentication-method requests (built from the one request admin)."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    BOTH_PLACES,
    AuditHistoryMixin,
    CaseSearchMixin,
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    RequestAdminMixin,
    apply_service,
    audit_events_html,
    list_html,
    request_admins,
    scans_html,
    value_in_words,
)
from core.observability.masking import mask_phone
from persons import rules
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


RULE_IN_WORDS = {
    "02": _("old enough to act alone, and has no tax id"),
    "03": _("the tax id does not match its checksum, the birth date or the gender"),
    "04": _("a child with a foreign birth certificate"),
    "05": _("old enough to act alone, with a permanent residence permit"),
}


def _date_in(word: str):
    """A birth date as staff type it: 1990-01-31 or 31.01.1990."""
    for parse in (datetime.date.fromisoformat, lambda text: datetime.datetime.strptime(text, "%d.%m.%Y").date()):
        try:
            return parse(word)
        except ValueError:
            continue
    return None


def _name_equals(field: str, word: str) -> Q:
    """The name in any case. PostgreSQL compares UPPER of both on the name index (person_name_birth);
    SQLite's UPPER knows only ASCII letters, so there the spellings staff would store are compared."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__in": {word, word.upper(), word.lower(), word.capitalize(), word.title()}})
    return Q(**{f"{field}__iexact": word})


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
class PersonAdmin(LargeTableAdminMixin, CaseSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "birth_date",
        "status",
        "verification_status",
        "verification_reason",
        "created_at",
    )
    list_filter = ("status", "verification_status", "verification_reason")
    sortable_by = ()  # by name (person_name_order); the verification queue oldest first (get_ordering)
    tax_id_search_lookups = ("tax_id",)
    phone_search_lookup = "authentication_methods__phone_number"
    search_help_text = _(
        "A person id (whole or its first 8 characters), a tax id, a phone in any spelling or its last 4-8 "
        "digits, or a name: last name [first name] [birth date], in any case"
    )
    inlines = [AuthenticationMethodInline]
    actions = ["mark_verified", "mark_not_verified"]
    fieldsets = (
        (None, {"fields": ("id", "last_name", "first_name", "second_name", "birth_date", "gender", "status")}),
        (_("Identity"), {"fields": ("tax_id", "no_tax_id", "documents_list", "phones_list", "scans", "master")}),
        (
            _("Verification"),
            {"fields": ("verification_status", "verification_reason", "rules_fired", "verification_comment")},
        ),
        (_("History"), {"fields": ("created_at", "updated_at", "updated_by_name", "history")}),
    )

    def get_ordering(self, request):
        # who waits for a decision is worked through oldest first
        waiting = Person.VerificationStatus.VERIFICATION_NEEDED
        if request.GET.get("verification_status__exact") == waiting and "o" not in request.GET:
            return ("created_at", "pk")
        return super().get_ordering(request)

    def text_search(self, request, queryset, term):
        """A name: `last name [first name] [birth date]`, in any case, on the name index."""
        words = term.split()
        birth_date = _date_in(words[-1]) if len(words) > 1 else None
        if birth_date is not None:
            words = words[:-1]
        if not words or len(words) > 2:
            return queryset.none(), False
        condition = _name_equals("last_name", words[0])
        if len(words) == 2:
            condition &= _name_equals("first_name", words[1])
        if birth_date is not None:
            condition &= Q(birth_date=birth_date)
        return queryset.filter(condition), False

    @admin.display(description=_("scans of the documents"))
    def scans(self, obj):
        """The scans uploaded for the requests about the person (OFFLINE), each linked to the request."""
        rows = []
        for model_admin in request_admins(self.admin_site):
            about = Q()
            for field in model_admin.person_fields:
                about |= Q(**{field: obj})
            for item in model_admin.model.objects.filter(about).exclude(documents=[]).order_by("-created_at")[:10]:
                opts = item._meta
                url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[item.pk])
                rows.append(
                    format_html(
                        '<a href="{}">{} {}</a>: {}',
                        url,
                        opts.verbose_name,
                        str(item.pk)[:8],
                        scans_html(item, self.admin_site),
                    )
                )
        if not rows:
            return "-"
        return format_html("<ul class='plain'>{}</ul>", format_html_join("", "<li>{}</li>", ((row,) for row in rows)))

    @admin.display(description=_("merged into"))
    def master(self, obj):
        if obj.merged_into_id is None:
            return "-"
        url = reverse(f"{self.admin_site.name}:persons_person_change", args=[obj.merged_into_id])
        return format_html('<a href="{}">{}</a>', url, obj.merged_into)

    @admin.display(description=_("rules that fired"))
    def rules_fired(self, obj):
        """Which of rules 02-05 hold for the person now (why RULES_TRIGGERED)."""
        held = rules.rules_02_05_hold(
            birth_date=obj.birth_date,
            gender=obj.gender,
            tax_id=obj.tax_id,
            no_tax_id=obj.no_tax_id,
            document_types=obj.document_types,
            today=rules.today_utc(),
            no_self_auth_age=settings.NO_SELF_AUTH_AGE,
        )
        if not held:
            return gettext("none")
        return format_html(
            "<ul class='plain'>{}</ul>",
            format_html_join("", "<li>{} — {}</li>", ((name, RULE_IN_WORDS[name]) for name in held)),
        )

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
                done=gettext("Marked %(status)s") % {"status": status} + (f": {comment}" if comment else ""),
            )
            return None  # back to the list the verifier came from: its filters (the queue) are kept
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
            "form_url": self._back_to_list(request),
        }
        return TemplateResponse(request, "admin/persons/person/verify.html", context)

    def _back_to_list(self, request) -> str:
        """Where the comment page posts, and so where the verifier lands: the list they came from, with
        its filters (the queue); from a case file, the list its link preserved (`_changelist_filters`)."""
        if not request.POST.get("CHANGE_FORM-action"):
            return request.get_full_path()
        url = reverse(f"{self.admin_site.name}:persons_person_changelist")
        filters = request.GET.get("_changelist_filters")
        return f"{url}?{filters}" if filters else url

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
from persons.merges import admin as merge_admin  # noqa: E402, F401
