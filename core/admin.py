import re
from collections.abc import Callable

from django.contrib import admin, messages
from django.utils.html import format_html_join

from core.audit import actor_of
from core.errors import ApiError
from core.models import Event, Job


class ReadOnlyAdminMixin:
    """Back-office views of records that only services may change."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


_WHOLE_PHONE = re.compile(r"^(?:\+?380)?([0-9]{9})$")


def whole_phone(term: str) -> str | None:
    """A search term that is a whole phone number (`+380501234567`, or its nine national digits) as
    stored, else None. Only whole numbers are searched: a clerk must not rebuild one digit by digit."""
    match = _WHOLE_PHONE.match(term.replace(" ", ""))
    return f"+380{match.group(1)}" if match else None


class PhoneSearchMixin:
    """The admin search also finds records by a whole phone number at `phone_search_lookup`."""

    phone_search_lookup = ""

    def get_search_results(self, request, queryset, search_term):
        phone = whole_phone(search_term.strip())
        if phone is not None:
            matching = queryset.model.objects.filter(**{self.phone_search_lookup: phone}).values("pk")
            return queryset.filter(pk__in=matching), False
        return super().get_search_results(request, queryset, search_term)


def audit_events_html(*objects):
    """The audit events of the objects (of one model), oldest first, as read-only lines."""
    if not objects:
        return "-"
    events = Event.objects.filter(
        entity_type=objects[0]._meta.label_lower, entity_id__in=[str(o.pk) for o in objects]
    ).order_by("created_at")
    rows = ((e.created_at, e.property, e.old_value, e.new_value, e.actor) for e in events)
    return format_html_join("\n", "<div>{} · {}: {} → {} · {}</div>", rows) or "-"


class AuditHistoryMixin:
    """A read-only `history` field: the record's audit events."""

    @admin.display(description="audit events")
    def history(self, obj):
        return audit_events_html(obj)


def apply_service(modeladmin, request, queryset, *, call: Callable, done: str) -> int:
    """Run an admin action through a service, object by object: a refusal is shown, not raised, and
    each success goes to Django's admin log (the service itself writes the audit event)."""
    succeeded = 0
    for obj in queryset:
        try:
            call(obj, actor_of(request))
        except ApiError as error:
            modeladmin.message_user(request, f"{obj}: {error.describe()}", messages.ERROR)
            continue
        modeladmin.log_change(request, obj, done)
        succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}", messages.SUCCESS)
    return succeeded


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "entity_type", "entity_id", "property", "old_value", "new_value", "actor")
    list_filter = ("entity_type", "property")
    search_fields = ("=entity_id", "actor")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Job)
class JobAdmin(AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "status", "status_code", "client", "eta", "created_at")
    list_filter = ("status", "kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=id",)
    date_hierarchy = "created_at"
    list_select_related = ("client",)
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("id", "kind", "status", "client", "eta")}),
        ("Result", {"fields": ("status_code", "response_data", "error")}),
        ("History", {"fields": ("created_at", "updated_at", "history")}),
    )
    readonly_fields = (
        "id",
        "kind",
        "status",
        "client",
        "eta",
        "status_code",
        "response_data",
        "error",
        "created_at",
        "updated_at",
        "history",
    )
