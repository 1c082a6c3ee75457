"""Staff pages for groups under ``/app/<org>/groups/``: the list, a group (schedules in plain words,
the next sessions with cancel and move, one-off sessions, agreement versions, facilitators), the
group form, schedules, the agreement, the status; the facilitator's "subscribe to your calendar"
page; and the two calendar feeds (public per group, private per facilitator). Thin: reads through
``groups.selectors``, writes through ``groups.services``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts import selectors as account_selectors
from alongside.accounts.access import OrgContext, org_view, parse_uuid_or_404
from alongside.accounts.models import Program
from alongside.core.forms import add_service_errors
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.groups import calendars, selectors, services
from alongside.groups.access import access_group, access_schedule, may_facilitate, sees_all_groups, visible_groups
from alongside.groups.forms import (
    AgreementForm,
    GroupForm,
    NoteForm,
    ScheduleEndForm,
    ScheduleForm,
    SessionTimeForm,
    StatusForm,
)
from alongside.groups.models import Group, GroupStatus, Session
from alongside.groups.schedules import occurrences
from alongside.groups.vocab import GroupFormat
from alongside.people.views.self_service import no_store


def _detail(org: OrgContext, group: Group) -> HttpResponse:
    return redirect("groups:group_detail", org.organisation.slug, group.pk)


# --- Groups --------------------------------------------------------------------------------------


@org_view("groups.view")
@require_GET
def group_list(request: HttpRequest, org: OrgContext) -> HttpResponse:
    filters = selectors.GroupFilters.from_query(request.GET)
    groups = selectors.group_list(org, filters)
    context = {
        "org": org,
        "groups": [(g, [selectors.schedule_words(s, g.timezone) for s in g.schedules.all()]) for g in groups],
        "mine": selectors.my_groups(org.organisation, org.user) if sees_all_groups(org) else [],
        "filters": filters,
        "programs": Program.objects.filter(
            organisation=org.organisation, pk__in=visible_groups(org).values("program_id")
        ),
        "statuses": GroupStatus.choices,
        "formats": GroupFormat.choices,
        "can_change": org.can("groups.change"),
    }
    return render(request, "groups/staff/list.html", context)


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest, org: OrgContext) -> HttpResponse:
    form = GroupForm(request.POST or None, organisation=org.organisation)
    if request.method == "POST":
        if form.is_valid():
            try:
                group = services.group_create(
                    acting_user=org.user,
                    organisation=org.organisation,
                    co_facilitators=form.cleaned_data["co_facilitators"],
                    **form.group_fields(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The group was created. Add when it meets next."))
                return _detail(org, group)
        return render(request, "groups/staff/form.html", {"org": org, "form": form, "group": None}, status=400)
    return render(request, "groups/staff/form.html", {"org": org, "form": form, "group": None})


@org_view("groups.view")
@require_GET
def group_detail(request: HttpRequest, org: OrgContext, group_id: Any) -> HttpResponse:
    group = access_group(org, group_id)
    detail = selectors.group_detail(group)
    context = {
        "org": org,
        "group": group,
        "detail": detail,
        "schedules": [(s, selectors.schedule_words(s, group.timezone)) for s in detail.schedules],
        # Wall-clock time in the group's zone (naive, so templates do not convert it again).
        "sessions": [
            (o, selectors.local(o.starts_at, group.timezone).replace(tzinfo=None)) for o in detail.next_sessions
        ],
        "can_change": org.can("groups.change"),
        "runs": may_facilitate(org, group),
    }
    return render(request, "groups/staff/detail.html", context)


def _initial(group: Group) -> dict[str, Any]:
    initial = {name: getattr(group, name) for name in services.GROUP_FIELDS}
    initial["co_facilitators"] = list(group.co_facilitators.all())
    return initial


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, org: OrgContext, group_id: Any) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    form = GroupForm(request.POST or None, organisation=org.organisation, initial=_initial(group))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.group_update(
                    acting_user=org.user,
                    group=group,
                    co_facilitators=form.cleaned_data["co_facilitators"],
                    **form.group_fields(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return _detail(org, group)
        return render(request, "groups/staff/form.html", {"org": org, "form": form, "group": group}, status=400)
    return render(request, "groups/staff/form.html", {"org": org, "form": form, "group": group})


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def group_status(request: HttpRequest, org: OrgContext, group_id: Any) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    form = StatusForm(request.POST or None, initial={"status": group.status})
    if request.method == "POST":
        if form.is_valid():
            services.group_set_status(acting_user=org.user, group=group, status=form.cleaned_data["status"])
            messages.success(request, _("The group's status was saved."))
            return _detail(org, group)
        return _simple(request, org, group, form, _("Is the group meeting?"), status=400)
    return _simple(request, org, group, form, _("Is the group meeting?"))


def _simple(
    request: HttpRequest,
    org: OrgContext,
    group: Group,
    form: Any,
    heading: str,
    *,
    intro: str = "",
    button: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {"org": org, "group": group, "form": form, "heading": heading, "intro": intro, "button": button}
    return render(request, "groups/staff/simple_form.html", context, status=status)


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def agreement_publish(request: HttpRequest, org: OrgContext, group_id: Any) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    current = services.current_agreement(group)
    form = AgreementForm(request.POST or None, initial={"text": current.text if current else ""})
    if request.method == "POST":
        if form.is_valid():
            try:
                agreement = services.agreement_publish(
                    acting_user=org.user, group=group, text=form.cleaned_data["text"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Version %(version)d of the agreement is published.") % {"version": agreement.version}
                )
                return _detail(org, group)
        status = 400
    else:
        status = 200
    intro = _("Registered people acknowledge the version they read. Earlier versions are kept.")
    return _simple(
        request, org, group, form, _("Group agreement"), intro=intro, button=_("Publish a new version"), status=status
    )


# --- Schedules -----------------------------------------------------------------------------------


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def schedule_add(request: HttpRequest, org: OrgContext, group_id: Any) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.schedule_add(acting_user=org.user, group=group, **form.schedule_fields())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The schedule was added."))
                return _detail(org, group)
        status = 400
    else:
        status = 200
    intro = _("Times are in the group's time zone (%(zone)s) and stay the same across daylight saving changes.") % {
        "zone": group.timezone
    }
    return _simple(
        request, org, group, form, _("When the group meets"), intro=intro, button=_("Add schedule"), status=status
    )


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, org: OrgContext, group_id: Any, schedule_id: Any) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    schedule = access_schedule(org, group, schedule_id)
    form = ScheduleForm(request.POST or None, initial=ScheduleForm.initial_for(schedule))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.schedule_update(acting_user=org.user, schedule=schedule, **form.schedule_fields())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The schedule was saved."))
                return _detail(org, group)
        status = 400
    else:
        status = 200
    intro = _("Sessions already moved or cancelled keep their own times.")
    return _simple(
        request, org, group, form, _("Change the schedule"), intro=intro, button=_("Save schedule"), status=status
    )


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def schedule_end(request: HttpRequest, org: OrgContext, group_id: Any, schedule_id: Any) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    schedule = access_schedule(org, group, schedule_id)
    form = ScheduleEndForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.schedule_end(acting_user=org.user, schedule=schedule, last_date=form.cleaned_data["last_date"])
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("last_date", message)
            else:
                messages.success(request, _("The schedule ends on that date."))
                return _detail(org, group)
        status = 400
    else:
        status = 200
    intro = selectors.schedule_words(schedule, group.timezone)
    return _simple(
        request, org, group, form, _("End this schedule"), intro=intro, button=_("End the schedule"), status=status
    )


# --- Sessions ------------------------------------------------------------------------------------


def _row(group: Group, key: str) -> Session:
    """The existing row a session id names (a 404 when it is not one of the group's)."""
    session = Session.objects.filter(organisation=group.organisation_id, group=group, pk=parse_uuid_or_404(key)).first()
    if session is None:
        raise Http404
    return session


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def session_cancel(request: HttpRequest, org: OrgContext, group_id: Any, key: str) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        _check_key(group, key)
        if form.is_valid():
            try:
                services.session_cancel(acting_user=org.user, group=group, key=key, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The session is cancelled. It stays listed as cancelled."))
                return _detail(org, group)
        status = 400
    else:
        _check_key(group, key)
        status = 200
    return _simple(
        request,
        org,
        group,
        form,
        _("Cancel this session"),
        intro=_when(group, key),
        button=_("Cancel the session"),
        status=status,
    )


def _schedule_key(occurrence: Any) -> str:
    if occurrence.original_start is None:
        return ""
    return f"{occurrence.schedule_id}_{occurrence.original_start.astimezone(UTC):{services.KEY_TIME}}"


def _around(group: Group, key: str) -> list[Any]:
    """The group's occurrences at the time a schedule key names (none for a malformed key)."""
    try:
        moment = datetime.strptime(key.partition("_")[2], services.KEY_TIME).replace(tzinfo=UTC)
    except ValueError:
        raise Http404 from None
    return [
        o
        for o in occurrences(group, moment - timedelta(minutes=1), moment + timedelta(minutes=1))
        if key in (o.key, _schedule_key(o))
    ]


def _check_key(group: Group, key: str) -> None:
    """A GET must not create a row: check the key without materialising it (404 if not the group's)."""
    if "_" not in key:
        _row(group, key)
    elif not _around(group, key):
        raise Http404


def _when(group: Group, key: str) -> str:
    if "_" in key:
        found = _around(group, key)
        start = found[0].starts_at if found else None
    else:
        start = _row(group, key).starts_at
    if start is None:
        return ""
    return date_format(selectors.local(start, group.timezone), "l j F Y, P") + f" ({group.timezone})"


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def session_move(request: HttpRequest, org: OrgContext, group_id: Any, key: str) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    form = SessionTimeForm(request.POST or None, zone=group.timezone)
    if request.method == "POST":
        _check_key(group, key)
        if form.is_valid():
            try:
                services.session_move(
                    acting_user=org.user,
                    group=group,
                    key=key,
                    starts_at=form.starts_at(),
                    duration_minutes=form.cleaned_data["duration_minutes"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The session was moved."))
                return _detail(org, group)
        status = 400
    else:
        _check_key(group, key)
        status = 200
    return _simple(
        request, org, group, form, _("Move this session"), intro=_when(group, key), button=_("Move"), status=status
    )


@org_view("groups.change")
@require_POST
def session_reinstate(request: HttpRequest, org: OrgContext, group_id: Any, key: str) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    _check_key(group, key)
    try:
        services.session_reinstate(acting_user=org.user, group=group, key=key)
    except ValidationError:
        messages.info(request, _("This session is not cancelled."))
    else:
        messages.success(request, _("The session is back on."))
    return _detail(org, group)


@org_view("groups.change")
@require_http_methods(["GET", "POST"])
def session_add(request: HttpRequest, org: OrgContext, group_id: Any) -> HttpResponse:
    group = access_group(org, group_id, write=True)
    form = SessionTimeForm(request.POST or None, zone=group.timezone)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.session_add_one_off(
                    acting_user=org.user,
                    group=group,
                    starts_at=form.starts_at(),
                    duration_minutes=form.cleaned_data["duration_minutes"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The extra session was added."))
                return _detail(org, group)
        status = 400
    else:
        status = 200
    return _simple(
        request,
        org,
        group,
        form,
        _("Add a one-off session"),
        intro=_("For a session outside the usual schedule."),
        button=_("Add session"),
        status=status,
    )


# --- Calendars -----------------------------------------------------------------------------------


@org_view("groups.facilitate")
@require_GET
@no_store
def calendar_subscribe(request: HttpRequest, org: OrgContext) -> HttpResponse:
    token = calendars.facilitator_token(org.user, org.organisation)
    url = request.build_absolute_uri(reverse("groups:facilitator_calendar", args=[token]))
    context = {"org": org, "feed_url": url, "groups": selectors.my_groups(org.organisation, org.user)}
    return render(request, "groups/staff/calendar.html", context)


def _ics(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@public
@require_GET
def public_calendar(request: HttpRequest, org_slug: str, group_slug: str) -> HttpResponse:
    organisation = account_selectors.organisation_by_slug(org_slug)
    if organisation is None:
        raise Http404
    with tenant_scope(organisation):
        group = (
            Group.objects.filter(organisation=organisation, slug=group_slug, is_public=True)
            .exclude(status=GroupStatus.ENDED)
            .first()
        )
        if group is None:
            raise Http404
        text = calendars.public_group_calendar(group)
    response = _ics(text, f"{group.slug}.ics")
    response["Cache-Control"] = "public, max-age=900"
    return response


@public
@require_GET
@no_store
def facilitator_calendar(request: HttpRequest, token: str) -> HttpResponse:
    found = calendars.facilitator_from_token(token)
    if found is None:
        raise Http404
    user, organisation = found
    with tenant_scope(organisation):
        groups = calendars.facilitator_groups(user, organisation)
        text = calendars.calendar(groups, name=_("My groups · %(org)s") % {"org": organisation.name}, private=True)
    return _ics(text, "my-groups.ics")
