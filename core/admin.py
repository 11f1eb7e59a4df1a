"""The back office's building blocks: read-only large lists, one search (id, tax id, a whole phone),
filters, the audit trail as a timeline, service-backed actions, and `RequestAdminMixin`, the one admin
every request kind (authentication-method, merge, declaration requests, approvals) is built from."""

import datetime
import re
import uuid
from collections import Counter
from collections.abc import Callable
from functools import cached_property

from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.functions import Reverse
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from oauth2_provider import admin as oauth_admin  # noqa: F401  (registers the API clients' admin first)

from core.api.errors import ApiError
from core.audit.actor_ids import is_uuid
from core.audit.events import SYSTEM, actor_of
from core.backoffice.labels import translate_model_labels
from core.documents.uploads import storage_name
from core.models import Client, Event, Job, UserIdentity
from core.observability.masking import mask_phone, mask_phones_in

admin.site.site_header = _("eHealth back office")
admin.site.site_title = _("eHealth back office")
admin.site.index_title = _("What needs attention")
# the list is the work: at 1366 px it gets the whole width (the apps are one click away, on the start page)
admin.site.enable_nav_sidebar = False
# there is no public site to view: the back office is the only web page
admin.site.site_url = None
translate_model_labels()

if admin.site.is_registered(Client):  # the OAuth toolkit's admin of API clients: they have no page to view
    admin.site.get_model_admin(Client).view_on_site = False

# the work first: patients and their requests, then declarations, approvals, codes; accounts and API
# clients (the OAuth toolkit's app, named in words) and the task queue last
APP_ORDER = ["persons", "declarations", "approvals", "verifications", "core", "auth", "oauth2_provider", "axes"]
APP_NAMES = {
    "oauth2_provider": _("API clients and tokens"),
    "django_tasks_db": _("Task queue"),
    "axes": _("Admin login attempts"),
}


def ordered_app_list(request, app_label=None):
    """The admin's app list, the work first (APP_ORDER), each app in words (APP_NAMES)."""
    app_list = admin.AdminSite.get_app_list(admin.site, request, app_label)
    for app in app_list:
        if app["app_label"] in APP_NAMES:
            app["name"] = APP_NAMES[app["app_label"]]
    rank = {label: index for index, label in enumerate(APP_ORDER)}
    return sorted(app_list, key=lambda app: rank.get(app["app_label"], len(rank)))


admin.site.get_app_list = ordered_app_list


class ReadOnlyAdminMixin:
    """Back-office views of records that only services may change."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # every field of the declared fieldsets: nothing is ever edited here
        if self.fieldsets:
            return [name for _title, options in self.fieldsets for name in options["fields"]]
        return super().get_readonly_fields(request, obj)


# --- large tables -------------------------------------------------------------------------------


class CappedCountPaginator(Paginator):
    """Counts at most `cap` rows (`SELECT COUNT(*) FROM (... LIMIT cap + 1)`), never the whole table:
    a list of millions opens at once, and beyond the cap staff narrow it with a filter or a search."""

    cap = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.cap + 1].count()


BOTH_PLACES = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]  # an action on the list and the case file


class LargeTableAdminMixin:
    """A read-only list that stays fast on millions of rows: no full count, no facet counts, no bulk
    delete. An action the user may not run is refused with 403, not silently ignored."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def _refuse_forbidden_action(self, request, location: ActionLocation) -> None:
        if request.method != "POST":
            return
        prefix = "" if location == ActionLocation.CHANGE_LIST else f"{location.value}-"
        name = request.POST.get(f"{prefix}action")
        if name and name in (self.actions or ()) and name not in self.get_actions(request, action_location=location):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        self._refuse_forbidden_action(request, ActionLocation.CHANGE_LIST)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        self._refuse_forbidden_action(request, ActionLocation.CHANGE_FORM)
        return super().changeform_view(request, object_id, form_url, extra_context)


# --- search -------------------------------------------------------------------------------------

_PHONE_PUNCTUATION = re.compile(r"[\s()\-.]")
_WHOLE_PHONE = re.compile(r"^(?:\+?380|0)?([0-9]{9})$")
_LAST_DIGITS = re.compile(r"^[0-9]{4,8}$")
_TAX_ID = re.compile(r"^[0-9]{10}$")
_SHORT_ID = re.compile(r"^[0-9a-fA-F]{8}$")
STORED_PHONE_LENGTH = 13  # every phone is stored as +380 and nine digits
MANY_MEANINGS_LIMIT = 1000  # rows per meaning of a term that has two


def whole_phone(term: str) -> str | None:
    """A search term that is a whole Ukrainian mobile number in any spelling (`+380503410870`,
    `380503410870`, `0503410870`, `050 341 08 70`, `(050) 341-08-70`, `503410870`) as stored, else None."""
    match = _WHOLE_PHONE.match(_PHONE_PUNCTUATION.sub("", term))
    return f"+380{match.group(1)}" if match else None


def last_digits(term: str) -> str | None:
    """A search term that is the last 4 to 8 digits of a phone (`0870`, `08 70`, `341-08-70`), else None."""
    digits = _PHONE_PUNCTUATION.sub("", term)
    return digits if _LAST_DIGITS.match(digits) else None


def phone_ending_in(digits: str) -> dict:
    """The filter of an annotation `phone_reversed` (Reverse of the stored phone) for phones ending in
    `digits`: a range on the reversed number, which an index on reverse(phone_number) answers (a
    `phone_number__endswith` would read every row). Stored phones are all +380 and nine digits, so every
    reversed phone ending in `digits` lies between `digits` reversed and that followed by nines."""
    start = digits[::-1]
    return {
        "phone_reversed__gte": start,
        "phone_reversed__lte": start + "9" * (STORED_PHONE_LENGTH - 1 - len(start)) + "+",
    }


def short_id_range(prefix: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The ids whose text starts with these 8 hex digits, as a range an index on the id answers."""
    prefix = prefix.lower()
    return uuid.UUID(prefix + "0" * 24), uuid.UUID(prefix + "f" * 24)


def _any_of(lookups, value) -> Q:
    condition = Q()
    for lookup in lookups:
        condition |= Q(**{lookup: value})
    return condition


def _phone_condition(model, lookup: str, digits: str) -> Q:
    """Rows of `model` whose phone at `lookup` (a path to a phone field) ends in `digits` (a whole
    number's nine national digits, or its last digits): the phones' table searched first, by its index
    on the reversed number, then joined by primary keys."""
    *path, field_name = lookup.split("__")
    phone_model = model
    for name in path:
        phone_model = phone_model._meta.get_field(name).related_model
    phones = (
        phone_model.objects.annotate(phone_reversed=Reverse(field_name)).filter(**phone_ending_in(digits)).values("pk")
    )
    if not path:
        return Q(pk__in=phones)
    return Q(pk__in=model.objects.filter(**{"__".join(path) + "__in": phones}).values("pk"))


class PhoneSearchMixin:
    """The admin search also finds records by a phone in any spelling, whole or its last 4-8 digits, at
    `phone_search_lookup` (one lookup, or a tuple of them)."""

    phone_search_lookup: str | tuple = ""

    def phone_search_lookups(self) -> tuple:
        lookups = self.phone_search_lookup
        return (lookups,) if isinstance(lookups, str) and lookups else tuple(lookups or ())

    def phone_search_condition(self, term: str) -> Q | None:
        lookups = self.phone_search_lookups()
        phone = whole_phone(term)
        digits = phone[-9:] if phone else last_digits(term)
        if not lookups or not digits:
            return None
        condition = Q()
        for lookup in lookups:
            condition |= _phone_condition(self.model, lookup, digits)
        return condition


class CaseSearchMixin(PhoneSearchMixin):
    """One search box for a case, every meaning of the term on an index: an id, whole or its first 8
    characters (`id_search_lookups`), a tax id (ten digits, `tax_id_search_lookups`), a phone in any
    spelling or its last 4-8 digits (`phone_search_lookup`), else `text_search` or `search_fields`."""

    id_search_lookups: tuple = ("pk",)
    tax_id_search_lookups: tuple = ()
    # the box shows when search_fields is not empty; the terms are read here
    search_fields = ("pk",)

    def text_search(self, request, queryset, term):
        """A term that is none of the above: `search_fields` other than the id (`=field`: equal, on the
        field's index; `^field`: starts with; else contains), else nothing."""
        condition = Q()
        for field in self.get_search_fields(request):
            if field in ("pk", "=pk", "id", "=id"):
                continue
            if field.startswith("="):
                condition |= Q(**{field[1:]: term})
            elif field.startswith("^"):
                condition |= Q(**{f"{field[1:]}__istartswith": term})
            else:
                condition |= Q(**{f"{field}__icontains": term})
        if not condition:
            return queryset.none(), False
        return queryset.filter(condition), False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(_any_of(self.id_search_lookups, uuid.UUID(term))), False
        except ValueError:
            pass
        conditions = []
        if _SHORT_ID.match(term):
            low, high = short_id_range(term)
            by_id = Q()
            for lookup in self.id_search_lookups:
                by_id |= Q(**{f"{lookup}__gte": low, f"{lookup}__lte": high})
            conditions.append(by_id)
        if self.tax_id_search_lookups and _TAX_ID.match(term):
            matching = queryset.model.objects.filter(_any_of(self.tax_id_search_lookups, term)).values("pk")
            conditions.append(Q(pk__in=matching))
        phone = self.phone_search_condition(term)
        if phone is not None:
            conditions.append(phone)
        if len(conditions) == 1:
            return queryset.filter(conditions[0]), False
        if conditions:
            # a term of two meanings (0XXXXXXXXX: a tax id or a phone; 8 digits: an id or a phone's end):
            # each meaning on its own index, then the rows of either (an OR of the subqueries would be
            # planned as a scan of the whole table)
            found = set()
            for condition in conditions:
                found.update(
                    queryset.model.objects.filter(condition).values_list("pk", flat=True)[:MANY_MEANINGS_LIMIT]
                )
            return queryset.filter(pk__in=found), False
        return self.text_search(request, queryset, term)


# --- filters ------------------------------------------------------------------------------------


class LegalEntityFilter(admin.SimpleListFilter):
    """The legal entity a record belongs to, by the name its clients carry."""

    title = _("legal entity")
    parameter_name = "legal_entity"
    lookup = "legal_entity_id"

    def lookups(self, request, model_admin):
        names: dict[str, str] = {}
        for entity, name in Client.objects.order_by("legal_entity_name").values_list(
            "legal_entity_id", "legal_entity_name"
        ):
            names.setdefault(str(entity), name or str(entity))
        return sorted(names.items(), key=lambda item: item[1])

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            return queryset.filter(**{self.lookup: uuid.UUID(self.value())})
        except ValueError:
            return queryset.none()


class ClientLegalEntityFilter(LegalEntityFilter):
    lookup = "client__legal_entity_id"


class DateRangeFilter(admin.DateFieldListFilter):
    """Today / past 7 days / this month / this year, or any range of days (from, to: both included)."""

    template = "admin/core/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_kwarg_from = f"{field_path}__from"
        self.lookup_kwarg_to = f"{field_path}__to"
        self.range = {
            key: _parse_day(params.pop(key, [""])[-1]) for key in (self.lookup_kwarg_from, self.lookup_kwarg_to)
        }
        super().__init__(field, request, params, model, model_admin, field_path)
        skip = {*self.expected_parameters(), self.lookup_kwarg_from, self.lookup_kwarg_to, "p"}
        self.other_params = [(key, value) for key, values in request.GET.lists() if key not in skip for value in values]

    def expected_parameters(self):
        return [*super().expected_parameters(), self.lookup_kwarg_from, self.lookup_kwarg_to]

    def queryset(self, request, queryset):
        queryset = super().queryset(request, queryset)
        start, end = self.range[self.lookup_kwarg_from], self.range[self.lookup_kwarg_to]
        if start:
            queryset = queryset.filter(**{f"{self.field_path}__gte": _midnight(start)})
        if end:
            queryset = queryset.filter(**{f"{self.field_path}__lt": _midnight(end + datetime.timedelta(days=1))})
        return queryset

    @property
    def day_from(self):
        return self.range[self.lookup_kwarg_from] or ""

    @property
    def day_to(self):
        return self.range[self.lookup_kwarg_to] or ""


def _parse_day(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


# --- the audit trail as a timeline --------------------------------------------------------------

PROPERTY_LABELS = {
    "status": _("status"),
    "verification_status": _("verification status"),
    "verification_reason": _("verification reason"),
    "verification_comment": _("verification comment"),
    "otp_sent": _("code sent to"),
    "created": _("created"),
    "ended_at": _("ended"),
    "alias": _("alias"),
    "authentication_method_current": _("confirmed by"),
    "scopes": _("scopes"),
    "token_issued": _("token issued"),
}
KEY_LABELS = {
    "type": _("type"),
    "phone_number": _("phone"),
    "number": _("phone"),
    "alias": _("alias"),
    "value": _("person"),
    "id": _("id"),
    "method_id": _("method"),
}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def value_in_words(value) -> str:
    """An event's value as a person reads it: phones masked, dicts as `key: value`, lists comma-joined."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if item in (None, "") or key in ("id", "method_id"):
                continue  # ids say nothing to a reader; the entity is linked instead
            parts.append(f"{KEY_LABELS.get(key, key.replace('_', ' '))}: {value_in_words(item)}")
        return ", ".join(parts) or "—"
    if isinstance(value, list):
        return "; ".join(value_in_words(item) for item in value) or "—"
    text = str(value)
    if _ISO_TIME.match(text):
        try:
            return timezone.localtime(datetime.datetime.fromisoformat(text)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            pass
    return mask_phones_in(text)


def actor_names(actors) -> dict[str, str]:
    """Who each actor id is: a staff user's name, a client's name and legal entity, or the service."""
    names = {actor: actor for actor in actors}
    ids = [actor for actor in actors if is_uuid(actor)]
    for identity in UserIdentity.objects.filter(uuid__in=ids).select_related("user"):
        names[str(identity.uuid)] = identity.user.get_full_name() or identity.user.get_username()
    for uid, name, entity in Client.objects.filter(uuid__in=ids).values_list("uuid", "name", "legal_entity_name"):
        names[str(uid)] = " · ".join(filter(None, [name, entity]))
    if SYSTEM in names:
        names[SYSTEM] = gettext("system")
    return names


def actor_name(actor_id: str) -> str:
    """Who one actor id is (`actor_names`), "-" for nobody."""
    return actor_names({actor_id})[actor_id] if actor_id else "-"


def is_actor(actor_id: str) -> bool:
    """Whether the id is of one who acts (a user, a client, the service), not of a record."""
    return (
        actor_id == SYSTEM
        or UserIdentity.objects.filter(uuid=actor_id).exists()
        or Client.objects.filter(uuid=actor_id).exists()
    )


def _entity_link(entity_type: str, entity_id: str) -> tuple[str, str]:
    app_label, _dot, model_name = entity_type.partition(".")
    try:
        url = reverse(f"admin:{app_label}_{model_name}_change", args=[entity_id])
    except NoReverseMatch:
        url = ""
    try:
        label = str(apps.get_model(app_label, model_name)._meta.verbose_name)
    except LookupError:
        label = entity_type
    return url, label


def timeline_html(events, *, link_entities: bool = False) -> str:
    """Events, oldest first, as a timeline: when, who, what changed from → to in words, and (when the
    events are of several records) a link to the record each is about."""
    events = list(events)
    if not events:
        return "-"
    names = actor_names({event.actor for event in events})
    rows = []
    for event in events:
        if link_entities:
            url, label = _entity_link(event.entity_type, event.entity_id)
            entity = (
                format_html('<a href="{}">{} {}</a>', url, label, event.entity_id[:8])
                if url
                else format_html("{} {}", label, event.entity_id[:8])
            )
        else:
            entity = ""
        rows.append(
            (
                timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                names.get(event.actor, event.actor),
                entity,
                PROPERTY_LABELS.get(event.property, event.property.replace("_", " ")),
                value_in_words(event.old_value),
                value_in_words(event.new_value),
            )
        )
    body = format_html_join(
        "\n",
        "<li><time>{}</time> · <strong>{}</strong> {} — {}: {} → {}</li>",
        rows,
    )
    return format_html('<ol class="timeline">{}</ol>', body)


def audit_events_html(*objects, related=()):
    """The audit trail of the objects (of one model), plus that of `related` records of any model
    (e.g. a person's methods and requests), oldest first, as one timeline."""
    groups = [objects, *related] if objects else list(related)
    condition = Q()
    for group in groups:
        group = list(group)
        if group:
            condition |= Q(entity_type=group[0]._meta.label_lower, entity_id__in=[str(o.pk) for o in group])
    if not condition:
        return "-"
    events = Event.objects.filter(condition).order_by("created_at", "id")
    return timeline_html(events, link_entities=bool(related))


def list_html(items, render=value_in_words) -> str:
    """A JSON list (documents, phones) as a list to read, each item in words."""
    if not items:
        return "-"
    return format_html("<ul class='plain'>{}</ul>", format_html_join("", "<li>{}</li>", ((render(i),) for i in items)))


class AuditHistoryMixin:
    """A read-only `history` field (the record's audit trail), and who created and last updated the
    record, by name."""

    @admin.display(description=_("audit trail"))
    def history(self, obj):
        return audit_events_html(obj)

    @admin.display(description=_("created by"))
    def created_by_name(self, obj):
        return actor_name(obj.created_by)

    @admin.display(description=_("updated by"))
    def updated_by_name(self, obj):
        return actor_name(obj.updated_by)


# --- actions ------------------------------------------------------------------------------------


def apply_service(modeladmin, request, queryset, *, call: Callable, done: str) -> int:
    """Run an admin action through a service, object by object, and report one line: how many were
    done and how many refused, by reason ("Resent: 12; refused: 3 (Request is not NEW)"). A refusal is
    reported, not raised; each success goes to Django's admin log (the service writes the audit event)."""
    succeeded = 0
    refusals: Counter = Counter()
    actor = actor_of(request)
    for obj in queryset:
        try:
            call(obj, actor)
        except ApiError as error:
            refusals[gettext(error.describe())] += 1
            continue
        modeladmin.log_change(request, obj, done)
        succeeded += 1
    summary = f"{done}: {succeeded}"
    if refusals:
        reasons = "; ".join(
            f"{reason} — {count}" if len(refusals) > 1 else reason for reason, count in refusals.items()
        )
        summary += "; " + gettext("refused: %(count)d (%(reasons)s)") % {
            "count": sum(refusals.values()),
            "reasons": reasons,
        }
    level = messages.SUCCESS if succeeded and not refusals else messages.WARNING if succeeded else messages.ERROR
    modeladmin.message_user(request, summary, level)
    return succeeded


CONFIRMED = "confirmed"
TOO_MANY = _("More than %(limit)d selected: at most %(limit)d at a time. Narrow the list with a filter or a search.")


def too_many(modeladmin, request, queryset) -> bool:
    """More than ADMIN_BULK_SMS_LIMIT records selected (counted up to the limit + 1): refused, said so."""
    limit = settings.ADMIN_BULK_SMS_LIMIT
    if queryset[: limit + 1].count() <= limit:
        return False
    modeladmin.message_user(request, gettext(TOO_MANY) % {"limit": limit}, messages.ERROR)
    return True


def confirm_bulk(modeladmin, request, queryset, *, title: str, question: str):
    """The page that asks before an action sends SMS to the selected records (Django's delete
    confirmation is the model): it says how many, and refuses more than ADMIN_BULK_SMS_LIMIT at once.

    Returns None when the action may run (confirmed, or run on one record from its own page), else the
    response to send (the confirmation page, or the list again with the refusal)."""
    if too_many(modeladmin, request, queryset):
        return HttpResponseRedirect(request.get_full_path())
    if request.POST.get(CONFIRMED) == "yes" or request.POST.get(f"{ActionLocation.CHANGE_FORM.value}-action"):
        return None
    selected = list(queryset[: settings.ADMIN_BULK_SMS_LIMIT])
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "count": len(selected),
        "objects": selected,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "form_url": request.get_full_path(),
    }
    return TemplateResponse(request, "admin/core/confirm_bulk.html", context)


def confirmation_in_words(current: dict | None) -> str:
    """What confirms a request: its method type and (masked) phone."""
    current = current or {}
    return " ".join(filter(None, [current.get("type"), mask_phone(current.get("number"))])) or "-"


class RequestAdminMixin(LargeTableAdminMixin, CaseSearchMixin, AuditHistoryMixin, ReadOnlyAdminMixin):
    """The back office of one request kind: a fast read-only list (status, created date range, legal
    entity; id, tax id or a whole phone), a case-file detail, and the actions "Resend code" (NEW requests
    confirmed by OTP, through the same service as the API) and "Expire now" (NEW requests past their
    expiry). A kind provides `resend(obj, actor)`; the actions need `<app>.change_<model>`.

    A kind declares `case_fieldsets` (what the request is about and what confirms it); the audit part
    and the trail follow. Every admin built from it is a flow of the start page (`request_admins`)."""

    list_filter = ("status", ("created_at", DateRangeFilter), LegalEntityFilter)
    # only the columns an index orders: a sort by person or status would sort millions of rows
    sortable_by = ("short_id", "created_at", "expires_at")
    search_help_text = _(
        "An id (whole or its first 8 characters), a tax id (10 digits), a phone in any spelling "
        "(0XXXXXXXXX, 0XX XXX XX XX, (0XX) XXX-XX-XX, +380XXXXXXXXX) or its last 4-8 digits"
    )
    actions = ["resend_code", "expire_now"]
    # the person (or persons) a request is about: their tax ids and phones are searched
    person_fields: tuple = ("person",)
    case_fieldsets: tuple = ()
    audit_fieldsets = (
        (
            _("Audit"),
            {
                "fields": (
                    "client",
                    "legal_entity_id",
                    "created_at",
                    "created_by_name",
                    "updated_at",
                    "updated_by_name",
                )
            },
        ),
        (_("Audit trail"), {"fields": ("history",)}),
    )

    @property
    def fieldsets(self):
        return (*self.case_fieldsets, (_("Code and SMS"), {"fields": ("code_link",)}), *self.audit_fieldsets)

    @property
    def tax_id_search_lookups(self):
        return tuple(f"{field}__tax_id" for field in self.person_fields)

    @property
    def phone_search_lookup(self):
        return tuple(f"{field}__authentication_methods__phone_number" for field in self.person_fields)

    def get_list_select_related(self, request):
        return (*self.person_fields, "client")

    def resend(self, obj, actor: str):
        raise NotImplementedError

    def _may_act(self, request) -> bool:
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def has_resend_permission(self, request):
        return self._may_act(request)

    def has_expire_permission(self, request):
        return self._may_act(request)

    @admin.action(
        description=_("Resend code (NEW requests confirmed by OTP)"), permissions=["resend"], location=BOTH_PLACES
    )
    def resend_code(self, request, queryset):
        page = confirm_bulk(
            self,
            request,
            queryset,
            title=gettext("Resend the code"),
            question=gettext("Send a new code by SMS for each of these requests?"),
        )
        if page is not None:
            return page
        apply_service(self, request, queryset, call=self.resend, done=gettext("Resent the code"))
        return None

    @admin.action(
        description=_("Expire now (NEW requests past their expiry)"), permissions=["expire"], location=BOTH_PLACES
    )
    def expire_now(self, request, queryset):
        from core.jobs.housekeeping import request_expire_now

        if too_many(self, request, queryset):
            return
        apply_service(
            self,
            request,
            queryset,
            call=lambda obj, actor: request_expire_now(request=obj, actor=actor),
            done=gettext("Expired"),
        )

    @admin.display(description=_("id"), ordering="pk")
    def short_id(self, obj):
        return str(obj.pk)[:8]

    @admin.display(description=_("confirmed by"))
    def confirmation(self, obj):
        return confirmation_in_words(obj.authentication_method_current)

    @admin.display(description=_("legal entity"))
    def legal_entity(self, obj):
        return obj.client.legal_entity_name or str(obj.legal_entity_id)[:8]

    @admin.display(description=_("documents to upload"))
    def documents_list(self, obj):
        return scans_html(obj, self.admin_site)

    @admin.display(description=_("code"))
    def code_link(self, obj):
        """The code sent for the request (never the code itself) and its SMS deliveries."""
        if obj.verification_id is None:
            return "-"
        return code_links_html(obj.verification_id)

    def get_urls(self):
        opts = self.model._meta
        scan = path(
            "<path:object_id>/scan/<str:document_type>/",
            self.admin_site.admin_view(self.scan_view),
            name=f"{opts.app_label}_{opts.model_name}_scan",
        )
        return [scan, *super().get_urls()]

    def has_scan_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj) and request.user.has_perm(SCAN_PERMISSION)

    def scan_view(self, request, object_id, document_type):
        """A scanned document of the request, streamed from the storage to staff who may see it, shown
        in the browser (`inline`); never a public or a signed URL."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_scan_permission(request, obj):
            raise PermissionDenied
        if document_type not in (obj.documents or []):
            raise Http404
        name = storage_name(owner=obj, type=document_type)
        if not default_storage.exists(name):
            raise Http404
        response = FileResponse(
            default_storage.open(name, "rb"), content_type="image/jpeg", filename=f"{document_type}.jpg"
        )
        response["Cache-Control"] = "private, no-store"
        return response


SCAN_PERMISSION = "persons.verify_person"  # who verifies persons sees the scans that prove who they are


def scans_html(obj, site) -> str:
    """The request's documents to upload, each linked to its scan when uploaded, else marked missing."""
    if not obj.documents:
        return "-"
    opts = obj._meta
    rows = []
    for document_type in obj.documents:
        if default_storage.exists(storage_name(owner=obj, type=document_type)):
            url = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_scan", args=[obj.pk, document_type])
            rows.append(
                format_html(
                    '{} — <a href="{}" target="_blank" rel="noopener">{}</a>',
                    document_type,
                    url,
                    gettext("view the scan"),
                )
            )
        else:
            rows.append(format_html("{} — {}", document_type, gettext("not uploaded")))
    return format_html("<ul class='plain'>{}</ul>", format_html_join("", "<li>{}</li>", ((row,) for row in rows)))


def code_links_html(verification_id) -> str:
    from verifications.models import SmsMessage

    code_url = reverse("admin:verifications_verification_change", args=[verification_id])
    sms_url = reverse("admin:verifications_smsmessage_changelist") + f"?q={verification_id}"
    count = SmsMessage.objects.filter(verification_id=verification_id).count()
    return format_html(
        '<a href="{}">{} {}</a> · <a href="{}">{}: {}</a>',
        code_url,
        gettext("code"),
        str(verification_id)[:8],
        sms_url,
        gettext("SMS deliveries"),
        count,
    )


def request_admins(site=None) -> list:
    """The registered admins of every request kind, in registration order: the flows."""
    site = site or admin.site
    registered = (site.get_model_admin(model) for model in apps.get_models() if site.is_registered(model))
    return [model_admin for model_admin in registered if isinstance(model_admin, RequestAdminMixin)]


# --- core records -------------------------------------------------------------------------------


class EntityTypeFilter(admin.SimpleListFilter):
    """The kind of record, from the models (Django's own filter would read every event's type: a
    DISTINCT over millions of rows on each page)."""

    title = _("record")
    parameter_name = "entity_type__exact"

    def lookups(self, request, model_admin):
        labels = ("core", "persons", "verifications", "declarations", "approvals")
        models = [model for label in labels for model in apps.get_app_config(label).get_models()]
        return sorted(
            ((model._meta.label_lower, str(model._meta.verbose_name).capitalize()) for model in models),
            key=lambda item: item[1],
        )

    def queryset(self, request, queryset):
        return queryset.filter(entity_type=self.value()) if self.value() else queryset


class PropertyFilter(admin.SimpleListFilter):
    """What changed, from the properties the trail names (not a DISTINCT over the table)."""

    title = _("what")
    parameter_name = "property__exact"

    def lookups(self, request, model_admin):
        return sorted(((key, str(label)) for key, label in PROPERTY_LABELS.items()), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(property=self.value()) if self.value() else queryset


@admin.register(Event)
class EventAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "record", "what", "change", "who")
    list_filter = (EntityTypeFilter, PropertyFilter, ("created_at", DateRangeFilter))
    sortable_by = ("created_at",)
    search_fields = ("=entity_id", "=actor")
    search_help_text = _(
        "A record's id (whole or its first 8 characters), or the id of who acted (a user's or a client's)"
    )

    def get_search_results(self, request, queryset, search_term):
        """One index per meaning: who acted (actor, created_at) for a user's, a client's or the service's
        id, else a record's id (entity_id, created_at) or its first 8 characters (a range on that index)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if is_uuid(term):
            term = str(uuid.UUID(term))
            return queryset.filter(**{"actor" if is_actor(term) else "entity_id": term}), False
        if _SHORT_ID.match(term):
            prefix = term.lower()
            return queryset.filter(entity_id__gte=prefix, entity_id__lt=prefix + "g"), False
        return queryset.filter(actor=term), False

    fields = ("created_at", "record", "what", "change", "who", "actor")
    readonly_fields = fields

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # one lookup of the names for the page, kept on its rows (the admin instance is shared by threads)
        names = actor_names({event.actor for event in changelist.result_list})
        for event in changelist.result_list:
            event.actor_name = names.get(event.actor, event.actor)
        return changelist

    @admin.display(description=_("record"))
    def record(self, obj):
        url, label = _entity_link(obj.entity_type, obj.entity_id)
        return format_html('<a href="{}">{} {}</a>', url, label, obj.entity_id) if url else f"{label} {obj.entity_id}"

    @admin.display(description=_("what"))
    def what(self, obj):
        return PROPERTY_LABELS.get(obj.property, obj.property.replace("_", " "))

    @admin.display(description=_("from → to"))
    def change(self, obj):
        return f"{value_in_words(obj.old_value)} → {value_in_words(obj.new_value)}"

    @admin.display(description=_("who"))
    def who(self, obj):
        return getattr(obj, "actor_name", None) or actor_names({obj.actor})[obj.actor]


@admin.register(Job)
class JobAdmin(LargeTableAdminMixin, AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "status", "status_code", "client", "eta", "created_at")
    list_filter = ("status", "kind", ("created_at", DateRangeFilter), ClientLegalEntityFilter)
    search_fields = ("=id",)
    list_select_related = ("client",)
    fieldsets = (
        (None, {"fields": ("id", "kind", "status", "client", "eta")}),
        (_("Result"), {"fields": ("status_code", "response_data", "error")}),
        (_("History"), {"fields": ("created_at", "updated_at", "history")}),
    )
