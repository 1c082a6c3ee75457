"""Running a session from a phone: the roster (one POST saves it all), reporting a safety concern,
the feedback link and QR code; and the group's feedback and counts pages.

The roster is for the group's facilitator and co-facilitators, and for coordinators and admins
(``groups.change``); anyone else, and any group or session of another organisation, gets the same
404 as a missing id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.groups import counts, running
from alongside.groups.access import access_group, access_group_to_facilitate
from alongside.groups.forms_roster import CountsForm, RosterForm, SafetyConcernForm
from alongside.groups.models import Group, Session


def group_in(org: OrgContext, group_id: Any) -> Group:
    """A group this person may see (``groups.access``), or the same 404 as a missing id."""
    return access_group(org, group_id)


def _running(org: OrgContext, group_id: Any, key: str) -> tuple[Group, Session]:
    group = access_group_to_facilitate(org, group_id)
    try:
        session = running.session_for(group=group, key=key)
    except Session.DoesNotExist as exc:
        raise Http404 from exc
    return group, session


def _people(session: Session) -> tuple[list[running.RosterRow], list[tuple[str, str]]]:
    rows = running.roster(session)
    return rows, [(str(row.registration.pk), row.registration.first_name) for row in rows]


def _feedback_url(request: HttpRequest, session: Session) -> str:
    return request.build_absolute_uri(reverse("groups:feedback", args=[running.feedback_token(session)]))


@org_view("groups.facilitate")
@require_http_methods(["GET", "POST"])
def roster(request: HttpRequest, org: OrgContext, group_id: str, key: str) -> HttpResponse:
    group, session = _running(org, group_id, key)
    rows, people = _people(session)
    status = 200
    if request.method == "POST":
        form = RosterForm(request.POST, people=people)
        if form.is_valid():
            try:
                running.attendance_save(acting_user=org.user, session=session, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved. You can change it at any time."))
                return redirect("groups:roster", org.organisation.slug, group.pk, session.pk)
        status = 400
    else:
        if session.notes:
            running.session_notes_viewed(acting_user=org.user, session=session)
        form = RosterForm(
            people=people,
            initial={
                "present": [str(row.registration.pk) for row in rows if row.present],
                "dropin_headcount": session.dropin_headcount,
                "topics": session.topics_discussed,
                "notes": session.notes,
            },
        )
    feedback_url = _feedback_url(request, session)
    qr = segno.make(feedback_url, error="m").svg_inline(scale=4, dark="#111", light="#fff", title=_("Feedback link"))
    context = {
        "org": org,
        "group": group,
        "session": session,
        "form": form,
        "feedback_url": feedback_url,
        "qr_svg": mark_safe(qr),  # noqa: S308 - segno's own SVG of our URL
        "too_early": session.starts_at > timezone.now() + timedelta(hours=1),
    }
    return render(request, "groups/roster/roster.html", context, status=status)


@org_view("safety.raise")
@require_http_methods(["GET", "POST"])
def roster_safety(request: HttpRequest, org: OrgContext, group_id: str, key: str) -> HttpResponse:
    group, session = _running(org, group_id, key)
    status = 200
    if request.method == "POST":
        form = SafetyConcernForm(request.POST)
        if form.is_valid():
            try:
                escalation = running.raise_safety_concern(
                    acting_user=org.user, session=session, summary=form.cleaned_data["summary"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                # The protocol, not a number (DOMAIN.md §6): straight to the concern's page, with the
                # crisis options, the organisation's checklist and the outcome to record.
                messages.success(request, _("Thank you for raising this. The steps below will guide you."))
                return redirect("safety:escalation", org.organisation.slug, escalation.pk)
        status = 400
    else:
        form = SafetyConcernForm()
    context = {"org": org, "group": group, "session": session, "form": form}
    return render(request, "groups/roster/safety.html", context, status=status)


@org_view("groups.feedback_view")
@require_GET
def feedback_summary(request: HttpRequest, org: OrgContext, group_id: str) -> HttpResponse:
    group = group_in(org, group_id)
    summaries = running.feedback_summary(acting_user=org.user, group=group)
    return render(request, "groups/roster/feedback.html", {"org": org, "group": group, "summaries": summaries})


@org_view("groups.view")
@require_GET
def group_counts(request: HttpRequest, org: OrgContext, group_id: str) -> HttpResponse:
    group = group_in(org, group_id)
    start, end = CountsForm.default_range()
    form = CountsForm(request.GET or None, initial={"start": start, "end": end})
    status = 200
    if request.GET:
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        else:
            status = 400
    result = counts.group_counts(group, start, end) if status == 200 else None
    context = {"org": org, "group": group, "form": form, "counts": result, "start": start, "end": end}
    return render(request, "groups/roster/counts.html", context, status=status)
