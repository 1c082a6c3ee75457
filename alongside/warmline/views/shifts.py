"""Shift pages under ``/app/<org>/warmline/shifts/``: the week's rota with its coverage gaps, one
shift (assign, take off, supervisor on duty, cancel, sign up), recurring patterns and one-off
shifts, swaps to approve, and the person's own "My shifts" (sign up, offer and take swaps, set
their status, their calendar). Thin: reads and writes through ``warmline/rota.py``. Every small
form works without JavaScript."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view, parse_uuid_or_404
from alongside.core.forms import add_service_errors
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.groups.schedules import localise
from alongside.people.views.self_service import no_store
from alongside.warmline import calendars_shifts, rota
from alongside.warmline.forms_shifts import (
    WEEKDAY_CHOICES,
    AssignForm,
    OneOffForm,
    PatternEndForm,
    PatternForm,
    RotaFilter,
    StatusForm,
    SupervisorForm,
    SwapOfferForm,
    UnassignForm,
    first_error,
)
from alongside.warmline.models import (
    AssignmentState,
    Shift,
    ShiftAssignment,
    ShiftPattern,
    ShiftSwap,
    SwapState,
)

OPEN_AHEAD = timedelta(days=14)


# --- Access --------------------------------------------------------------------------------------


def access_shift(org: OrgContext, shift_id: Any) -> Shift:
    shift = (
        Shift.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(shift_id))
        .select_related("line", "supervisor", "pattern")
        .first()
    )
    if shift is None:
        raise Http404
    return shift


def access_pattern(org: OrgContext, pattern_id: Any) -> ShiftPattern:
    org.require("shifts.manage")
    pattern = ShiftPattern.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(pattern_id)).first()
    if pattern is None:
        raise Http404
    return pattern


def access_own_assignment(org: OrgContext, assignment_id: Any) -> ShiftAssignment:
    """The person's own current place on a shift (someone else's answers like a missing one)."""
    assignment = (
        ShiftAssignment.objects.filter(
            organisation=org.organisation,
            pk=parse_uuid_or_404(assignment_id),
            user=org.user,
            state=AssignmentState.ACTIVE,
        )
        .select_related("shift", "shift__line")
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def access_swap(org: OrgContext, swap_id: Any) -> ShiftSwap:
    swap = (
        ShiftSwap.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(swap_id))
        .select_related("assignment", "assignment__shift", "assignment__user")
        .first()
    )
    if swap is None:
        raise Http404
    # Only the people in the swap and those who manage shifts see it (and anyone, an open offer).
    involved = org.user.pk in (swap.assignment.user_id, swap.offered_to_id, swap.taken_by_id)
    open_offer = swap.offered_to_id is None and swap.state == SwapState.OFFERED
    if not (org.can("shifts.manage") or involved or open_offer):
        raise Http404
    return swap


# --- Helpers -------------------------------------------------------------------------------------


def _zone(org: OrgContext) -> ZoneInfo:
    return ZoneInfo(org.organisation.timezone)


def _shift_page(org: OrgContext, shift: Shift) -> HttpResponse:
    return redirect("warmline:shift_detail", org.organisation.slug, shift.pk)


def _mine(org: OrgContext) -> HttpResponse:
    return redirect("warmline:my_shifts", org.organisation.slug)


# --- The rota and one shift -----------------------------------------------------------------------


@org_view("warmline.view")
@require_GET
def shift_rota(request: HttpRequest, org: OrgContext) -> HttpResponse:
    """The week's shifts, day by day, with gaps flagged in words (and marked, not by colour alone)."""
    zone = _zone(org)
    today = timezone.localtime(timezone.now(), zone).date()
    form = RotaFilter(request.GET or None, organisation=org.organisation)
    valid = form.is_valid() if request.GET else True
    data = form.cleaned_data if request.GET and valid else {}
    first = data.get("week") or today
    monday = first - timedelta(days=first.weekday())
    start = localise(datetime.combine(monday, time(0, 0)), zone)
    end = localise(datetime.combine(monday + timedelta(days=7), time(0, 0)), zone)
    line = data.get("line")
    # A GET only reads: pattern shifts are made ahead by ``alongside warmline materialise-shifts``.
    horizon = rota.scheduled_until()
    if end > horizon:
        messages.info(
            request,
            _(
                "Shifts from regular patterns are not scheduled yet after %(day)s. "
                "They appear here as the week comes closer."
            )
            % {"day": date_format(timezone.localtime(horizon, zone).date(), "DATE_FORMAT")},
        )
    covers = rota.coverage(org.organisation, start, end, line=line)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        days.append((day, [c for c in covers if timezone.localtime(c.shift.starts_at, zone).date() == day]))
    context = {
        "org": org,
        "form": form,
        "days": days,
        "monday": monday,
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "line": line,
        "gap_count": sum(1 for c in covers if c.gap),
        "can_manage": org.can("shifts.manage"),
        "can_signup": org.can("shifts.signup") and rota.may_take_shifts(org.user, org.organisation),
        "now": timezone.now(),
        "zone": org.organisation.timezone,
    }
    return render(request, "warmline/shifts/rota.html", context, status=200 if valid else 400)


def _detail_context(org: OrgContext, shift: Shift, **extra: Any) -> dict[str, Any]:
    cover = rota.coverage(org.organisation, shift.starts_at, shift.starts_at + timedelta(seconds=1), line=shift.line)
    cover = [c for c in cover if c.shift.pk == shift.pk]
    manage = org.can("shifts.manage")
    mine = any(p.pk == org.user.pk for p in cover[0].people) if cover else False
    assignments = (
        list(
            ShiftAssignment.objects.filter(organisation=org.organisation, shift=shift, state=AssignmentState.ACTIVE)
            .select_related("user")
            .order_by("created_at")
        )
        if manage
        else []
    )
    context = {
        "org": org,
        "shift": shift,
        "cover": cover[0] if cover else None,
        "assignments": assignments,
        "can_manage": manage,
        "mine": mine,
        "open": not shift.cancelled and shift.starts_at > timezone.now(),
        "can_signup": org.can("shifts.signup") and rota.may_take_shifts(org.user, org.organisation),
        "assign_form": AssignForm(organisation=org.organisation) if manage else None,
        "supervisor_form": SupervisorForm(organisation=org.organisation, initial={"supervisor": shift.supervisor_id})
        if manage
        else None,
        "zone": org.organisation.timezone,
    }
    context.update(extra)
    return context


def _refused(request: HttpRequest, org: OrgContext, shift: Shift, error: str, **forms_: Any) -> HttpResponse:
    context = _detail_context(org, shift, error=error, **forms_)
    return render(request, "warmline/shifts/shift.html", context, status=400)


@org_view("warmline.view")
@require_GET
def shift_detail(request: HttpRequest, org: OrgContext, shift_id: Any) -> HttpResponse:
    shift = access_shift(org, shift_id)
    return render(request, "warmline/shifts/shift.html", _detail_context(org, shift))


@org_view("shifts.signup")
@require_POST
def shift_signup(request: HttpRequest, org: OrgContext, shift_id: Any) -> HttpResponse:
    shift = access_shift(org, shift_id)
    try:
        rota.shift_signup(acting_user=org.user, shift=shift)
    except ValidationError as exc:
        return _refused(request, org, shift, " ".join(exc.messages))
    messages.success(request, _("You are on this shift."))
    return _shift_page(org, shift)


@org_view("shifts.manage")
@require_POST
def shift_assign(request: HttpRequest, org: OrgContext, shift_id: Any) -> HttpResponse:
    shift = access_shift(org, shift_id)
    form = AssignForm(request.POST, organisation=org.organisation)
    if form.is_valid():
        try:
            rota.shift_assign(acting_user=org.user, shift=shift, user=form.cleaned_data["user"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is on the shift.") % {"name": form.cleaned_data["user"].display_name})
            return _shift_page(org, shift)
    return _refused(request, org, shift, first_error(form), assign_form=form)


@org_view("shifts.manage")
@require_POST
def shift_unassign(request: HttpRequest, org: OrgContext, shift_id: Any) -> HttpResponse:
    shift = access_shift(org, shift_id)
    form = UnassignForm(request.POST)
    assignment = None
    if form.is_valid():
        assignment = ShiftAssignment.objects.filter(
            organisation=org.organisation, shift=shift, pk=form.cleaned_data["assignment"]
        ).first()
    if assignment is None:
        return _refused(request, org, shift, _("Choose a person who is on this shift."))
    try:
        rota.shift_unassign(acting_user=org.user, assignment=assignment)
    except ValidationError as exc:
        return _refused(request, org, shift, " ".join(exc.messages))
    messages.success(request, _("%(name)s is off the shift.") % {"name": assignment.user.display_name})
    return _shift_page(org, shift)


@org_view("shifts.manage")
@require_POST
def shift_supervisor(request: HttpRequest, org: OrgContext, shift_id: Any) -> HttpResponse:
    shift = access_shift(org, shift_id)
    form = SupervisorForm(request.POST, organisation=org.organisation)
    if form.is_valid():
        try:
            rota.supervisor_set(acting_user=org.user, shift=shift, supervisor=form.cleaned_data["supervisor"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The supervisor on duty was saved."))
            return _shift_page(org, shift)
    return _refused(request, org, shift, first_error(form), supervisor_form=form)


@org_view("shifts.manage")
@require_POST
def shift_cancel(request: HttpRequest, org: OrgContext, shift_id: Any) -> HttpResponse:
    shift = access_shift(org, shift_id)
    try:
        rota.shift_cancel(acting_user=org.user, shift=shift)
    except ValidationError as exc:
        return _refused(request, org, shift, " ".join(exc.messages))
    messages.success(request, _("The shift is cancelled. It shows as cancelled in people's calendars."))
    return _shift_page(org, shift)


# --- Patterns and one-off shifts -------------------------------------------------------------------


def _pattern_words(pattern: ShiftPattern) -> str:
    parts = dict(p.split("=", 1) for p in pattern.rrule.split(";"))
    names = dict(WEEKDAY_CHOICES)
    days = ", ".join(str(names[d]) for d in parts.get("BYDAY", "").split(",") if d in names)
    every = int(parts.get("INTERVAL", "1"))
    words = _("%(days)s at %(time)s for %(minutes)d minutes") % {
        "days": days,
        "time": pattern.start_time.strftime("%H:%M"),
        "minutes": pattern.duration_minutes,
    }
    if every > 1:
        words += " · " + _("every %(n)d weeks") % {"n": every}
    return words


@org_view("shifts.manage")
@require_GET
def pattern_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    patterns = (
        ShiftPattern.objects.filter(organisation=org.organisation)
        .select_related("line")
        .order_by("line__name", "start_date", "start_time", "pk")
    )
    context = {"org": org, "patterns": [(p, _pattern_words(p)) for p in patterns], "zone": org.organisation.timezone}
    return render(request, "warmline/shifts/patterns.html", context)


def _form_page(
    request: HttpRequest,
    org: OrgContext,
    form: Any,
    heading: str,
    *,
    intro: str = "",
    button: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {"org": org, "form": form, "heading": heading, "intro": intro, "button": button}
    return render(request, "warmline/shifts/form.html", context, status=status)


@org_view("shifts.manage")
@require_http_methods(["GET", "POST"])
def pattern_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = PatternForm(request.POST or None, organisation=org.organisation)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rota.pattern_create(acting_user=org.user, **form.pattern_fields())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The recurring shift was added; its first weeks are on the rota."))
                return redirect("warmline:pattern_list", org.organisation.slug)
        status = 400
    intro = _(
        "Times are in the organisation's time zone (%(zone)s) and stay the same across daylight saving changes."
    ) % {"zone": org.organisation.timezone}
    return _form_page(request, org, form, _("A recurring shift"), intro=intro, button=_("Add"), status=status)


@org_view("shifts.manage")
@require_http_methods(["GET", "POST"])
def pattern_end(request: HttpRequest, org: OrgContext, pattern_id: Any) -> HttpResponse:
    pattern = access_pattern(org, pattern_id)
    form = PatternEndForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rota.pattern_end(acting_user=org.user, pattern=pattern, last_day=form.cleaned_data["last_day"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The recurring shift ends on that day; later shifts are cancelled."))
                return redirect("warmline:pattern_list", org.organisation.slug)
        status = 400
    intro = _("%(line)s: %(words)s") % {"line": pattern.line.name, "words": _pattern_words(pattern)}
    return _form_page(request, org, form, _("End a recurring shift"), intro=intro, button=_("End it"), status=status)


@org_view("shifts.manage")
@require_http_methods(["GET", "POST"])
def shift_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = OneOffForm(request.POST or None, organisation=org.organisation)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                shift = rota.shift_create(acting_user=org.user, **form.shift_fields())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The shift was added."))
                return _shift_page(org, shift)
        status = 400
    intro = _("Times are in the organisation's time zone (%(zone)s).") % {"zone": org.organisation.timezone}
    return _form_page(request, org, form, _("A one-off shift"), intro=intro, button=_("Add"), status=status)


# --- Swaps -----------------------------------------------------------------------------------------


def _swaps_page(request: HttpRequest, org: OrgContext, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "org": org,
        "swaps": rota.swaps_open(org.organisation),
        "zone": org.organisation.timezone,
        "error": error,
    }
    return render(request, "warmline/shifts/swaps.html", context, status=status)


@org_view("shifts.manage")
@require_GET
def swap_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    return _swaps_page(request, org)


@org_view("shifts.signup")
@require_http_methods(["GET", "POST"])
def swap_offer(request: HttpRequest, org: OrgContext, assignment_id: Any) -> HttpResponse:
    assignment = access_own_assignment(org, assignment_id)
    form = SwapOfferForm(request.POST or None, organisation=org.organisation, exclude=org.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rota.swap_request(
                    acting_user=org.user, assignment=assignment, offered_to=form.cleaned_data["offered_to"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Your shift is offered. You stay on it until a coordinator approves a swap.")
                )
                return _mine(org)
        status = 400
    local = timezone.localtime(assignment.shift.starts_at, _zone(org))
    intro = _("%(line)s, %(when)s") % {"line": assignment.shift.line.name, "when": local.strftime("%Y-%m-%d %H:%M")}
    return _form_page(request, org, form, _("Offer a swap"), intro=intro, button=_("Offer it"), status=status)


def _swap_action(request: HttpRequest, org: OrgContext, swap_id: Any, action: str) -> HttpResponse:
    swap = access_swap(org, swap_id)
    done = {
        "accept": (rota.swap_accept, {}, _("You took the swap. A coordinator approves it next.")),
        "decline": (rota.swap_decline, {}, _("You declined the swap.")),
        "withdraw": (rota.swap_withdraw, {}, _("Your offer is withdrawn.")),
        "approve": (rota.swap_approve, {}, _("The swap is approved.")),
        "refuse": (rota.swap_decline, {"as_coordinator": True}, _("The swap is declined.")),
    }
    service, extra, words = done[action]
    try:
        service(acting_user=org.user, swap=swap, **extra)
    except ValidationError as exc:
        if action in ("approve", "refuse"):
            return _swaps_page(request, org, error=" ".join(exc.messages), status=400)
        return _my_page(request, org, error=" ".join(exc.messages), status=400)
    messages.success(request, words)
    if action in ("approve", "refuse"):
        return redirect("warmline:swap_list", org.organisation.slug)
    return _mine(org)


@org_view("shifts.signup")
@require_POST
def swap_accept(request: HttpRequest, org: OrgContext, swap_id: Any) -> HttpResponse:
    return _swap_action(request, org, swap_id, "accept")


@org_view("shifts.signup")
@require_POST
def swap_decline(request: HttpRequest, org: OrgContext, swap_id: Any) -> HttpResponse:
    return _swap_action(request, org, swap_id, "decline")


@org_view("shifts.signup")
@require_POST
def swap_withdraw(request: HttpRequest, org: OrgContext, swap_id: Any) -> HttpResponse:
    return _swap_action(request, org, swap_id, "withdraw")


@org_view("shifts.manage")
@require_POST
def swap_approve(request: HttpRequest, org: OrgContext, swap_id: Any) -> HttpResponse:
    return _swap_action(request, org, swap_id, "approve")


@org_view("shifts.manage")
@require_POST
def swap_refuse(request: HttpRequest, org: OrgContext, swap_id: Any) -> HttpResponse:
    return _swap_action(request, org, swap_id, "refuse")


# --- My shifts, my status, my calendar ---------------------------------------------------------------


def _my_page(
    request: HttpRequest, org: OrgContext, *, error: str = "", status_form: Any = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    current = rota.current_shift(org.user, org.organisation, now)
    may_take = rota.may_take_shifts(org.user, org.organisation)
    open_shifts = []
    if may_take:
        mine = {
            a.shift_id
            for a in ShiftAssignment.objects.filter(
                organisation=org.organisation, user=org.user, state=AssignmentState.ACTIVE
            )
        }
        open_shifts = [
            c
            for c in rota.coverage(org.organisation, now, now + OPEN_AHEAD)
            if not c.shift.cancelled and not c.full and c.shift.pk not in mine
        ]
    token = calendars_shifts.shift_token(org.user, org.organisation)
    context = {
        "org": org,
        "assignments": rota.my_assignments(org.user, org.organisation, since=now),
        "offers": rota.swaps_for(org.user, org.organisation),
        "open_shifts": open_shifts,
        "may_take": may_take,
        "current": current,
        "current_status": rota.status_of(org.user, org.organisation, now) if current else None,
        "status_form": status_form or StatusForm(),
        "feed_url": request.build_absolute_uri(reverse("warmline:shift_calendar", args=[token])),
        "error": error,
        "now": now,
        "zone": org.organisation.timezone,
    }
    return render(request, "warmline/shifts/mine.html", context, status=status)


@org_view("shifts.signup")
@require_GET
@no_store
def my_shifts(request: HttpRequest, org: OrgContext) -> HttpResponse:
    return _my_page(request, org)


@org_view("shifts.signup")
@require_POST
def status_set(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            rota.status_set(acting_user=org.user, organisation=org.organisation, status=form.cleaned_data["status"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your status is saved."))
            return _mine(org)
    return _my_page(request, org, error=first_error(form), status_form=form, status=400)


@public
@require_GET
@no_store
def shift_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The person's private feed (a signed token, not a session: calendar apps fetch it)."""
    found = calendars_shifts.person_from_token(token)
    if found is None:
        raise Http404
    user, organisation = found
    with tenant_scope(organisation):
        shifts = rota.shifts_of(user, organisation)
        text = calendars_shifts.calendar(shifts, user, name=_("My shifts · %(org)s") % {"org": organisation.name})
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="my-shifts.ics"'
    return response
