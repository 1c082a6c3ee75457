"""``/api/v1/organisations/{org_slug}/match-requests`` and ``/matches`` (mounted in alongside/api/api.py).

The same chokepoints as the pages: ``org_scope`` for the membership and the permission, the record
scope for people (``people.access``) and for matches (``matching.selectors.visible_matches``), and
every write through ``matching.services``.

* Requests: coordinators and admins (``matching.view`` to read, ``matching.propose`` to make or
  withdraw one). Lists never decrypt the note; reading one request, or its suggestions, is logged.
* Matches: anyone with ``mentorship.view`` within their scope (a peer supporter: their own; a
  supervisor: their team's). Proposing is ``matching.propose``. A peer supporter answers their own
  proposals (``matching.respond``); a coordinator may record the answer for them. Pausing, resuming
  and closing: the match's peer supporter or a coordinator. Asking for a different peer supporter is
  the person's choice, recorded by a coordinator for them.

Errors: 400 with field errors for bad input; 409 when the step is not possible from where the
request or match stands (``errors`` says why).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, cast
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StringConstraints

from alongside.accounts import access
from alongside.accounts.access import OrgContext
from alongside.accounts.models import Program, User
from alongside.api.idempotency import idempotency_openapi, idempotent
from alongside.api.schemas import ErrorOut, PageParams, no_nul
from alongside.matching import scoring, selectors, services
from alongside.matching.models import (
    DeclineReason,
    MadeBy,
    Match,
    MatchClosedReason,
    MatchRequest,
    MatchStatus,
    PauseReason,
    ProposedVia,
    RequestStatus,
)
from alongside.matching.services import NOTE_MAX
from alongside.people.access import visible_participants
from alongside.people.api import _one_of
from alongside.people.models import AgeBand, LivedExperienceTerm

router = Router(tags=["matching"])

REQUESTS = "/organisations/{org_slug}/match-requests"
REQUEST = REQUESTS + "/{request_id}"
MATCHES = "/organisations/{org_slug}/matches"
MATCH = MATCHES + "/{match_id}"

READ = {403: ErrorOut, 404: ErrorOut}
CREATE = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

# Errors about these name where things stand, not what was sent: 409.
STATE_KEYS = frozenset({"request", "match"})
# The services name model fields; the API names the body's fields.
SERVICE_FIELDS = {
    "participant": "participant_id",
    "program": "program_id",
    "experiences": "experience_ids",
    "peer": "peer_id",
}

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Time = Literal["morning", "afternoon", "evening"]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(no_nul)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX), AfterValidator(no_nul)]


# --- Schemas -------------------------------------------------------------------------------------


class MatchRequestIn(Schema):
    """A new request for a one-on-one peer supporter. Anything not listed is refused."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "participant_id": "3f2c0e4e-5a55-4b0e-9d0e-0c1a7e2b9d11",
                    "program_id": "8e03978e-40d5-43e8-bc93-6894a57f9324",
                    "languages": ["en", "es"],
                    "modalities": ["phone", "video"],
                    "availability": {"tue": ["evening"], "sat": ["morning"]},
                }
            ]
        },
    )

    participant_id: UUID = Field(description="The person (within your record scope)")
    program_id: UUID = Field(description="An active program of this organisation that offers mentorship")
    experience_ids: list[UUID] = Field(
        default_factory=list,
        max_length=50,
        description="Lived-experience terms a peer would share: only among what the person chose to share for matching",
    )
    languages: list[Code] = Field(
        default_factory=list, max_length=20, description="Language codes; empty: the record's languages"
    )
    age_band: Annotated[str, _one_of(AgeBand, blank=True)] = Field(
        default="", description=f"One of {', '.join(AgeBand.values)}, or empty for the record's"
    )
    gender_preference: list[Code] = Field(
        default_factory=list, max_length=5, description="Any of woman, man, non_binary"
    )
    gender_required: StrictBool = Field(default=False, description="The gender is a must, not a nice-to-have")
    specialties: list[Code] = Field(default_factory=list, max_length=20, description="Support that would help")
    modalities: list[Code] = Field(
        min_length=1, max_length=10, description="Ways of meeting: in_person, phone, video, text"
    )
    latitude: float | None = Field(default=None, description="Approximate (rounded to 2 decimals); in person only")
    longitude: float | None = Field(default=None, description="Approximate (rounded to 2 decimals); in person only")
    travel_km: int | None = Field(default=None, description="How far they can travel, 1–300 km")
    availability: dict[Day, list[Time]] = Field(default_factory=dict, description='e.g. {"tue": ["evening"]}')
    note: Note = Field(default="", description="Anything else for the coordinator (kept encrypted)")


class MatchRequestOut(Schema):
    id: UUID
    participant_id: UUID
    program_id: UUID
    status: str
    made_by: str
    languages: list[str]
    age_band: str
    gender_preference: list[str]
    gender_required: bool
    specialties: list[str]
    modalities: list[str]
    has_location: bool = Field(description="An approximate location is known (it is never shown)")
    travel_km: int | None
    availability: dict[str, list[str]]
    waiting_since: datetime
    waiting_days: int
    created_at: datetime
    closed_at: datetime | None


class MatchRequestDetailOut(MatchRequestOut):
    experience_ids: list[UUID]
    note: str


class MatchRequestPage(Schema):
    count: int
    items: list[MatchRequestOut]


class MatchRequestFilter(PageParams):
    program: UUID | None = Field(default=None, description="Only this program's requests")
    participant: UUID | None = Field(default=None, description="Only this person's requests")
    status: Annotated[str, _one_of(RequestStatus, blank=True)] = Field(
        default="", description=f"One of {', '.join(RequestStatus.values)}"
    )


class ReasonOut(Schema):
    kind: str = Field(description="experience, language, availability, modality, specialty, gender or continuity")
    items: list[str] = Field(description="The shared items' identifiers (term ids, language codes, time slots…)")


class SuggestionOut(Schema):
    peer_id: UUID
    first_name: str
    bio: str
    score: float
    reasons: list[ReasonOut]
    explanation: str


class SuggestionsOut(Schema):
    request_id: UUID
    items: list[SuggestionOut]


class SuggestionParams(Schema):
    limit: int = Field(default=5, ge=1, le=20, description="How many peers (3–5 for the person; more on request)")


class MatchIn(Schema):
    """Ask a peer supporter to walk alongside the person, on their behalf."""

    model_config = ConfigDict(extra="forbid")

    request_id: UUID = Field(description="A request waiting for a peer supporter")
    peer_id: UUID = Field(description="A peer supporter of this organisation who meets every must-have")


class MatchOut(Schema):
    id: UUID
    request_id: UUID
    participant_id: UUID
    participant_first_name: str
    program_id: UUID
    peer_id: UUID
    peer_first_name: str
    status: str
    proposed_via: str
    score: float
    proposed_at: datetime
    responded_at: datetime | None
    started_at: datetime | None
    paused_at: datetime | None
    ended_at: datetime | None
    decline_reason: str
    pause_reason: str
    closed_reason: str


STEP = {200: MatchOut, 400: ErrorOut, 409: ErrorOut, **READ}


class MatchDetailOut(MatchOut):
    reasons: list[ReasonOut]
    explanation: str = Field(description="The reasons in plain words, in the reader's language")


class MatchPage(Schema):
    count: int
    items: list[MatchOut]


class MatchFilter(PageParams):
    status: Annotated[str, _one_of(MatchStatus, blank=True)] = Field(
        default="", description=f"One of {', '.join(MatchStatus.values)}"
    )
    program: UUID | None = Field(default=None, description="Only this program's matches")
    request: UUID | None = Field(default=None, description="Only this request's matches")
    peer: UUID | None = Field(default=None, description="Only this peer supporter's matches")


class DeclineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, _one_of(DeclineReason, blank=True)] = Field(
        default="", description=f"One of {', '.join(DeclineReason.values)}; empty: {DeclineReason.OTHER}"
    )


class PauseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, _one_of(PauseReason, blank=False)] = Field(
        description=f"One of {', '.join(PauseReason.values)}"
    )


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, _one_of(MatchClosedReason, blank=False)] = Field(
        description=f"One of {', '.join(MatchClosedReason.values)}"
    )


# --- Output --------------------------------------------------------------------------------------


def _days(since: datetime, now: datetime) -> int:
    return max(0, (now - since).days)


def request_out(r: MatchRequest, now: datetime) -> dict[str, Any]:
    return {
        "id": r.pk,
        "participant_id": r.participant_id,
        "program_id": r.program_id,
        "status": r.status,
        "made_by": r.made_by,
        "languages": list(r.languages or []),
        "age_band": r.age_band,
        "gender_preference": list(r.gender_preference or []),
        "gender_required": r.gender_required,
        "specialties": list(r.specialties or []),
        "modalities": list(r.modalities or []),
        "has_location": r.latitude is not None,
        "travel_km": r.travel_km,
        "availability": dict(r.availability or {}),
        "waiting_since": r.waiting_since,
        "waiting_days": _days(r.waiting_since, now),
        "created_at": r.created_at,
        "closed_at": r.closed_at,
    }


def request_detail_out(r: MatchRequest, now: datetime) -> dict[str, Any]:
    experience_ids = selectors.request_experience_ids([r]).get(r.pk, [])
    return {**request_out(r, now), "experience_ids": experience_ids, "note": r.note}


def match_out(m: Match) -> dict[str, Any]:
    return {
        "id": m.pk,
        "request_id": m.request_id,
        "participant_id": m.participant_id,
        "participant_first_name": selectors.first_name(m.participant.preferred_name),
        "program_id": m.program_id,
        "peer_id": m.peer_id,
        "peer_first_name": selectors.first_name(m.peer.display_name),
        "status": m.status,
        "proposed_via": m.proposed_via,
        "score": m.score / scoring.SCALE,
        "proposed_at": m.proposed_at,
        "responded_at": m.responded_at,
        "started_at": m.started_at,
        "paused_at": m.paused_at,
        "ended_at": m.ended_at,
        "decline_reason": m.decline_reason,
        "pause_reason": m.pause_reason,
        "closed_reason": m.closed_reason,
    }


def match_detail_out(org: OrgContext, m: Match) -> dict[str, Any]:
    reasons = selectors.reasons_of(m)
    words = selectors.labels_for_matches(org.organisation, [m])
    explanation = (
        selectors.peer_explanation(reasons, words)
        if m.peer_id == org.user.pk
        else scoring.explanation_text(reasons, words)
    )
    return {**match_out(m), "reasons": [r.as_dict() for r in reasons], "explanation": explanation}


# --- Helpers -------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _conflict(exc: DjangoValidationError) -> tuple[int, dict[str, Any]] | None:
    """A service's refusal about where things stand (409), or None for a field error (400)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    if set(errors) & STATE_KEYS:
        return 409, {"detail": "This is not possible from where things stand now.", "errors": errors}
    return None


def _field_errors(exc: DjangoValidationError) -> DjangoValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return DjangoValidationError({SERVICE_FIELDS.get(k, k): v for k, v in exc.error_dict.items()})


def _run(step: Callable[[], Any]) -> tuple[int, Any] | Any:
    """Run a service step: its state refusals answer 409, its field errors 400 (renamed)."""
    try:
        return step()
    except DjangoValidationError as exc:
        conflict = _conflict(exc)
        if conflict is not None:
            return conflict
        raise _field_errors(exc) from exc


def _access_request(org: OrgContext, request_id: UUID) -> MatchRequest:
    match_request = selectors.match_request_in(org.organisation, request_id)
    if match_request is None:
        raise Http404
    return match_request


def _matches(org: OrgContext) -> Any:
    return (
        selectors.visible_matches(org).select_related("participant", "peer").defer("participant__notes", "explanation")
    )


def _may_act_on(org: OrgContext, match: Match, *, as_peer: bool = True) -> None:
    """A coordinator or admin; or, where ``as_peer``, the match's own peer supporter. Others who
    may see the match (a supervisor) are refused (403)."""
    if org.can("matching.propose"):
        return
    if as_peer and org.can("matching.respond") and match.peer_id == org.user.pk:
        return
    raise PermissionDenied


def _step(
    request: HttpRequest, org_slug: str, match_id: UUID, action: Callable[[OrgContext, Match], Any], *, as_peer: bool
) -> Any:
    with access.org_scope(_user(request), org_slug, "mentorship.view") as org:
        match = selectors.access_match(org, match_id)
        _may_act_on(org, match, as_peer=as_peer)
        result = _run(lambda: action(org, match))
        if isinstance(result, tuple):
            return result
        return match_out(selectors.access_match(org, match_id))


# --- Match requests ------------------------------------------------------------------------------


@router.get(
    REQUESTS,
    response={200: MatchRequestPage, 400: ErrorOut, **READ},
    summary="Requests for a peer supporter, longest waiting first (coordinators and admins)",
)
def match_request_list(request: HttpRequest, org_slug: str, filters: Query[MatchRequestFilter]) -> Any:
    with access.org_scope(_user(request), org_slug, "matching.view") as org:
        qs = selectors.match_request_list(
            org.organisation, program=filters.program, status=filters.status, participant=filters.participant
        )
        items = list(qs[filters.offset : filters.offset + filters.limit])
        now = timezone.now()
        return {"count": qs.count(), "items": [request_out(r, now) for r in items]}


@router.post(
    REQUESTS,
    response={201: MatchRequestDetailOut, **CREATE},
    summary="Ask for a peer supporter for someone (honours Idempotency-Key)",
    openapi_extra=idempotency_openapi(),
)
def match_request_create(request: HttpRequest, org_slug: str, payload: MatchRequestIn) -> Any:
    with access.org_scope(_user(request), org_slug, "matching.propose") as org:

        def create() -> tuple[int, dict[str, Any]]:
            participant = visible_participants(org).filter(pk=payload.participant_id).first()
            if participant is None:
                raise DjangoValidationError({"participant_id": ["Choose a person you can see in this organisation."]})
            program = Program.objects.filter(organisation=org.organisation, pk=payload.program_id).first()
            if program is None:
                raise DjangoValidationError(
                    {"program_id": ["Choose an active program of this organisation that offers one-on-one mentorship."]}
                )
            terms = list(
                LivedExperienceTerm.objects.filter(organisation=org.organisation, pk__in=payload.experience_ids)
            )
            if len(terms) != len(set(payload.experience_ids)):
                raise DjangoValidationError(
                    {
                        "experience_ids": [
                            "Choose only lived experience this person said may be used to suggest a peer supporter."
                        ]
                    }
                )
            if (
                selectors.match_request_list(org.organisation, program=program, participant=participant)
                .filter(status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED])
                .exists()
            ):
                return 409, {
                    "detail": "This person is already waiting for a peer supporter in this program.",
                    "errors": {"program_id": ["This person is already waiting for a peer supporter in this program."]},
                }
            try:
                match_request = services.match_request_create(
                    acting_user=org.user,
                    participant=participant,
                    program=program,
                    made_by=MadeBy.COORDINATOR,
                    experiences=terms,
                    languages=payload.languages,
                    age_band=payload.age_band,
                    gender_preference=payload.gender_preference,
                    gender_required=payload.gender_required,
                    specialties=payload.specialties,
                    modalities=payload.modalities,
                    latitude=payload.latitude,
                    longitude=payload.longitude,
                    travel_km=payload.travel_km,
                    availability={day: list(times) for day, times in payload.availability.items()},
                    note=payload.note,
                )
            except DjangoValidationError as exc:
                raise _field_errors(exc) from exc
            return 201, request_detail_out(_access_request(org, match_request.pk), timezone.now())

        return idempotent(request, create)


@router.get(
    REQUEST,
    response={200: MatchRequestDetailOut, 400: ErrorOut, **READ},
    summary="One request with its note and lived experience (the read is recorded in the access log)",
)
def match_request_detail(request: HttpRequest, org_slug: str, request_id: UUID) -> Any:
    with access.org_scope(_user(request), org_slug, "matching.view") as org:
        match_request = _access_request(org, request_id)
        services.match_request_viewed(acting_user=org.user, request=match_request)
        return request_detail_out(match_request, timezone.now())


@router.post(
    REQUEST + "/withdraw",
    response={200: MatchRequestOut, 400: ErrorOut, 409: ErrorOut, **READ},
    summary="Withdraw a request (a proposal still waiting is withdrawn too); 409 once matched or withdrawn",
)
def match_request_withdraw(request: HttpRequest, org_slug: str, request_id: UUID) -> Any:
    with access.org_scope(_user(request), org_slug, "matching.propose") as org:
        match_request = _access_request(org, request_id)
        result = _run(lambda: services.match_request_withdraw(acting_user=org.user, request=match_request))
        if isinstance(result, tuple):
            return result
        return request_out(_access_request(org, request_id), timezone.now())


@router.get(
    REQUEST + "/suggestions",
    response={200: SuggestionsOut, 400: ErrorOut, 409: ErrorOut, **READ},
    summary="The best peer supporters for a waiting request, with reasons (the read is recorded)",
)
def match_request_suggestions(
    request: HttpRequest, org_slug: str, request_id: UUID, params: Query[SuggestionParams]
) -> Any:
    with access.org_scope(_user(request), org_slug, "matching.view") as org:
        match_request = _access_request(org, request_id)
        if match_request.status != RequestStatus.WAITING:
            return 409, {
                "detail": "Suggestions are for a request waiting for a peer supporter.",
                "errors": {"request": [f"This request is {match_request.status}."]},
            }
        suggestions = selectors.suggestions_for(match_request, k=params.limit)
        services.match_suggestions_viewed(acting_user=org.user, request=match_request)
        return {
            "request_id": match_request.pk,
            "items": [
                {
                    "peer_id": s.peer.pk,
                    "first_name": s.first_name,
                    "bio": s.profile.bio,
                    "score": round(s.points, 2),
                    "reasons": [r.as_dict() for r in s.reasons],
                    "explanation": s.explanation,
                }
                for s in suggestions
            ],
        }


# --- Matches -------------------------------------------------------------------------------------


@router.get(
    MATCHES,
    response={200: MatchPage, 400: ErrorOut, **READ},
    summary="Matches the caller may see (a peer supporter: their own; a supervisor: their team's), newest first",
)
def match_list(request: HttpRequest, org_slug: str, filters: Query[MatchFilter]) -> Any:
    with access.org_scope(_user(request), org_slug, "mentorship.view") as org:
        qs = _matches(org)
        if filters.status:
            qs = qs.filter(status=filters.status)
        if filters.program is not None:
            qs = qs.filter(program=filters.program)
        if filters.request is not None:
            qs = qs.filter(request=filters.request)
        if filters.peer is not None:
            qs = qs.filter(peer=filters.peer)
        qs = qs.order_by("-proposed_at", "-id")
        items = list(qs[filters.offset : filters.offset + filters.limit])
        return {"count": qs.count(), "items": [match_out(m) for m in items]}


@router.post(
    MATCHES,
    response={201: MatchDetailOut, **CREATE},
    summary="Propose a peer supporter for a waiting request (honours Idempotency-Key)",
    openapi_extra=idempotency_openapi(),
)
def match_create(request: HttpRequest, org_slug: str, payload: MatchIn) -> Any:
    with access.org_scope(_user(request), org_slug, "matching.propose") as org:

        def create() -> tuple[int, dict[str, Any]]:
            match_request = selectors.match_request_in(org.organisation, payload.request_id)
            if match_request is None:
                raise DjangoValidationError({"request_id": ["Choose a request of this organisation."]})
            peer = selectors.active_peer(org.organisation, payload.peer_id)
            if peer is None:
                raise DjangoValidationError({"peer_id": ["Choose a peer supporter of this organisation."]})
            result = _run(
                lambda: services.match_propose(
                    acting_user=org.user, request=match_request, peer=peer, via=ProposedVia.COORDINATOR
                )
            )
            if isinstance(result, tuple):
                return cast(tuple[int, dict[str, Any]], result)
            return 201, match_detail_out(org, selectors.access_match(org, result.pk))

        return idempotent(request, create)


@router.get(
    MATCH,
    response={200: MatchDetailOut, 400: ErrorOut, **READ},
    summary="One match with its reasons (the read is recorded in the access log)",
)
def match_detail(request: HttpRequest, org_slug: str, match_id: UUID) -> Any:
    with access.org_scope(_user(request), org_slug, "mentorship.view") as org:
        match = selectors.access_match(org, match_id)
        services.match_viewed(acting_user=org.user, match=match)
        return match_detail_out(org, match)


@router.post(
    MATCH + "/accept",
    response=STEP,
    summary="The peer supporter accepts (or a coordinator records that they did); 409 unless proposed",
)
def match_accept(request: HttpRequest, org_slug: str, match_id: UUID) -> Any:
    return _step(
        request,
        org_slug,
        match_id,
        lambda org, m: services.match_accept(acting_user=org.user, match=m),
        as_peer=True,
    )


@router.post(
    MATCH + "/decline",
    response=STEP,
    summary="The peer supporter can't take this on (reason optional); the person keeps their place",
)
def match_decline(request: HttpRequest, org_slug: str, match_id: UUID, payload: DeclineIn) -> Any:
    reason = payload.reason or DeclineReason.OTHER
    return _step(
        request,
        org_slug,
        match_id,
        lambda org, m: services.match_decline(acting_user=org.user, match=m, reason=reason),
        as_peer=True,
    )


@router.post(MATCH + "/start", response=STEP, summary="The mentorship begins (their first session)")
def match_start(request: HttpRequest, org_slug: str, match_id: UUID) -> Any:
    return _step(
        request, org_slug, match_id, lambda org, m: services.match_start(acting_user=org.user, match=m), as_peer=True
    )


@router.post(MATCH + "/pause", response=STEP, summary="Pause an active mentorship, with a reason from the list")
def match_pause(request: HttpRequest, org_slug: str, match_id: UUID, payload: PauseIn) -> Any:
    return _step(
        request,
        org_slug,
        match_id,
        lambda org, m: services.match_pause(acting_user=org.user, match=m, reason=payload.reason),
        as_peer=True,
    )


@router.post(MATCH + "/resume", response=STEP, summary="Resume a paused mentorship")
def match_resume(request: HttpRequest, org_slug: str, match_id: UUID) -> Any:
    return _step(
        request, org_slug, match_id, lambda org, m: services.match_resume(acting_user=org.user, match=m), as_peer=True
    )


@router.post(MATCH + "/close", response=STEP, summary="Close a mentorship, with a reason from the list")
def match_close(request: HttpRequest, org_slug: str, match_id: UUID, payload: CloseIn) -> Any:
    return _step(
        request,
        org_slug,
        match_id,
        lambda org, m: services.match_close(acting_user=org.user, match=m, reason=payload.reason),
        as_peer=True,
    )


@router.post(
    MATCH + "/change-peer",
    response=STEP,
    summary="The person asks for a different peer supporter, without a reason (recorded by a coordinator)",
)
def match_change_peer(request: HttpRequest, org_slug: str, match_id: UUID) -> Any:
    return _step(
        request,
        org_slug,
        match_id,
        lambda org, m: services.match_change_peer(acting_user=org.user, match=m),
        as_peer=False,
    )
