"""The coordinator's matching pages: the waiting list of each mentorship program, the match request
form, one request with its suggestions (and proposing a peer on the person's behalf), the batch
proposal to review and send, and the admin's weights.

Thin views: reads through ``matching.selectors`` (and ``people.access`` for the record scope),
writes through ``matching.services``. Showing reasons names lived experience the person shared
(P3), so each showing is logged through the services' ``*_viewed`` functions.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view, parse_uuid_or_404
from alongside.accounts.models import Program
from alongside.core.forms import add_service_errors
from alongside.matching import selectors, services
from alongside.matching.forms import BatchSendForm, MatchRequestForm, ProposeForm, RecordAnswerForm, WeightsForm
from alongside.matching.models import MatchRequest, MatchStatus, RequestStatus
from alongside.matching.scoring import SCALE
from alongside.people.access import access_participant
from alongside.people.forms.records import MODALITY_CHOICES, SPECIALTY_CHOICES
from alongside.people.models import Gender, Participant
from alongside.web.forms import LANGUAGE_CHOICES

PAGE_SIZE = 25
WITHOUT_REQUEST_SHOWN = 10
SUGGESTIONS = 5
MORE_SUGGESTIONS = 10
# A reviewed batch may be sent for this long; after that it is worked out again.
BATCH_MAX_AGE = 30 * 60
BATCH_SALT = "alongside.matching.batch"


def _names(values: list[str], choices: list[tuple[str, Any]]) -> list[str]:
    names = dict(choices)
    return [str(names.get(v, v)) for v in values]


def _mentorship_program(org: OrgContext, program_id: Any) -> Program:
    program = selectors.mentorship_programs(org.organisation).filter(pk=parse_uuid_or_404(program_id)).first()
    if program is None:
        raise Http404
    return program


def _access_request(org: OrgContext, request_id: Any) -> MatchRequest:
    request = selectors.match_request_in(org.organisation, parse_uuid_or_404(request_id))
    if request is None:
        raise Http404
    return request


def _request_detail_url(org: OrgContext, request: MatchRequest) -> str:
    return reverse("matching:request_detail", args=[org.organisation.slug, request.pk])


# --- The waiting lists ---------------------------------------------------------------------------


@org_view("matching.view")
@require_GET
def waiting_overview(request: HttpRequest, org: OrgContext) -> HttpResponse:
    queues = selectors.waiting_overview(org.organisation)
    if len(queues) == 1:
        return redirect("matching:waiting_list", org.organisation.slug, queues[0].program.pk)
    return render(request, "matching/coordinator/overview.html", {"org": org, "queues": queues})


def _brief(r: MatchRequest) -> list[str]:
    """What the person asked for, in a few words (never the note, never which lived experience)."""
    parts = []
    if r.languages:
        parts.append(", ".join(_names(r.languages, LANGUAGE_CHOICES)))
    if r.modalities:
        parts.append(", ".join(_names(r.modalities, MODALITY_CHOICES)))
    count = getattr(r, "experience_count", 0)
    if count:
        parts.append(
            ngettext("%(n)d area of lived experience", "%(n)d areas of lived experience", count) % {"n": count}
        )
    if r.specialties:
        parts.append(", ".join(_names(r.specialties, SPECIALTY_CHOICES)))
    if r.gender_preference:
        genders = ", ".join(_names(r.gender_preference, Gender.choices))
        parts.append(
            _("gender: %(g)s (a must)") % {"g": genders} if r.gender_required else _("gender: %(g)s") % {"g": genders}
        )
    return parts


@org_view("matching.view")
@require_GET
def waiting_list(request: HttpRequest, org: OrgContext, program_id: str) -> HttpResponse:
    program = _mentorship_program(org, program_id)
    page = Paginator(selectors.open_requests(org.organisation, program), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for r in page.object_list:
        proposals = getattr(r, "open_proposals", [])
        rows.append(
            {
                "request": r,
                "participant": r.participant,
                "waited": timesince(r.waiting_since, now, depth=1),
                "brief": _brief(r),
                "asked": selectors.first_name(proposals[0].peer.display_name) if proposals else "",
                "asked_at": proposals[0].proposed_at if proposals else None,
            }
        )
    can_propose = org.can("matching.propose")
    without: list[Participant] = []
    without_count = 0
    if can_propose and page.number == 1:
        candidates = selectors.people_without_request(org.organisation, program)
        without = list(candidates[:WITHOUT_REQUEST_SHOWN])
        without_count = candidates.count() if without else 0
    context = {
        "org": org,
        "program": program,
        "page": page,
        "rows": rows,
        "can_propose": can_propose,
        "without": without,
        "without_count": without_count,
    }
    return render(request, "matching/coordinator/waiting_list.html", context)


# --- The request form ----------------------------------------------------------------------------


@org_view("matching.propose")
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest, org: OrgContext, participant_id: str) -> HttpResponse:
    participant = access_participant(org, participant_id)
    programs = selectors.mentorship_programs(org.organisation)
    initial: dict[str, Any] = {}
    wanted = request.GET.get("program", "")
    try:
        if wanted:
            initial["program"] = UUID(wanted)
    except ValueError:
        pass
    form = MatchRequestForm(
        request.POST if request.method == "POST" else None,
        participant=participant,
        programs=programs,
        experiences=selectors.shareable_experiences(participant),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            match_request = services.match_request_create(
                acting_user=org.user, participant=participant, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Request saved. These are the peer supporters who fit best right now."))
            return redirect(_request_detail_url(org, match_request))
    context = {
        "org": org,
        "participant": participant,
        "form": form,
        "has_programs": programs.exists(),
        "can_record_experiences": org.can("consent.record"),
    }
    return render(
        request,
        "matching/coordinator/request_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


# --- One request and its suggestions -------------------------------------------------------------


def _request_context(
    request: HttpRequest,
    org: OrgContext,
    match_request: MatchRequest,
    *,
    errors: list[str] | None = None,
    answer_form: RecordAnswerForm | None = None,
) -> dict[str, Any]:
    """The request as the coordinator reads it, its proposal in progress, and (while it waits) the
    best peer supporters with their reasons. Every showing is logged."""
    more = request.GET.get("more") == "1"
    open_match = selectors.open_match_for(match_request) if match_request.is_open else None
    suggestions: list[selectors.SuggestedPeer] = []
    if match_request.status == RequestStatus.WAITING:
        suggestions = selectors.suggestions_for(match_request, k=MORE_SUGGESTIONS if more else SUGGESTIONS)
        services.match_suggestions_viewed(acting_user=org.user, request=match_request)
    else:
        services.match_request_viewed(acting_user=org.user, request=match_request)
    r = match_request
    return {
        "org": org,
        "match_request": r,
        "participant": r.participant,
        "waited": timesince(r.waiting_since, timezone.now(), depth=1),
        "experiences": [t.label for t in r.experiences.order_by("label")],
        "languages": _names(r.languages, LANGUAGE_CHOICES),
        "genders": _names(r.gender_preference, Gender.choices),
        "specialties": _names(r.specialties, SPECIALTY_CHOICES),
        "modalities": _names(r.modalities, MODALITY_CHOICES),
        "availability": selectors.availability_words(r.availability),
        "open_match": open_match,
        "suggestions": [{"s": s, "score": f"{s.points:.1f}"} for s in suggestions],
        "more": more,
        "can_show_more": not more and len(suggestions) == SUGGESTIONS,
        "can_propose": org.can("matching.propose"),
        "can_open_record": org.can("participants.view_all"),
        "answer_form": answer_form
        or (RecordAnswerForm() if open_match and open_match.status == MatchStatus.PROPOSED else None),
        "errors": errors or [],
    }


@org_view("matching.view")
@require_GET
def request_detail(request: HttpRequest, org: OrgContext, request_id: str) -> HttpResponse:
    match_request = _access_request(org, request_id)
    return render(request, "matching/coordinator/request_detail.html", _request_context(request, org, match_request))


def _refused(
    request: HttpRequest,
    org: OrgContext,
    match_request: MatchRequest,
    exc: ValidationError,
    *,
    answer_form: RecordAnswerForm | None = None,
) -> HttpResponse:
    match_request.refresh_from_db()
    context = _request_context(request, org, match_request, errors=exc.messages, answer_form=answer_form)
    return render(request, "matching/coordinator/request_detail.html", context, status=400)


@org_view("matching.propose")
@require_POST
def request_propose(request: HttpRequest, org: OrgContext, request_id: str) -> HttpResponse:
    """Ask a suggested peer supporter, on the person's behalf."""
    match_request = _access_request(org, request_id)
    form = ProposeForm(request.POST)
    peer = selectors.active_peer(org.organisation, form.cleaned_data["peer"]) if form.is_valid() else None
    if peer is None:
        exc = ValidationError({"peer": _("Choose one of the suggested peer supporters.")})
        return _refused(request, org, match_request, exc)
    try:
        match = services.match_propose(acting_user=org.user, request=match_request, peer=peer)
    except ValidationError as exc:
        return _refused(request, org, match_request, exc)
    messages.success(
        request,
        _("%(peer)s has been asked. The request waits for their answer.")
        % {"peer": selectors.first_name(match.peer.display_name)},
    )
    return redirect(_request_detail_url(org, match_request))


@org_view("matching.propose")
@require_POST
def request_answer(request: HttpRequest, org: OrgContext, request_id: str) -> HttpResponse:
    """Record the answer the asked peer supporter gave the coordinator (the peer usually answers on
    their own "Requests for you" page; this is for a yes or no given by phone or in person)."""
    match_request = _access_request(org, request_id)
    open_match = selectors.open_match_for(match_request)
    if open_match is None or open_match.status != MatchStatus.PROPOSED:
        exc = ValidationError({"match": _("No peer supporter is waiting to answer for this request.")})
        return _refused(request, org, match_request, exc)
    form = RecordAnswerForm(request.POST)
    if not form.is_valid():
        exc = ValidationError({"answer": [e for errors in form.errors.values() for e in errors]})
        return _refused(request, org, match_request, exc, answer_form=form)
    peer_name = selectors.first_name(open_match.peer.display_name)
    try:
        if form.cleaned_data["answer"] == "accept":
            services.match_accept(acting_user=org.user, match=open_match)
            messages.success(
                request,
                _("%(peer)s's yes is recorded. %(name)s is now on their caseload.")
                % {"peer": peer_name, "name": match_request.participant.preferred_name},
            )
        else:
            services.match_decline(acting_user=org.user, match=open_match, reason=form.service_reason())
            messages.success(
                request,
                _("%(peer)s's answer is recorded. %(name)s keeps their place on the waiting list.")
                % {"peer": peer_name, "name": match_request.participant.preferred_name},
            )
    except ValidationError as exc:
        return _refused(request, org, match_request, exc, answer_form=form)
    return redirect(_request_detail_url(org, match_request))


@org_view("matching.propose")
@require_POST
def request_withdraw(request: HttpRequest, org: OrgContext, request_id: str) -> HttpResponse:
    """The person no longer wants a peer supporter (any proposal waiting is withdrawn too)."""
    match_request = _access_request(org, request_id)
    try:
        services.match_request_withdraw(acting_user=org.user, request=match_request)
    except ValidationError as exc:
        return _refused(request, org, match_request, exc)
    messages.success(request, _("The request was withdrawn."))
    return redirect("matching:waiting_list", org.organisation.slug, match_request.program_id)


# --- Batch proposal ------------------------------------------------------------------------------


def _batch_token(org: OrgContext, program: Program, pairs: list[tuple[str, str]]) -> str:
    """The reviewed pairs, signed and time-stamped, so the send needs no stored state. Tied to this
    organisation, program and coordinator; every pair is checked again when it is sent."""
    payload = {"o": str(org.organisation.pk), "p": str(program.pk), "u": str(org.user.pk), "pairs": pairs}
    return signing.dumps(payload, salt=BATCH_SALT, compress=True)


def _batch_pairs(org: OrgContext, program: Program, token: str) -> list[tuple[str, str]]:
    """The pairs from a token made by ``_batch_token`` for this coordinator and program.
    Raises ``signing.SignatureExpired`` when too old and ``signing.BadSignature`` otherwise."""
    payload = signing.loads(token, salt=BATCH_SALT, max_age=BATCH_MAX_AGE)
    if not isinstance(payload, dict) or (payload.get("o"), payload.get("p"), payload.get("u")) != (
        str(org.organisation.pk),
        str(program.pk),
        str(org.user.pk),
    ):
        raise signing.BadSignature("made for another program or person")
    pairs = payload.get("pairs")
    if not isinstance(pairs, list):
        raise signing.BadSignature("no pairs")
    try:
        return [(str(UUID(str(r))), str(UUID(str(p)))) for r, p in pairs]
    except (TypeError, ValueError) as exc:
        raise signing.BadSignature("bad pair") from exc


def _batch_review(request: HttpRequest, org: OrgContext, program: Program, *, error: str = "") -> HttpResponse:
    proposal = selectors.batch_proposal(org.organisation, program)
    services.match_batch_viewed(acting_user=org.user, program=program)
    best = proposal.assignment
    rows = []
    for index, p in enumerate(best.proposals):
        match_request = proposal.requests[p.request.key]
        peer = proposal.profiles[p.peer.key].user
        rows.append(
            {
                "index": index,
                "request": match_request,
                "participant": match_request.participant,
                "peer": peer,
                "peer_first_name": selectors.first_name(peer.display_name),
                "waiting_days": int(p.request.waiting_days),
                "score": f"{p.points:.1f}",
                "value": f"{p.value / SCALE:.1f}",
                "explanation": proposal.explanation(p.reasons),
            }
        )
    pairs = [(p.request.key, p.peer.key) for p in best.proposals]
    total = best.total / SCALE
    greedy = proposal.greedy_total / SCALE
    context = {
        "org": org,
        "program": program,
        "rows": rows,
        "waiting": proposal.waiting,
        "room": proposal.room,
        "total": f"{total:.1f}",
        "greedy_total": f"{greedy:.1f}",
        "gain": f"{total - greedy:.1f}",
        "token": _batch_token(org, program, pairs) if pairs else "",
        "max_age_minutes": BATCH_MAX_AGE // 60,
        "error": error,
    }
    return render(request, "matching/coordinator/batch_review.html", context, status=400 if error else 200)


@org_view("matching.propose")
@require_http_methods(["GET", "POST"])
def batch_review(request: HttpRequest, org: OrgContext, program_id: str) -> HttpResponse:
    """GET: the optimal assignment for the program's waiting list, to review. POST: send the
    reviewed pairs (less those left out); a pair that stopped being possible is skipped and said."""
    program = _mentorship_program(org, program_id)
    if request.method == "GET":
        return _batch_review(request, org, program)
    try:
        pairs = _batch_pairs(org, program, request.POST.get("token", ""))
    except signing.SignatureExpired:
        messages.warning(
            request,
            _("That proposal was more than %(n)d minutes old, so nothing was sent. Here it is worked out again.")
            % {"n": BATCH_MAX_AGE // 60},
        )
        return redirect("matching:batch_review", org.organisation.slug, program.pk)
    except signing.BadSignature:
        return _batch_review(
            request, org, program, error=_("That proposal could not be read, so nothing was sent. Review it again.")
        )
    form = BatchSendForm(request.POST, rows=len(pairs))
    if not form.is_valid():
        return _batch_review(request, org, program, error=_("Choose rows to leave out from the list, then send again."))
    leave_out = set(form.cleaned_data["leave_out"])
    chosen = [pair for index, pair in enumerate(pairs) if index not in leave_out]
    if not chosen:
        return _batch_review(request, org, program, error=_("Every row was left out, so there was nothing to send."))
    sent = services.match_batch_send(acting_user=org.user, program=program, pairs=chosen)
    # Names for what was skipped (two queries, whatever the number).
    skipped_requests = {
        r.pk: r
        for r in MatchRequest.objects.filter(
            organisation=org.organisation, pk__in=[r for r, _p, _w in sent.skipped]
        ).select_related("participant")
    }
    peers = selectors.peers_by_id(org.organisation, [p for _r, p, _w in sent.skipped])
    skipped = [
        {
            "participant": skipped_requests[r].participant if r in skipped_requests else None,
            "peer_first_name": selectors.first_name(peers[str(p)].display_name) if str(p) in peers else "",
            "why": why,
        }
        for r, p, why in sent.skipped
    ]
    created = [
        {
            "participant": m.participant,
            "peer_first_name": selectors.first_name(m.peer.display_name),
            "request": m.request,
        }
        for m in sent.created
    ]
    context = {"org": org, "program": program, "created": created, "skipped": skipped, "left_out": len(leave_out)}
    return render(request, "matching/coordinator/batch_sent.html", context)


# --- Weights -------------------------------------------------------------------------------------


@org_view("matching.weights")
@require_http_methods(["GET", "POST"])
def weights_edit(request: HttpRequest, org: OrgContext) -> HttpResponse:
    weights = selectors.weights_for(org.organisation)
    initial = {name: getattr(weights, name) for name in weights.WEIGHT_FIELDS}
    form = WeightsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.match_weights_update(acting_user=org.user, organisation=org.organisation, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Matching weights saved. New suggestions use them at once."))
            return redirect("matching:weights_edit", org.organisation.slug)
    context = {"org": org, "form": form, "is_default": weights._state.adding}
    return render(
        request, "matching/coordinator/weights_form.html", context, status=400 if request.method == "POST" else 200
    )
