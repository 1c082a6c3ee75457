"""The staff mentorship page: the person's first name, the lifecycle steps this member may take, the
support plan, the sessions, the next session with its calendar invite, and the closure summary.

Reached through ``selectors.access_match`` (``mentorship.view`` and the record scope: a peer
supporter sees only their own mentorships, a supervisor their team's); anything outside it answers
like a missing id. The person's peer supporter, coordinators and admins may change things;
supervisors read. Every write goes through ``matching/mentorship.py`` or ``matching/services.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.core.pdf import attachment_disposition
from alongside.matching import mentorship, selectors, services
from alongside.matching.forms_mentorship import CloseForm, NextSessionForm, PauseForm, PlanForm, SessionForm
from alongside.matching.models import Match, MatchStatus
from alongside.people.access import visible_participants

SESSIONS_SHOWN = 50


def _can_work(org: OrgContext, match: Match) -> bool:
    """The person's peer supporter, or a coordinator or admin (supervisors read only)."""
    return org.user.pk == match.peer_id or org.can("matching.propose")


def _require_work(org: OrgContext, match: Match) -> None:
    if not _can_work(org, match):
        raise PermissionDenied


def _back(org: OrgContext, match: Match) -> HttpResponse:
    return redirect("matching:mentorship_detail", org.organisation.slug, match.pk)


def _plan_form(match: Match, plan: Any, data: Any = None) -> PlanForm:
    initial = mentorship.plan_as_dict(plan)
    return PlanForm(data, initial=initial)


def _page(
    request: HttpRequest, org: OrgContext, match: Match, *, forms: dict[str, Form] | None = None, status: int = 200
) -> HttpResponse:
    """The mentorship page; ``forms`` replaces a form with its bound, failed version (status 400)."""
    forms = forms or {}
    plan = mentorship.plan_of(match)
    can_work = _can_work(org, match)
    going_on = match.status in mentorship.GOING_ON
    session_rows = list(mentorship.sessions(match)[: SESSIONS_SHOWN + 1])
    next_session = mentorship.next_session_of(match) if going_on or match.status == MatchStatus.PROPOSED else None
    # Cancelled (by hand, or by pausing or ending): its cancellation stays downloadable until its end.
    cancelled_session = mentorship.cancelled_session_of(match) if next_session is None else None
    context: dict[str, Any] = {
        "org": org,
        "match": match,
        "participant": match.participant,
        "peer_name": match.peer.display_name,
        "plan": plan,
        "plan_lists": {
            "goals": mentorship.lines(plan.goals) if plan else [],
            "steps": mentorship.lines(plan.steps) if plan else [],
            "supports": mentorship.lines(plan.supports) if plan else [],
        },
        "frequency": mentorship.frequency_label(plan.check_in_frequency) if plan else "",
        "sessions": session_rows[:SESSIONS_SHOWN],
        "more_sessions": len(session_rows) > SESSIONS_SHOWN,
        "next_session": next_session,
        "cancelled_session": cancelled_session,
        "can_cancel": can_work and going_on and next_session is not None,
        "summary": mentorship.summary_of(match) if match.status == MatchStatus.CLOSED else None,
        "can_work": can_work,
        "going_on": going_on,
        "can_log": can_work and match.status in (MatchStatus.ACCEPTED, MatchStatus.ACTIVE),
        "can_pause": can_work and match.status == MatchStatus.ACTIVE,
        "can_resume": can_work and match.status == MatchStatus.PAUSED,
        "can_close": can_work and going_on,
        "can_open_record": visible_participants(org).filter(pk=match.participant_id).exists(),
    }
    if can_work and going_on:
        context["plan_form"] = forms.get("plan") or _plan_form(match, plan)
        context["next_form"] = forms.get("next") or NextSessionForm(
            organisation=org.organisation,
            initial={"duration_minutes": 60},
        )
        if context["can_log"]:
            context["session_form"] = forms.get("session") or SessionForm(organisation=org.organisation)
        if context["can_pause"]:
            context["pause_form"] = forms.get("pause") or PauseForm()
    if context["summary"] is not None:
        context["summary_plan"] = context["summary"].plan
        context["summary_lists"] = {
            key: mentorship.lines(context["summary_plan"].get(key, "")) for key in ("goals", "steps", "supports")
        }
        context["summary_frequency"] = mentorship.frequency_label(context["summary_plan"].get("check_in_frequency", ""))
    return render(request, "matching/mentorship/detail.html", context, status=status)


@org_view("mentorship.view")
@require_GET
def mentorship_detail(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.access_match(org, match_id)
    mentorship.mentorship_viewed(acting_user=org.user, match=match)
    return _page(request, org, match)


@org_view("mentorship.view")
@require_POST
def mentorship_plan(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.access_match(org, match_id)
    _require_work(org, match)
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            mentorship.plan_update(acting_user=org.user, match=match, **form.service_kwargs())
        except ValidationError as exc:
            if "version" in getattr(exc, "error_dict", {}):
                # Someone else saved first: their words are on the page, these are kept in the form.
                current = mentorship.plan_of(match)
                form = form.rebased(current.version if current else 0, exc.message_dict["version"])
            else:
                add_service_errors(form, exc)
        else:
            messages.success(request, _("The support plan is saved."))
            return _back(org, match)
    return _page(request, org, match, forms={"plan": form}, status=400)


@org_view("mentorship.view")
@require_POST
def mentorship_session(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.access_match(org, match_id)
    _require_work(org, match)
    form = SessionForm(request.POST, organisation=org.organisation)
    if form.is_valid():
        data = form.cleaned_data
        try:
            mentorship.session_log(
                acting_user=org.user,
                match=match,
                occurred_at=data["occurred_at"],
                duration_minutes=data["duration_minutes"],
                mode=data["mode"],
                topics=data["topics"],
                notes=data["notes"],
                follow_up_needed=data["follow_up_needed"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Session logged."))
            return _back(org, match)
    return _page(request, org, match, forms={"session": form}, status=400)


@org_view("mentorship.view")
@require_POST
def mentorship_next_session(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.access_match(org, match_id)
    _require_work(org, match)
    form = NextSessionForm(request.POST, organisation=org.organisation)
    if form.is_valid():
        data = form.cleaned_data
        try:
            mentorship.next_session_set(
                acting_user=org.user,
                match=match,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                mode=data["mode"],
                location=data["location"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The next session is set. You can add it to your calendar."))
            return _back(org, match)
    return _page(request, org, match, forms={"next": form}, status=400)


@org_view("mentorship.view")
@require_POST
def mentorship_next_session_cancel(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    """ "Yes, cancel this session" (the confirmation is on the page; no script needed)."""
    match = selectors.access_match(org, match_id)
    _require_work(org, match)
    try:
        mentorship.next_session_cancel(acting_user=org.user, match=match)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _page(request, org, match, status=400)
    messages.success(
        request,
        _(
            "The session is cancelled. Please let %(name)s know. If either of you added it to a calendar, "
            "download the cancellation to remove it."
        )
        % {"name": match.participant.preferred_name},
    )
    return _back(org, match)


def ics_response(ns: Any) -> HttpResponse:
    """The invite, or its cancellation once the session is cancelled (same file name: opening it
    updates the same calendar event)."""
    response = HttpResponse(mentorship.next_session_ics(ns), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = attachment_disposition("peer-support-session.ics")
    return response


def session_to_download(match: Match) -> Any:
    """What the .ics route serves: the upcoming session's invite while the mentorship goes on, else
    a cancelled session's cancellation until its original end (any status: pausing and ending cancel
    it), else nothing (404)."""
    upcoming = mentorship.next_session_of(match) if match.status in mentorship.GOING_ON else None
    return upcoming or mentorship.cancelled_session_of(match)


@org_view("mentorship.view")
@require_GET
def mentorship_ics(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.access_match(org, match_id)
    ns = session_to_download(match)
    if ns is None:
        raise Http404
    mentorship.next_session_downloaded(acting_user=org.user, ns=ns)
    return ics_response(ns)


@org_view("mentorship.view")
@require_POST
def mentorship_pause(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.access_match(org, match_id)
    _require_work(org, match)
    form = PauseForm(request.POST)
    if form.is_valid():
        try:
            services.match_pause(acting_user=org.user, match=match, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The mentorship is paused. Resume it whenever you are both ready."))
            return _back(org, match)
    return _page(request, org, match, forms={"pause": form}, status=400)


@org_view("mentorship.view")
@require_POST
def mentorship_resume(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.access_match(org, match_id)
    _require_work(org, match)
    try:
        services.match_resume(acting_user=org.user, match=match)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _page(request, org, match, status=400)
    messages.success(request, _("The mentorship is going again."))
    return _back(org, match)


@org_view("mentorship.view")
@require_http_methods(["GET", "POST"])
def mentorship_close(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    """Close with a reason and the summary the person keeps (both, or neither)."""
    match = selectors.access_match(org, match_id)
    _require_work(org, match)
    if match.status not in mentorship.GOING_ON:
        raise Http404
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            mentorship.mentorship_close(
                acting_user=org.user,
                match=match,
                reason=form.cleaned_data["reason"],
                worked_on=form.cleaned_data["worked_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The mentorship is closed. %(name)s can keep the summary through their private link.")
                % {"name": match.participant.preferred_name},
            )
            return _back(org, match)
    context = {"org": org, "match": match, "participant": match.participant, "form": form}
    return render(request, "matching/mentorship/close.html", context, status=400 if request.method == "POST" else 200)


@org_view("mentorship.view")
@require_GET
def mentorship_summary_pdf(request: HttpRequest, org: OrgContext, match_id: str) -> HttpResponse:
    match = selectors.access_match(org, match_id)
    summary = mentorship.summary_of(match) if match.status == MatchStatus.CLOSED else None
    if summary is None:
        raise Http404
    mentorship.closure_summary_downloaded(acting_user=org.user, summary=summary)
    response = HttpResponse(mentorship.closure_summary_pdf(match, summary), content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition("mentorship-summary.pdf")
    return response
