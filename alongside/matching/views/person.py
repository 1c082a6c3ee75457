"""The person's own mentorship pages under their private link (``/me/mentorship/...``).

No account: ``people.views.rights.self_service`` gives each view the private link, inside the
person's organisation's tenant scope; pages are never cached and always show the crisis notice
(``base_public.html``). A request or match id in the URL or the form that is not this person's
answers exactly like a missing one (404). Every showing of what the person shared (the reasons of a
suggestion, the support plan) is in the access log, and every step they take is audited with the
role "participant".

* waiting: three to five suggested peer supporters (first name, their own bio, what you both chose
  to share, when they are free; never their caseload or wellbeing), choose one or ask for more;
* a peer supporter asked: who, and that they can ask for someone else;
* matched: their peer supporter, the next session with a calendar invite, the support plan (theirs
  to edit), the sessions; a different peer supporter at any time, without a reason;
* closed: the summary to keep (a page and a PDF).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import parse_uuid_or_404
from alongside.accounts.models import User
from alongside.core.forms import add_service_errors
from alongside.core.pdf import attachment_disposition
from alongside.core.policy import public
from alongside.matching import mentorship, selectors, services
from alongside.matching.forms import PersonRequestForm
from alongside.matching.forms_mentorship import ChooseForm, MoreForm, PlanForm
from alongside.matching.models import (
    OPEN_MATCH_STATUSES,
    MadeBy,
    Match,
    MatchRequest,
    MatchStatus,
    RequestStatus,
)
from alongside.matching.views.mentorship import ics_response, session_to_download
from alongside.people.models import ParticipantAccessLink, PeerProfile
from alongside.people.views.self_service import no_store, self_service

SUGGESTIONS_SHOWN = 5
MAX_ROUNDS = 6
ROUND_KEY = "alongside_mentorship_round"


def _peer_name(user: User) -> str:
    return selectors.first_name(user.preferred_name or user.full_name or "")


def _own_request(link: ParticipantAccessLink, request_id: Any, *, status: str | None = None) -> MatchRequest:
    qs = MatchRequest.objects.filter(
        organisation=link.organisation_id, participant=link.participant, pk=parse_uuid_or_404(request_id)
    )
    if status is not None:
        qs = qs.filter(status=status)
    request = qs.select_related("participant", "program", "organisation").first()
    if request is None:
        raise Http404
    return request


def _own_match(link: ParticipantAccessLink, match_id: Any, statuses: Any) -> Match:
    match = (
        Match.objects.filter(
            organisation=link.organisation_id,
            participant=link.participant,
            pk=parse_uuid_or_404(match_id),
            status__in=list(statuses),
        )
        .select_related("participant", "peer", "program", "organisation", "request")
        .first()
    )
    if match is None:
        raise Http404
    return match


def _rounds(request: HttpRequest) -> dict[str, int]:
    data = request.session.get(ROUND_KEY)
    return data if isinstance(data, dict) else {}


def _suggestions(request: HttpRequest, waiting: MatchRequest) -> dict[str, Any]:
    """This round's suggestions for a waiting request (round 1: the best five; each "show me more"
    the next five)."""
    rounds = _rounds(request)
    round_ = max(1, min(int(rounds.get(str(waiting.pk), 1) or 1), MAX_ROUNDS))
    found = selectors.suggestions_for(waiting, k=SUGGESTIONS_SHOWN * round_)
    shown = found[SUGGESTIONS_SHOWN * (round_ - 1) :]
    if shown:
        services.match_suggestions_viewed(acting_user=None, request=waiting, by_person=True)
    return {
        "request": waiting,
        "round": round_,
        "suggestions": [
            {
                "peer_id": s.peer.pk,
                "first_name": s.first_name,
                "bio": s.profile.bio,
                "explanation": s.explanation,
                "availability": selectors.availability_words(s.profile.availability),
            }
            for s in shown
        ],
        "may_ask_more": len(found) == SUGGESTIONS_SHOWN * round_ and round_ < MAX_ROUNDS,
        "choose_form": ChooseForm(initial={"request": waiting.pk}),
    }


def _overview(request: HttpRequest, link: ParticipantAccessLink, *, status: int = 200, error: str = "") -> HttpResponse:
    participant = link.participant
    requests = list(
        MatchRequest.objects.filter(
            organisation=link.organisation_id,
            participant=participant,
            status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED],
        )
        .select_related("program", "organisation", "participant")
        .defer("note")
        .order_by("waiting_since", "id")
    )
    matches = list(
        Match.objects.filter(organisation=link.organisation_id, participant=participant)
        .exclude(status__in=[MatchStatus.DECLINED_BY_PEER, MatchStatus.WITHDRAWN, MatchStatus.CHANGED_BY_PERSON])
        .select_related("peer", "program")
        .order_by("-proposed_at", "-id")
    )
    waiting = [_suggestions(request, r) for r in requests if r.status == RequestStatus.WAITING]
    asked = [m for m in matches if m.status == MatchStatus.PROPOSED]
    going = [m for m in matches if m.status in mentorship.GOING_ON]
    closed = [m for m in matches if m.status == MatchStatus.CLOSED]
    context = {
        "participant": participant,
        "organisation": participant.organisation,
        "link": link,
        "may_ask": _programs_to_ask(link).exists(),
        "waiting": waiting,
        "asked": [{"match": m, "peer_name": _peer_name(m.peer)} for m in asked],
        "going": [{"match": m, "peer_name": _peer_name(m.peer)} for m in going],
        "closed": [{"match": m, "peer_name": _peer_name(m.peer)} for m in closed],
        "error": error,
    }
    return render(request, "matching/person/overview.html", context, status=status)


@public
@require_GET
@no_store
@self_service
def self_mentorship(request: HttpRequest, link: ParticipantAccessLink) -> HttpResponse:
    return _overview(request, link)


def _programs_to_ask(link: ParticipantAccessLink) -> Any:
    """Mentorship programs where this person is not already waiting, being matched, or with a
    peer supporter (for a different one they use "ask for someone else")."""
    waiting = MatchRequest.objects.filter(
        organisation=link.organisation_id,
        participant=link.participant,
        status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED],
    ).values("program_id")
    going = Match.objects.filter(
        organisation=link.organisation_id, participant=link.participant, status__in=list(OPEN_MATCH_STATUSES)
    ).values("program_id")
    return selectors.mentorship_programs(link.participant.organisation).exclude(pk__in=waiting).exclude(pk__in=going)


@public
@require_http_methods(["GET", "POST"])
@no_store
@self_service
def self_request(request: HttpRequest, link: ParticipantAccessLink) -> HttpResponse:
    """The person asks for a one-on-one peer supporter themselves: the coordinator's questions in
    their own words, then straight to the peer supporters they can choose from."""
    participant = link.participant
    programs = _programs_to_ask(link)
    form = PersonRequestForm(
        request.POST if request.method == "POST" else None,
        participant=participant,
        programs=programs,
        experiences=selectors.shareable_experiences(participant),
        initial={"program": programs.first()} if request.method == "GET" else {},
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = services.match_request_create(
                acting_user=None, participant=participant, made_by=MadeBy.PERSON, **form.service_kwargs()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if made.screening_tier == "urgent":
                from alongside.warmline.chat import crisis_options

                options = "; ".join(o["label"] for o in crisis_options(participant.organisation))
                messages.warning(
                    request,
                    _(
                        "What you wrote sounds like you may be in danger right now. We are not a crisis service and "
                        "may not see it straight away; please reach out now: %(options)s"
                    )
                    % {"options": options},
                )
            messages.success(
                request,
                _("Thank you. Here are peer supporters who could walk alongside you. Take your time choosing."),
            )
            return redirect("matching:self_mentorship")
    context = {
        "participant": participant,
        "organisation": participant.organisation,
        "form": form,
        "has_programs": programs.exists(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "matching/person/request_form.html", context, status=status)


@public
@require_POST
@no_store
@self_service
def self_choose(request: HttpRequest, link: ParticipantAccessLink) -> HttpResponse:
    form = ChooseForm(request.POST)
    if not form.is_valid():
        return _overview(request, link, status=400, error=_("Choose one of the peer supporters suggested to you."))
    waiting = _own_request(link, form.cleaned_data["request"])
    profile = (
        PeerProfile.objects.filter(organisation=link.organisation_id, user_id=form.cleaned_data["peer"])
        .select_related("user")
        .first()
    )
    if profile is None:
        return _overview(request, link, status=400, error=_("Choose one of the peer supporters suggested to you."))
    try:
        services.match_choose(acting_user=None, request=waiting, peer=profile.user)
    except ValidationError as exc:
        return _overview(
            request,
            link,
            status=400,
            error=_("We could not ask this peer supporter: %(why)s Please choose another.")
            % {"why": " ".join(exc.messages)},
        )
    rounds = _rounds(request)
    rounds.pop(str(waiting.pk), None)
    request.session[ROUND_KEY] = rounds
    messages.success(
        request,
        _("Thank you. We have asked %(name)s, and we will let you know when they answer.")
        % {"name": _peer_name(profile.user)},
    )
    return redirect("matching:self_mentorship")


@public
@require_POST
@no_store
@self_service
def self_more(request: HttpRequest, link: ParticipantAccessLink) -> HttpResponse:
    """ "Show me other peer supporters": the next suggestions (recorded as the person's choice)."""
    form = MoreForm(request.POST)
    if not form.is_valid():
        raise Http404
    waiting = _own_request(link, form.cleaned_data["request"], status=RequestStatus.WAITING)
    mentorship.more_suggestions_asked(request=waiting)
    rounds = _rounds(request)
    rounds[str(waiting.pk)] = min(int(rounds.get(str(waiting.pk), 1) or 1) + 1, MAX_ROUNDS)
    request.session[ROUND_KEY] = rounds
    return redirect("matching:self_mentorship")


@public
@require_GET
@no_store
@self_service
def self_match(request: HttpRequest, link: ParticipantAccessLink, match_id: str) -> HttpResponse:
    match = _own_match(link, match_id, (*mentorship.GOING_ON, MatchStatus.CLOSED))
    if match.status == MatchStatus.CLOSED:
        return redirect("matching:self_summary", match.pk)
    mentorship.mentorship_viewed(acting_user=None, match=match)
    plan = mentorship.plan_of(match)
    profile = PeerProfile.objects.filter(organisation=link.organisation_id, user=match.peer).first()
    context = {
        "participant": link.participant,
        "organisation": link.participant.organisation,
        "match": match,
        "peer_name": _peer_name(match.peer),
        "peer_bio": profile.bio if profile else "",
        "plan": plan,
        "plan_lists": {
            "goals": mentorship.lines(plan.goals) if plan else [],
            "steps": mentorship.lines(plan.steps) if plan else [],
            "supports": mentorship.lines(plan.supports) if plan else [],
        },
        "frequency": mentorship.frequency_label(plan.check_in_frequency) if plan else "",
        "next_session": mentorship.next_session_of(match),
        "cancelled_session": mentorship.cancelled_session_of(match),
        "sessions": list(mentorship.sessions(match)[:50]),
    }
    return render(request, "matching/person/mentorship.html", context)


@public
@require_http_methods(["GET", "POST"])
@no_store
@self_service
def self_plan(request: HttpRequest, link: ParticipantAccessLink, match_id: str) -> HttpResponse:
    match = _own_match(link, match_id, mentorship.GOING_ON)
    plan = mentorship.plan_of(match)
    conflict = False
    if request.method == "POST":
        form = PlanForm(request.POST, for_person=True)
        if form.is_valid():
            try:
                mentorship.plan_update(acting_user=None, match=match, **form.service_kwargs())
            except ValidationError as exc:
                if "version" in getattr(exc, "error_dict", {}):
                    plan = mentorship.plan_of(match)
                    form = form.rebased(plan.version if plan else 0, exc.message_dict["version"])
                    conflict = True
                else:
                    add_service_errors(form, exc)
            else:
                messages.success(request, _("Your plan is saved. Your peer supporter will see it."))
                return redirect("matching:self_match", match.pk)
    else:
        mentorship.mentorship_viewed(acting_user=None, match=match)
        form = PlanForm(initial=mentorship.plan_as_dict(plan), for_person=True)
    context = {
        "participant": link.participant,
        "organisation": link.participant.organisation,
        "match": match,
        "peer_name": _peer_name(match.peer),
        "form": form,
        # The plan changed while they were editing: show it as it is now, above their words.
        "current": plan if conflict else None,
        "current_lists": {key: mentorship.lines(getattr(plan, key)) for key in ("goals", "steps", "supports")}
        if conflict and plan
        else {},
        "current_frequency": mentorship.frequency_label(plan.check_in_frequency) if conflict and plan else "",
    }
    return render(request, "matching/person/plan_form.html", context, status=400 if request.method == "POST" else 200)


@public
@require_http_methods(["GET", "POST"])
@no_store
@self_service
def self_change(request: HttpRequest, link: ParticipantAccessLink, match_id: str) -> HttpResponse:
    """Ask for a different peer supporter, at any time, without giving a reason."""
    match = _own_match(link, match_id, OPEN_MATCH_STATUSES)
    if request.method == "POST":
        try:
            services.match_change_peer(acting_user=None, match=match)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _(
                    "Thank you for telling us. %(name)s will not be suggested to you again. Here are other peer "
                    "supporters you could choose."
                )
                % {"name": _peer_name(match.peer)},
            )
        return redirect("matching:self_mentorship")
    context = {
        "participant": link.participant,
        "organisation": link.participant.organisation,
        "match": match,
        "peer_name": _peer_name(match.peer),
    }
    return render(request, "matching/person/change.html", context)


@public
@require_GET
@no_store
@self_service
def self_ics(request: HttpRequest, link: ParticipantAccessLink, match_id: str) -> HttpResponse:
    # The invite; once cancelled (also by pausing or closing), the cancellation until its end.
    match = _own_match(link, match_id, (*mentorship.GOING_ON, MatchStatus.CLOSED))
    ns = session_to_download(match)
    if ns is None:
        raise Http404
    mentorship.next_session_downloaded(acting_user=None, ns=ns)
    return ics_response(ns)


def _own_summary(link: ParticipantAccessLink, match_id: str) -> tuple[Match, Any]:
    match = _own_match(link, match_id, (MatchStatus.CLOSED,))
    summary = mentorship.summary_of(match)
    if summary is None:
        raise Http404
    return match, summary


@public
@require_GET
@no_store
@self_service
def self_summary(request: HttpRequest, link: ParticipantAccessLink, match_id: str) -> HttpResponse:
    match, summary = _own_summary(link, match_id)
    mentorship.mentorship_viewed(acting_user=None, match=match)
    plan = summary.plan
    context = {
        "participant": link.participant,
        "organisation": link.participant.organisation,
        "match": match,
        "summary": summary,
        "facts": mentorship.summary_facts(match),
        "lists": {key: mentorship.lines(plan.get(key, "")) for key in ("goals", "steps", "supports")},
        "frequency": mentorship.frequency_label(plan.get("check_in_frequency", "")),
        "how": plan.get("check_in_how", ""),
        "cancelled_session": mentorship.cancelled_session_of(match),
    }
    return render(request, "matching/person/summary.html", context)


@public
@require_GET
@no_store
@self_service
def self_summary_pdf(request: HttpRequest, link: ParticipantAccessLink, match_id: str) -> HttpResponse:
    match, summary = _own_summary(link, match_id)
    mentorship.closure_summary_downloaded(acting_user=None, summary=summary)
    response = HttpResponse(mentorship.closure_summary_pdf(match, summary), content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition("my-peer-support-summary.pdf")
    return response
