"""The back office's start page: what needs attention (each a link to the filtered list) and, per flow,
a small chart of the requests of the last days by the status they ended in.

The flows are the registered admins built from `RequestAdminMixin`: a new request kind appears here
by itself. Queries: one per section, two per flow (its expiry counts, its chart)."""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.admin import request_admins
from core.models import Job

CHART_DAYS = 14
EXPIRING_WITHIN = timedelta(hours=1)
SMS_FAILED_WITHIN = timedelta(days=1)
JOB_PENDING_LONGER_THAN = timedelta(minutes=1)

# the colour of a status in the charts, by its meaning (statuses differ in case between flows)
STATUS_COLOURS = {
    "new": "#79aec8",
    "completed": "#2e7d32",
    "approved": "#66bb6a",
    "signed": "#2e7d32",
    "active": "#2e7d32",
    "rejected": "#c62828",
    "cancelled": "#9e9e9e",
    "expired": "#ef6c00",
}
OTHER_COLOURS = ["#6a1b9a", "#00838f", "#5d4037"]


@dataclass
class Item:
    """One line of "what needs attention": how many, of what, and the list that shows them."""

    label: str
    count: int
    url: str
    note: str = ""


@dataclass
class Chart:
    title: str
    url: str
    width: int
    height: int
    bars: list = field(default_factory=list)  # [{"x", "label", "title", "segments": [{"y", "height", "colour"}]}]
    legend: list = field(default_factory=list)  # [{"status", "colour", "total"}]
    total: int = 0


def _changelist(model_admin, **params) -> str:
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _when(moment) -> str:
    """A moment as the date filters take it in a link."""
    return str(moment.replace(microsecond=0))


def _admin_of(site, model):
    return site.get_model_admin(model) if site.is_registered(model) else None


def start_page(request, site=None) -> dict:
    """Everything the start page shows, for what the user may see."""
    site = site or admin.site
    now = timezone.now()
    attention: list[Item] = []
    attention += _persons_waiting(request, site)
    attention += _sms_failed(request, site, now)
    attention += _jobs_stuck(request, site, now)
    charts = []
    for model_admin in request_admins(site):
        if not model_admin.has_view_permission(request):
            continue
        attention += _requests_expiring(model_admin, now)
        charts.append(_chart(model_admin, now))
    return {"attention": attention, "charts": charts, "chart_days": CHART_DAYS}


def _persons_waiting(request, site) -> list[Item]:
    from persons.models import Person

    model_admin = _admin_of(site, Person)
    if model_admin is None or not model_admin.has_view_permission(request):
        return []
    waiting = Person.VerificationStatus.VERIFICATION_NEEDED
    rows = (
        Person.objects.filter(verification_status=waiting)
        .values("verification_reason")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by("oldest")
    )
    return [
        Item(
            label=_("Persons waiting for verification (%(reason)s)") % {"reason": row["verification_reason"] or "—"},
            count=row["count"],
            url=_changelist(
                model_admin,
                verification_status__exact=waiting,
                verification_reason__exact=row["verification_reason"],
            ),
            note=_("the oldest since %(date)s") % {"date": timezone.localtime(row["oldest"]).strftime("%Y-%m-%d")},
        )
        for row in rows
    ]


def _counted(request, site, model, *, label: str, where: dict) -> list[Item]:
    """How many rows match `where`, linked to the list filtered the same way (the filters' parameters
    are the lookups), if the user may see that list."""
    model_admin = _admin_of(site, model)
    if model_admin is None or not model_admin.has_view_permission(request):
        return []
    count = model.objects.filter(**where).count()
    params = {
        lookup if "__" in lookup else f"{lookup}__exact": _when(value) if hasattr(value, "tzinfo") else value
        for lookup, value in where.items()
    }
    return [Item(label=label, count=count, url=_changelist(model_admin, **params))]


def _sms_failed(request, site, now) -> list[Item]:
    from verifications.models import SmsMessage

    where = {"status": SmsMessage.Status.FAILED, "created_at__gte": now - SMS_FAILED_WITHIN}
    return _counted(request, site, SmsMessage, label=_("SMS failed in the last day"), where=where)


def _jobs_stuck(request, site, now) -> list[Item]:
    where = {"status": Job.Status.PENDING, "created_at__lt": now - JOB_PENDING_LONGER_THAN}
    return _counted(request, site, Job, label=_("Jobs pending longer than a minute"), where=where)


def _requests_expiring(model_admin, now) -> list[Item]:
    """NEW requests that expire within the hour, and those already past it that wait for the
    periodic expiry (or "Expire now"): one query."""
    model = model_admin.model
    new = model.Status.NEW
    soon = now + EXPIRING_WITHIN
    counts = model.objects.filter(status=new).aggregate(
        soon=Count("pk", filter=Q(expires_at__gt=now, expires_at__lte=soon)),
        stale=Count("pk", filter=Q(expires_at__lte=now)),
    )
    name = str(model._meta.verbose_name_plural)
    items = [
        Item(
            label=_("%(flow)s about to expire (within an hour)") % {"flow": name.capitalize()},
            count=counts["soon"],
            url=_changelist(model_admin, status__exact=new, expires_at__gt=_when(now), expires_at__lte=_when(soon)),
        )
    ]
    if counts["stale"]:
        items.append(
            Item(
                label=_("%(flow)s past their expiry, still NEW") % {"flow": name.capitalize()},
                count=counts["stale"],
                url=_changelist(model_admin, status__exact=new, expires_at__lte=_when(now)),
                note=_("“Expire now” expires them at once"),
            )
        )
    return items


BAR_WIDTH, BAR_GAP, CHART_HEIGHT, LABEL_HEIGHT = 16, 4, 80, 14


def _chart(model_admin, now) -> Chart:
    """The flow's requests of the last CHART_DAYS days, per day and the status they are in: one query."""
    model = model_admin.model
    today = timezone.localdate(now)
    first = today - timedelta(days=CHART_DAYS - 1)
    since = timezone.make_aware(timezone.datetime.combine(first, timezone.datetime.min.time()))
    rows = (
        model.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    per_day: dict = {}
    totals: dict[str, int] = {}
    for row in rows:
        per_day.setdefault(row["day"], {})[row["status"]] = row["count"]
        totals[row["status"]] = totals.get(row["status"], 0) + row["count"]
    statuses = [value for value, _label in model.Status.choices]
    others = iter(OTHER_COLOURS * 3)
    colours = {status: STATUS_COLOURS.get(status.lower()) or next(others) for status in statuses}
    highest = max((sum(day.values()) for day in per_day.values()), default=0) or 1
    chart = Chart(
        title=str(model._meta.verbose_name_plural).capitalize(),
        url=_changelist(model_admin),
        width=CHART_DAYS * (BAR_WIDTH + BAR_GAP),
        height=CHART_HEIGHT + LABEL_HEIGHT,
        total=sum(totals.values()),
    )
    for index in range(CHART_DAYS):
        day = first + timedelta(days=index)
        counts = per_day.get(day, {})
        y = CHART_HEIGHT
        segments = []
        for status in statuses:
            if not counts.get(status):
                continue
            height = max(1, round(counts[status] * CHART_HEIGHT / highest))
            y -= height
            segments.append({"y": y, "height": height, "colour": colours[status]})
        described = ", ".join(f"{status} {counts[status]}" for status in statuses if counts.get(status))
        chart.bars.append(
            {
                "x": index * (BAR_WIDTH + BAR_GAP),
                "label": day.strftime("%d"),
                "title": f"{day.isoformat()}: {described or '0'}",
                "segments": segments,
            }
        )
    chart.legend = [
        {"status": status, "colour": colours[status], "total": totals.get(status, 0)}
        for status in statuses
        if totals.get(status)
    ]
    return chart
