"""Staff pages for warm lines under ``/app/<org>/warmline/lines/`` (the list with each line's status
now, a line, its form, its weekly hours, its closures) and the public line page in the directory.
Thin: reads through ``warmline.lines`` and ``warmline.hours``, writes through ``warmline.lines``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts import selectors as account_selectors
from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.groups.views.public import json_ld_script, language_name
from alongside.warmline import hours, lines
from alongside.warmline.forms_lines import ClosureForm, HoursForm, LineForm
from alongside.warmline.models import Line


def _detail(org: OrgContext, line: Line) -> HttpResponse:
    return redirect("warmline:line_detail", org.organisation.slug, line.pk)


# --- Staff -------------------------------------------------------------------------------------------


@org_view("warmline.view")
@require_GET
def line_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    now = timezone.now()
    zone = ZoneInfo(org.organisation.timezone)
    rows = [
        (line, hours.status_text(hours.line_status(line, now, zone=zone), zone, now))
        for line in lines.line_list(org.organisation)
    ]
    context = {
        "org": org,
        "rows": rows,
        "can_change": org.can("warmline.change"),
        "zone": zone.key,
        "sections": warmline_sections(org),
    }
    return render(request, "warmline/lines/list.html", context)


# The warm line's pages, each with the permission that shows it: the line list is the warm line's
# home, and the menu has only the pages a peer uses on every shift.
SECTIONS: list[tuple[str, str, Any]] = [
    ("warmline:my_shifts", "shifts.signup", gettext_lazy("My shifts")),
    ("warmline:chat_console", "warmline.answer", gettext_lazy("Chats: the queue and your conversations")),
    ("warmline:contact_new", "warmline.answer", gettext_lazy("Log a call")),
    ("warmline:contacts_mine", "warmline.answer", gettext_lazy("My past calls and chats")),
    ("warmline:my_phone", "shifts.signup", gettext_lazy("The phone that rings on my shifts")),
    ("warmline:shift_rota", "warmline.view", gettext_lazy("Shift rota and coverage gaps")),
    ("warmline:swap_list", "shifts.manage", gettext_lazy("Shift swaps to approve")),
    ("warmline:pattern_list", "shifts.manage", gettext_lazy("Recurring shifts")),
    ("warmline:contact_list", "warmline.contacts_view", gettext_lazy("Calls and chats")),
    ("warmline:phone_calls", "warmline.supervise", gettext_lazy("Recent phone calls")),
    ("warmline:caller_plan_list", "warmline.caller_plans", gettext_lazy("Repeat-caller plans")),
    ("warmline:screening_rules", "warmline.screening_view", gettext_lazy("Crisis screening rules")),
]


def warmline_sections(org: OrgContext) -> list[dict[str, str]]:
    slug = org.organisation.slug
    return [
        {"url": reverse(name, args=[slug]), "label": str(label)}
        for name, permission, label in SECTIONS
        if org.can(permission)
    ]


@org_view("warmline.change")
@require_http_methods(["GET", "POST"])
def line_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = LineForm(request.POST or None, organisation=org.organisation)
    if request.method == "POST":
        if form.is_valid():
            try:
                line = lines.line_create(acting_user=org.user, organisation=org.organisation, **form.line_fields())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The line was created. Add its hours next."))
                return redirect("warmline:line_hours", org.organisation.slug, line.pk)
        return render(request, "warmline/lines/form.html", {"org": org, "form": form, "line": None}, status=400)
    return render(request, "warmline/lines/form.html", {"org": org, "form": form, "line": None})


@org_view("warmline.view")
@require_GET
def line_detail(request: HttpRequest, org: OrgContext, line_id: Any) -> HttpResponse:
    line = lines.access_line(org, line_id)
    now = timezone.now()
    zone = ZoneInfo(org.organisation.timezone)
    context = {
        "org": org,
        "line": line,
        "status": hours.line_status_text(line, now),
        "week": hours.weekly_table(line),
        "closures": hours.upcoming_closures(line, now.astimezone(zone).date(), limit=50),
        "zone": zone.key,
        "can_change": org.can("warmline.change"),
        "public_url": reverse("warmline:public_line", args=[org.organisation.slug, line.slug]),
    }
    return render(request, "warmline/lines/detail.html", context)


@org_view("warmline.change")
@require_http_methods(["GET", "POST"])
def line_edit(request: HttpRequest, org: OrgContext, line_id: Any) -> HttpResponse:
    line = lines.access_line(org, line_id, write=True)
    form = LineForm(request.POST or None, organisation=org.organisation, initial=LineForm.initial_for(line))
    if request.method == "POST":
        if form.is_valid():
            try:
                lines.line_update(acting_user=org.user, line=line, **form.line_fields())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return _detail(org, line)
        return render(request, "warmline/lines/form.html", {"org": org, "form": form, "line": line}, status=400)
    return render(request, "warmline/lines/form.html", {"org": org, "form": form, "line": line})


@org_view("warmline.change")
@require_http_methods(["GET", "POST"])
def line_hours(request: HttpRequest, org: OrgContext, line_id: Any) -> HttpResponse:
    line = lines.access_line(org, line_id, write=True)
    form = HoursForm(request.POST or None, line=line)
    context = {"org": org, "line": line, "form": form, "zone": org.organisation.timezone}
    if request.method == "POST":
        if form.is_valid():
            try:
                lines.line_hours_set(acting_user=org.user, line=line, periods=form.periods())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The hours were saved."))
                return _detail(org, line)
        return render(request, "warmline/lines/hours.html", context, status=400)
    return render(request, "warmline/lines/hours.html", context)


@org_view("warmline.change")
@require_http_methods(["GET", "POST"])
def closure_add(request: HttpRequest, org: OrgContext, line_id: Any) -> HttpResponse:
    line = lines.access_line(org, line_id, write=True)
    form = ClosureForm(request.POST or None)
    context = {"org": org, "line": line, "form": form, "zone": org.organisation.timezone}
    if request.method == "POST":
        if form.is_valid():
            try:
                lines.closure_add(acting_user=org.user, line=line, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The closure was added."))
                return _detail(org, line)
        return render(request, "warmline/lines/closure_form.html", context, status=400)
    return render(request, "warmline/lines/closure_form.html", context)


@org_view("warmline.change")
@require_POST
def closure_remove(request: HttpRequest, org: OrgContext, line_id: Any, closure_id: Any) -> HttpResponse:
    line = lines.access_line(org, line_id, write=True)
    closure = lines.access_closure(org, line, closure_id)
    lines.closure_remove(acting_user=org.user, closure=closure)
    messages.success(request, _("The closure was removed: the line keeps its usual hours those days."))
    return _detail(org, line)


# --- Public --------------------------------------------------------------------------------------------

_SCHEMA_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def line_json_ld(request: HttpRequest, line: Line, closures: list[Any]) -> dict[str, Any]:
    """schema.org Service with a phone ContactPoint whose ``hoursAvailable`` are the weekly hours
    (an overnight period closes "earlier" than it opens, as schema.org reads it) and the closures
    (``opens`` = ``closes`` = 00:00 from ``validFrom`` to ``validThrough``: closed)."""
    spec: list[dict[str, Any]] = []
    for period in hours.periods(line):
        whole_day = period.overnight and period.opens == period.closes
        spec.append(
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": f"https://schema.org/{_SCHEMA_DAYS[period.day]}",
                "opens": f"{period.opens:%H:%M}",
                "closes": "23:59" if whole_day else f"{period.closes:%H:%M}",
            }
        )
    for closure in closures:
        spec.append(
            {
                "@type": "OpeningHoursSpecification",
                "opens": "00:00",
                "closes": "00:00",
                "validFrom": closure.starts_on.isoformat(),
                "validThrough": closure.ends_on.isoformat(),
                "description": closure.reason,
            }
        )
    channels: list[dict[str, Any]] = [
        {
            "@type": "ServiceChannel",
            "servicePhone": {
                "@type": "ContactPoint",
                "telephone": phone["number"],
                "name": phone.get("label", ""),
                "hoursAvailable": spec,
            },
        }
        for phone in line.public_phone_numbers
    ]
    if line.chat_enabled:
        channels.append({"@type": "ServiceChannel", "serviceUrl": request.build_absolute_uri(), "name": "chat"})
    return {
        "@context": "https://schema.org",
        "@type": "Service",
        "name": line.name,
        "description": line.description,
        "serviceType": "Warm line (peer support, not a crisis line)",
        "url": request.build_absolute_uri(),
        "isAccessibleForFree": True,
        "availableLanguage": list(line.languages or []),
        "provider": {"@type": "Organization", "name": line.organisation.name},
        "hoursAvailable": spec,
        "availableChannel": channels,
    }


@public
@require_GET
def public_line(request: HttpRequest, org_slug: str, line_slug: str) -> HttpResponse:
    organisation = account_selectors.organisation_by_slug(org_slug)  # active organisations only
    if organisation is None:
        raise Http404
    line = lines.public_line(organisation, line_slug)
    if line is None:
        raise Http404
    request.public_org = organisation  # type: ignore[attr-defined]
    now = timezone.now()
    zone = ZoneInfo(organisation.timezone)
    today = now.astimezone(zone).date()
    with tenant_scope(organisation):
        closures = list(line.closures.all())
        status = hours.line_status(line, now, zone=zone, closures=closures)
    upcoming = sorted((c for c in closures if c.ends_on >= today), key=lambda c: (c.starts_on, c.start_time or 0))
    context = {
        "organisation": organisation,
        "line": line,
        "status": status,
        "status_text": hours.status_text(status, zone, now),
        "week": hours.weekly_table(line),
        "closures": upcoming[:10],
        "zone": zone.key,
        "languages": [language_name(code) for code in line.languages or []],
        "phones": line.public_phone_numbers,
        "json_ld": json_ld_script(line_json_ld(request, line, upcoming[:10])),
    }
    return render(request, "warmline/lines/public.html", context)
