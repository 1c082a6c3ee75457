"""Every write about matching: keyword-only, takes the acting user, atomic, audited (identifiers
only, never content).

Lifecycle of a match (docs/matching.md):

    proposed ──accept──▶ accepted ──start──▶ active ◀──resume/pause──▶ paused
        │                   │                  │                          │
        ├─decline─▶ declined_by_peer           └────────close─────────────┴─▶ closed
        └─(request withdrawn)─▶ withdrawn
    any open match ──the person asks for someone else──▶ changed_by_person

Contested writes take row locks through one helper per lock shape, always in this order: the
peer's profile (their caseload), then the request, then the match. Proposing and accepting lock
the peer's profile first, so two coordinators can never fill the same last place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.models import Membership, Organisation, Program, Role, User
from alongside.audit.services import record
from alongside.core.services import apply_changes
from alongside.matching import scoring, selectors
from alongside.matching.models import (
    GOING_ON_STATUSES,
    OPEN_MATCH_STATUSES,
    DeclineReason,
    MadeBy,
    Match,
    MatchClosedReason,
    MatchRequest,
    MatchStatus,
    MatchWeights,
    PauseReason,
    ProposedVia,
    RequestStatus,
)
from alongside.people import services as people_services
from alongside.people.models import (
    AgeBand,
    Gender,
    LivedExperienceTerm,
    Participant,
    ParticipantExperience,
    ParticipantStatus,
    PeerProfile,
    PeerStatus,
)

NOTE_MAX = 2000
MAX_TRAVEL_KM = 300


def _choices() -> dict[str, set[str]]:
    from alongside.people.forms.records import MODALITY_CHOICES, SPECIALTY_CHOICES
    from alongside.web.forms import LANGUAGE_CHOICES

    return {
        "languages": {v for v, _l in LANGUAGE_CHOICES},
        "specialties": {v for v, _l in SPECIALTY_CHOICES},
        "modalities": {v for v, _l in MODALITY_CHOICES},
    }


def audit_role(acting_user: User | None) -> str | None:
    """In a step the person takes (choosing, withdrawing, asking for someone else, pausing),
    ``acting_user`` None is the person through their own link, with no account: the audit row
    says "participant". Elsewhere None is the system (a command) and the row says so."""
    return "participant" if acting_user is None else None


# --- Locks (one helper per lock shape) -----------------------------------------------------------


# ``of=("self",)``: lock only the named row, not the rows joined by select_related (the
# organisation, the program, the user), which would serialise every match in the organisation.


def _lock_peer_profile(organisation_id: Any, peer_id: Any) -> PeerProfile | None:
    """The peer's profile row: every change to their caseload queues behind this lock."""
    return (
        PeerProfile.objects.select_for_update(of=("self",))
        .filter(organisation=organisation_id, user_id=peer_id)
        .select_related("user")
        .first()
    )


def _lock_request(request: MatchRequest) -> MatchRequest:
    return (
        MatchRequest.objects.select_for_update(of=("self",))
        .select_related("participant", "program", "organisation")
        .get(pk=request.pk, organisation=request.organisation_id)
    )


def _lock_match(match: Match) -> Match:
    return (
        Match.objects.select_for_update(of=("self",))
        .select_related("participant", "request", "peer", "organisation")
        .get(pk=match.pk, organisation=match.organisation_id)
    )


# --- Checking a request's details ----------------------------------------------------------------


def _clean_availability(value: Any) -> dict[str, list[str]]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValueError
    cleaned: dict[str, list[str]] = {}
    for day, times in value.items():
        if day not in scoring.DAYS or not isinstance(times, list | tuple):
            raise ValueError
        if any(t not in scoring.TIMES for t in times):
            raise ValueError
        if times:
            cleaned[day] = [t for t in scoring.TIMES if t in times]
    return cleaned


def _decimal(value: Any, low: int, high: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError from exc
    if not number.is_finite() or not (low <= number <= high):
        raise ValueError
    # Two decimals, about 1 km: enough to compute a travelling distance, no more.
    return number.quantize(Decimal("0.01"))


def _location_errors(
    errors: dict[str, str], latitude: Any, longitude: Any, travel_km: Any
) -> tuple[Decimal | None, Decimal | None, int | None]:
    lat = lon = None
    km: int | None = None
    try:
        lat = _decimal(latitude, -90, 90)
    except ValueError:
        errors["latitude"] = _("Enter a latitude between -90 and 90, or leave it empty.")
    try:
        lon = _decimal(longitude, -180, 180)
    except ValueError:
        errors["longitude"] = _("Enter a longitude between -180 and 180, or leave it empty.")
    if (lat is None) != (lon is None) and "latitude" not in errors and "longitude" not in errors:
        errors["latitude"] = _("Give both latitude and longitude, or neither.")
    if travel_km not in (None, ""):
        try:
            km = int(travel_km)
        except (TypeError, ValueError):
            km = -1
        if not 1 <= km <= MAX_TRAVEL_KM:
            errors["travel_km"] = _("Enter a travelling distance between 1 and %(max)d km.") % {"max": MAX_TRAVEL_KM}
            km = None
    return lat, lon, km


@dataclass
class _RequestDetails:
    experiences: list[LivedExperienceTerm]
    fields: dict[str, Any] = field(default_factory=dict)


def _check_details(
    participant: Participant,
    *,
    experiences: Iterable[LivedExperienceTerm],
    languages: Iterable[str],
    age_band: str,
    gender_preference: Iterable[str],
    gender_required: bool,
    specialties: Iterable[str],
    modalities: Iterable[str],
    latitude: Any,
    longitude: Any,
    travel_km: Any,
    availability: Any,
    note: str,
) -> _RequestDetails:
    errors: dict[str, str] = {}
    allowed = _choices()
    chosen = list(dict.fromkeys(experiences))
    shareable = set(
        ParticipantExperience.objects.filter(
            organisation=participant.organisation_id, participant=participant, use_for_matching=True
        ).values_list("term_id", flat=True)
    )
    if any(t.pk not in shareable or t.organisation_id != participant.organisation_id for t in chosen):
        errors["experiences"] = _(
            "Choose only lived experience this person said may be used to suggest a peer supporter."
        )
    langs = list(dict.fromkeys(languages))
    if any(code not in allowed["languages"] for code in langs):
        errors["languages"] = _("Choose languages from the list.")
    if not langs:
        langs = [code for code in participant.languages if code in allowed["languages"]]
    if age_band and age_band not in AgeBand.values:
        errors["age_band"] = _("Choose one of the listed age bands.")
    genders = list(dict.fromkeys(gender_preference))
    if any(g not in Gender.values for g in genders):
        errors["gender_preference"] = _("Choose from the listed genders.")
    if gender_required and not genders:
        errors["gender_required"] = _("Say which gender the peer supporter should be before making it a must.")
    wanted = list(dict.fromkeys(specialties))
    if any(s not in allowed["specialties"] for s in wanted):
        errors["specialties"] = _("Choose from the listed specialties.")
    ways = list(dict.fromkeys(modalities))
    if not ways:
        errors["modalities"] = _("Choose at least one way of meeting.")
    elif any(m not in allowed["modalities"] for m in ways):
        errors["modalities"] = _("Choose ways of meeting from the list.")
    lat, lon, km = _location_errors(errors, latitude, longitude, travel_km)
    if ways == [scoring.IN_PERSON] and lat is None and not {"latitude", "longitude"} & set(errors):
        errors["latitude"] = _(
            "To suggest someone to meet in person, we need an approximate location. Add one, or choose another "
            "way of meeting too."
        )
    try:
        slots = _clean_availability(availability)
    except ValueError:
        errors["availability"] = _("Choose days and times from the weekly grid.")
        slots = {}
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = _("Keep the note under %(max)d characters.") % {"max": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    if scoring.IN_PERSON in ways and lat is not None and km is None:
        km = 10  # a sensible default the person can change
    return _RequestDetails(
        experiences=chosen,
        fields={
            "languages": langs,
            "age_band": age_band or participant.age_band,
            "gender_preference": genders,
            "gender_required": bool(gender_required),
            "specialties": wanted,
            "modalities": ways,
            "latitude": lat,
            "longitude": lon,
            "travel_km": km,
            "availability": slots,
            "note": note,
        },
    )


# --- Requests ------------------------------------------------------------------------------------


@transaction.atomic
def match_request_create(
    *,
    acting_user: User | None,
    participant: Participant,
    program: Program,
    made_by: str = MadeBy.COORDINATOR,
    experiences: Iterable[LivedExperienceTerm] = (),
    languages: Iterable[str] = (),
    age_band: str = "",
    gender_preference: Iterable[str] = (),
    gender_required: bool = False,
    specialties: Iterable[str] = (),
    modalities: Iterable[str] = (),
    latitude: Any = None,
    longitude: Any = None,
    travel_km: Any = None,
    availability: Any = None,
    note: str = "",
) -> MatchRequest:
    """A person asks for a one-on-one peer supporter (at intake, through a coordinator, or
    themselves through their link: ``acting_user`` None)."""
    people_services.refuse_if_restricted(participant)
    if participant.status == ParticipantStatus.CLOSED or participant.merged_into_id is not None:
        raise ValidationError({"participant": _("This person's record is closed. Reopen it first.")})
    if program.organisation_id != participant.organisation_id or not program.is_active or not program.offers_mentorship:
        raise ValidationError(
            {"program": _("Choose an active program of this organisation that offers one-on-one mentorship.")}
        )
    if made_by not in MadeBy.values:
        raise ValidationError({"made_by": _("Say how the request was made.")})
    details = _check_details(
        participant,
        experiences=experiences,
        languages=languages,
        age_band=age_band,
        gender_preference=gender_preference,
        gender_required=gender_required,
        specialties=specialties,
        modalities=modalities,
        latitude=latitude,
        longitude=longitude,
        travel_km=travel_km,
        availability=availability,
        note=note,
    )
    # Lock the person's record so two simultaneous requests cannot both pass the check below.
    Participant.objects.select_for_update().filter(pk=participant.pk, organisation=participant.organisation_id).first()
    if MatchRequest.objects.filter(
        organisation=participant.organisation_id,
        participant=participant,
        program=program,
        status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED],
    ).exists():
        raise ValidationError({"program": _("This person is already waiting for a peer supporter in this program.")})
    now = timezone.now()
    request = MatchRequest.objects.create(
        organisation=participant.organisation,
        participant=participant,
        program=program,
        made_by=made_by,
        created_by=acting_user,
        waiting_since=now,
        **details.fields,
    )
    request.experiences.set(details.experiences)
    role = audit_role(acting_user) if made_by == MadeBy.PERSON else None
    record(acting_user, "match_request.create", request, role=role)
    _screen_note(request)
    return request


def _screen_note(request: MatchRequest) -> None:
    """The note to the coordinator is screened: the tier and concepts are kept (never the note);
    an urgent one emails the coordinators and admins at once."""
    from alongside.warmline import screening

    organisation = request.organisation
    verdict = screening.screen_door(request.note, organisation=organisation, door=f"match request {request.pk}")
    if not verdict.flag:
        return
    request.screening_tier, request.screening_concepts = verdict.tier, list(verdict.concepts)
    request.save(update_fields=["screening_tier", "screening_concepts", "updated_at"])
    if verdict.urgent:
        people_services.alert_urgent_screening(
            organisation=organisation,
            link=settings.SITE_URL + reverse("matching:request_detail", args=[organisation.slug, request.pk]),
            where=_("a request for a peer supporter"),
            object_id=request.pk,
        )


@transaction.atomic
def match_request_withdraw(*, acting_user: User | None, request: MatchRequest) -> MatchRequest:
    """The person no longer wants a peer supporter (any proposal still waiting is withdrawn)."""
    request = _lock_request(request)
    if request.status not in (RequestStatus.WAITING, RequestStatus.SUGGESTED):
        raise ValidationError(
            {"request": _("Only a request that is still waiting can be withdrawn; close the mentorship instead.")}
        )
    now = timezone.now()
    for match in Match.objects.select_for_update().filter(request=request, status=MatchStatus.PROPOSED):
        match.status = MatchStatus.WITHDRAWN
        match.ended_at = now
        match.ended_by = acting_user
        match.save(update_fields=["status", "ended_at", "ended_by", "updated_at"])
        record(acting_user, "match.withdraw", match, role=audit_role(acting_user))
    request.status = RequestStatus.WITHDRAWN
    request.closed_at = now
    request.save(update_fields=["status", "closed_at", "updated_at"])
    record(acting_user, "match_request.withdraw", request, role=audit_role(acting_user))
    return request


# --- Proposing a peer ----------------------------------------------------------------------------

RULE_MESSAGES = {
    "inactive": lambda: _("This peer supporter is not taking on new people right now."),
    "full": lambda: _("This peer supporter has no room for someone new right now."),
    "excluded": lambda: _(
        "This peer supporter could not take this person on before, or the person asked for someone else; "
        "choose another peer supporter."
    ),
    "language": lambda: _("They do not share a language."),
    "specialty": lambda: _("This program or this person's age needs a peer supporter trained for it."),
    "gender": lambda: _("The person asked for a peer supporter of a particular gender, and this one is not."),
    "meeting": lambda: _(
        "They have no way of meeting in common (meeting in person needs both to be within travelling distance)."
    ),
}


def _assess(request: MatchRequest, profile: PeerProfile | None) -> tuple[scoring.PeerInput, scoring.RequestInput]:
    """The pair as the scoring sees it, or a clear refusal naming every rule it breaks."""
    if profile is None or profile.status != PeerStatus.ACTIVE or not profile.user.is_active:
        raise ValidationError({"peer": RULE_MESSAGES["inactive"]()})
    if not Membership.objects.filter(
        organisation=request.organisation_id, user_id=profile.user_id, role=Role.PEER, is_active=True
    ).exists():
        raise ValidationError({"peer": RULE_MESSAGES["inactive"]()})
    peer = selectors.peer_input(profile, selectors.peer_room(profile))
    [wanted] = selectors.request_inputs([request])
    failures = scoring.hard_rule_failures(wanted, peer)
    if failures:
        raise ValidationError({"peer": " ".join(RULE_MESSAGES[f]() for f in failures)})
    return peer, wanted


def _propose(*, acting_user: User | None, request: MatchRequest, peer: User, via: str, action: str) -> Match:
    profile = _lock_peer_profile(request.organisation_id, peer.pk)
    request = _lock_request(request)
    people_services.refuse_if_restricted(request.participant)
    if request.status == RequestStatus.SUGGESTED:
        raise ValidationError(
            {"request": _("A peer supporter has already been asked; wait for their answer or withdraw it first.")}
        )
    if request.status != RequestStatus.WAITING:
        raise ValidationError({"request": _("This request is no longer waiting for a peer supporter.")})
    peer_in, request_in = _assess(request, profile)
    weights = selectors.as_scoring_weights(selectors.weights_for(request.organisation))
    scores = scoring.score([request_in], scoring.encode_peers([peer_in]), weights)
    now = timezone.now()
    match = Match.objects.create(
        organisation=request.organisation,
        request=request,
        participant=request.participant,
        program=request.program,
        peer=peer,
        status=MatchStatus.PROPOSED,
        proposed_via=via,
        proposed_by=acting_user,
        score=int(round(float(scores.points[0, 0]) * scoring.SCALE)),
        explanation=[r.as_dict() for r in scoring.explain(request_in, peer_in)],
        proposed_at=now,
    )
    request.status = RequestStatus.SUGGESTED
    request.save(update_fields=["status", "updated_at"])
    record(acting_user, action, match, role=audit_role(acting_user) if via == ProposedVia.PERSON else None)
    return match


@transaction.atomic
def match_propose(
    *, acting_user: User | None, request: MatchRequest, peer: User, via: str = ProposedVia.COORDINATOR
) -> Match:
    """A coordinator (or a reviewed batch) asks a peer supporter to walk alongside this person."""
    if via not in (ProposedVia.COORDINATOR, ProposedVia.BATCH):
        raise ValidationError({"via": _("Say whether a coordinator or a batch proposal asked.")})
    return _propose(acting_user=acting_user, request=request, peer=peer, via=via, action="match.propose")


@transaction.atomic
def match_choose(*, acting_user: User | None, request: MatchRequest, peer: User) -> Match:
    """The person picks one of the peers suggested to them (themselves: ``acting_user`` None, or
    with a coordinator's help). The peer is then asked."""
    return _propose(acting_user=acting_user, request=request, peer=peer, via=ProposedVia.PERSON, action="match.choose")


# --- The peer's answer ---------------------------------------------------------------------------


def _may_answer_for_peer(acting_user: User | None, match: Match) -> None:
    """The peer answers; a coordinator or admin may record their answer for them."""
    if acting_user is not None and acting_user.pk == match.peer_id:
        return
    if (
        acting_user is not None
        and Membership.objects.filter(
            organisation=match.organisation_id,
            user=acting_user,
            role__in=[Role.COORDINATOR, Role.ADMIN],
            is_active=True,
        ).exists()
    ):
        return
    raise ValidationError({"match": _("Only the peer supporter who was asked, or a coordinator for them, can answer.")})


def _require(match: Match, *statuses: str) -> None:
    if match.status not in statuses:
        raise ValidationError(
            {"match": _("This can't be done while the match is “%(status)s”.") % {"status": match.get_status_display()}}
        )


@transaction.atomic
def match_accept(*, acting_user: User, match: Match) -> Match:
    """The peer says yes: they become the person's peer supporter, and the place in their caseload
    held by the proposal becomes a place on their caseload."""
    _lock_peer_profile(match.organisation_id, match.peer_id)
    _lock_request(match.request)
    match = _lock_match(match)
    _may_answer_for_peer(acting_user, match)
    _require(match, MatchStatus.PROPOSED)
    people_services.refuse_if_restricted(match.participant)
    now = timezone.now()
    match.status = MatchStatus.ACCEPTED
    match.responded_at = now
    match.save(update_fields=["status", "responded_at", "updated_at"])
    MatchRequest.objects.filter(pk=match.request_id).update(status=RequestStatus.MATCHED, closed_at=now, updated_at=now)
    # The record keeps one assigned peer supporter: this peer becomes it unless someone already is
    # (a second mentorship in another program); either way the person is on this peer's caseload
    # through the mentorship (``selectors.mentored_by``).
    if match.participant.assigned_peer_id is None:
        people_services.participant_assign_peer(acting_user=acting_user, participant=match.participant, peer=match.peer)
    record(acting_user, "match.accept", match)
    return match


@transaction.atomic
def match_decline(*, acting_user: User, match: Match, reason: str) -> Match:
    """The peer can't take this on. The person goes back to the waiting list, keeping their place
    (their waiting time goes on counting), and this peer is not suggested to them again."""
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    _lock_request(match.request)
    match = _lock_match(match)
    _may_answer_for_peer(acting_user, match)
    _require(match, MatchStatus.PROPOSED)
    now = timezone.now()
    match.status = MatchStatus.DECLINED_BY_PEER
    match.decline_reason = reason
    match.responded_at = now
    match.ended_at = now
    match.ended_by = acting_user
    match.save(update_fields=["status", "decline_reason", "responded_at", "ended_at", "ended_by", "updated_at"])
    MatchRequest.objects.filter(pk=match.request_id).update(status=RequestStatus.WAITING, updated_at=now)
    record(acting_user, "match.decline", match)
    return match


# --- The mentorship ------------------------------------------------------------------------------


@transaction.atomic
def match_start(*, acting_user: User, match: Match) -> Match:
    """The mentorship begins (their first session)."""
    match = _lock_match(match)
    _require(match, MatchStatus.ACCEPTED)
    match.status = MatchStatus.ACTIVE
    match.started_at = timezone.now()
    match.save(update_fields=["status", "started_at", "updated_at"])
    record(acting_user, "match.start", match)
    return match


@transaction.atomic
def match_pause(*, acting_user: User | None, match: Match, reason: str) -> Match:
    if reason not in PauseReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    match = _lock_match(match)
    _require(match, MatchStatus.ACTIVE)
    match.status = MatchStatus.PAUSED
    match.pause_reason = reason
    match.paused_at = timezone.now()
    match.save(update_fields=["status", "pause_reason", "paused_at", "updated_at"])
    record(acting_user, "match.pause", match, role=audit_role(acting_user))
    _cancel_upcoming_session(acting_user, match)
    return match


@transaction.atomic
def match_resume(*, acting_user: User | None, match: Match) -> Match:
    match = _lock_match(match)
    _require(match, MatchStatus.PAUSED)
    match.status = MatchStatus.ACTIVE
    match.pause_reason = ""
    match.paused_at = None
    match.save(update_fields=["status", "pause_reason", "paused_at", "updated_at"])
    record(acting_user, "match.resume", match, role=audit_role(acting_user))
    return match


def _cancel_upcoming_session(acting_user: User | None, match: Match) -> None:
    """A paused or ended mentorship has no upcoming session: it is cancelled, so nobody waits for
    it, no reminder goes out, and its calendar cancellation can be downloaded (mentorship.py)."""
    from alongside.matching.mentorship import upcoming_session_cancelled

    upcoming_session_cancelled(acting_user=acting_user, match=match)


def _release_peer(acting_user: User | None, match: Match) -> None:
    """The person is no longer on this peer's caseload (unless someone else is now their peer). If
    another mentorship of theirs goes on, that peer supporter becomes the assigned one."""
    participant = match.participant
    if participant.assigned_peer_id == match.peer_id:
        other = (
            Match.objects.filter(
                organisation=match.organisation_id, participant=participant, status__in=GOING_ON_STATUSES
            )
            .exclude(pk=match.pk)
            .exclude(peer=match.peer_id)
            .select_related("peer")
            .order_by("proposed_at", "id")
            .first()
        )
        # acting_user is None when the person acts through their own link (the audit row says so).
        people_services.participant_assign_peer(
            acting_user=acting_user,  # type: ignore[arg-type]
            participant=participant,
            peer=other.peer if other else None,
        )


@transaction.atomic
def match_close(*, acting_user: User | None, match: Match, reason: str) -> Match:
    if reason not in MatchClosedReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    match = _lock_match(match)
    _require(match, MatchStatus.ACCEPTED, MatchStatus.ACTIVE, MatchStatus.PAUSED)
    now = timezone.now()
    match.status = MatchStatus.CLOSED
    match.closed_reason = reason
    match.ended_at = now
    match.ended_by = acting_user
    match.save(update_fields=["status", "closed_reason", "ended_at", "ended_by", "updated_at"])
    _release_peer(acting_user, match)
    record(acting_user, "match.close", match, role=audit_role(acting_user))
    _cancel_upcoming_session(acting_user, match)
    return match


@transaction.atomic
def match_change_peer(*, acting_user: User | None, match: Match) -> MatchRequest:
    """The person asks for a different peer supporter, at any time, without giving a reason.

    Recorded as their choice (never as a failure of anyone), the peer is not suggested to them
    again, and their request is waiting again: from where it was if the mentorship had not begun,
    from today if it had."""
    request = _lock_request(match.request)
    match = _lock_match(match)
    _require(match, *OPEN_MATCH_STATUSES)
    had_begun = match.status != MatchStatus.PROPOSED
    now = timezone.now()
    match.status = MatchStatus.CHANGED_BY_PERSON
    match.ended_at = now
    match.ended_by = acting_user
    match.save(update_fields=["status", "ended_at", "ended_by", "updated_at"])
    if had_begun:
        _release_peer(acting_user, match)
    request.status = RequestStatus.WAITING
    request.closed_at = None
    fields = ["status", "closed_at", "updated_at"]
    if had_begun:
        request.waiting_since = now
        fields.append("waiting_since")
    request.save(update_fields=fields)
    record(acting_user, "match.change_peer", match, role=audit_role(acting_user))
    _cancel_upcoming_session(acting_user, match)
    return request


# --- Reads of P3 (what the person shared shows in the reasons) ----------------------------------


def match_suggestions_viewed(*, acting_user: User | None, request: MatchRequest, by_person: bool = False) -> None:
    """Suggestions name lived experience the person shared (P3): every showing is in the access log."""
    record(acting_user, "match_request.view_suggestions", request, role="participant" if by_person else None)


def match_batch_viewed(*, acting_user: User | None, program: Program) -> None:
    """A batch proposal shows the reasons for many people at once: one access-log row for it."""
    record(acting_user, "match.batch_view", program)


# --- Batch ---------------------------------------------------------------------------------------


@dataclass
class BatchSent:
    created: list[Match]
    skipped: list[tuple[UUID, UUID, str]]  # request id, peer id, why (things changed since review)


@transaction.atomic
def match_batch_send(*, acting_user: User | None, program: Program, pairs: Sequence[tuple[Any, Any]]) -> BatchSent:
    """Send out a reviewed batch proposal: ask each peer supporter. A pair that is no longer
    possible (someone was matched or a place was filled since) is skipped with the reason."""
    organisation = program.organisation
    created: list[Match] = []
    skipped: list[tuple[UUID, UUID, str]] = []
    requests = {
        r.pk: r
        for r in MatchRequest.objects.filter(organisation=organisation, program=program, pk__in=[p[0] for p in pairs])
    }
    peers = {u.pk: u for u in User.objects.filter(pk__in=[p[1] for p in pairs])}
    for request_id, peer_id in pairs:
        request = requests.get(UUID(str(request_id)))
        peer = peers.get(UUID(str(peer_id)))
        if request is None or peer is None:
            skipped.append((UUID(str(request_id)), UUID(str(peer_id)), _("Not found in this program.")))
            continue
        try:
            with transaction.atomic():
                created.append(
                    _propose(
                        acting_user=acting_user,
                        request=request,
                        peer=peer,
                        via=ProposedVia.BATCH,
                        action="match.propose",
                    )
                )
        except ValidationError as exc:
            skipped.append((request.pk, peer.pk, " ".join(exc.messages)))
    record(acting_user, "match.batch_send", program)
    return BatchSent(created=created, skipped=skipped)


# --- Settings ------------------------------------------------------------------------------------


@transaction.atomic
def match_weights_update(*, acting_user: User, organisation: Organisation, **fields: Any) -> MatchWeights:
    """An admin changes how much each part of a suggestion counts."""
    weights = MatchWeights.objects.select_for_update().filter(organisation=organisation).first()
    if weights is None:
        weights = MatchWeights(organisation=organisation)
    changed = apply_changes(weights, fields, MatchWeights.WEIGHT_FIELDS)
    if changed or weights._state.adding:
        weights.full_clean(exclude=["organisation"])
        weights.save()
        record(acting_user, "match_weights.update", weights)
    return weights


@transaction.atomic
def peer_matching_details_update(
    *,
    acting_user: User,
    profile: PeerProfile,
    gender: str = "",
    home_latitude: Any = None,
    home_longitude: Any = None,
    travel_km: Any = None,
) -> PeerProfile:
    """What a peer supporter chooses to share for matching beyond their profile: a gender, an
    approximate home location and how far they travel to meet in person (all optional)."""
    errors: dict[str, str] = {}
    if gender and gender not in Gender.values:
        errors["gender"] = _("Choose from the listed genders, or leave it empty.")
    location_errors: dict[str, str] = {}
    lat, lon, km = _location_errors(location_errors, home_latitude, home_longitude, travel_km)
    errors.update({("home_" + k if k in ("latitude", "longitude") else k): v for k, v in location_errors.items()})
    if errors:
        raise ValidationError(errors)
    profile = PeerProfile.objects.select_for_update().get(pk=profile.pk, organisation=profile.organisation_id)
    changed = apply_changes(
        profile,
        {"gender": gender, "home_latitude": lat, "home_longitude": lon, "travel_km": km},
        ("gender", "home_latitude", "home_longitude", "travel_km"),
    )
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
        record(acting_user, "peer_profile.update", profile)
    return profile


# --- Merging two records of one person (people.services.participant_merge) ------------------------


def match_requests_merge(keep: Participant, duplicate: Participant) -> None:
    """The duplicate's match requests move to the kept record; where both wait in the same program,
    the duplicate's request is withdrawn (the kept one holds the person's place and waiting time is
    the earlier of the two)."""
    open_statuses = (RequestStatus.WAITING, RequestStatus.SUGGESTED)
    kept_open = {r.program_id: r for r in MatchRequest.objects.filter(participant=keep, status__in=open_statuses)}
    for request in MatchRequest.objects.filter(participant=duplicate, status__in=open_statuses):
        kept = kept_open.get(request.program_id)
        if kept is not None:
            if request.waiting_since < kept.waiting_since:
                kept.waiting_since = request.waiting_since
                kept.save(update_fields=["waiting_since", "updated_at"])
            match_request_withdraw(acting_user=None, request=request)
    MatchRequest.objects.filter(participant=duplicate).update(participant=keep)


# --- Participants' rights (people.rights) --------------------------------------------------------


def participant_restricted(participant: Participant, acting_user: User | None, now: datetime) -> None:
    """The person asked for their record to be erased: their waiting requests are withdrawn and
    their mentorships end ("the person chose to stop")."""
    for request in MatchRequest.objects.filter(
        participant=participant, status__in=(RequestStatus.WAITING, RequestStatus.SUGGESTED)
    ):
        match_request_withdraw(acting_user=acting_user, request=request)
    for match in Match.objects.filter(participant=participant, status__in=OPEN_MATCH_STATUSES):
        if match.status == MatchStatus.PROPOSED:
            Match.objects.filter(pk=match.pk).update(
                status=MatchStatus.WITHDRAWN, ended_at=now, ended_by=acting_user, updated_at=now
            )
            record(acting_user, "match.withdraw", match, role=audit_role(acting_user))
        else:
            match_close(acting_user=acting_user, match=match, reason=MatchClosedReason.CHOSE_TO_STOP)


def participant_anonymised(participant: Participant, acting_user: User | None, now: datetime) -> None:
    """Anonymisation: the notes to the coordinator (P3) and what the person asked for go; the rows
    stay for counts (requests made, matches and how long they lasted)."""
    requests = MatchRequest.objects.filter(participant=participant)
    for request in requests:
        request.experiences.clear()
    requests.update(
        note="",
        gender_preference=[],
        latitude=None,
        longitude=None,
        travel_km=None,
        availability={},
        updated_at=now,
    )
    # The mentorship's words: support plans, next sessions' places, closure summaries (mentorship.py).
    from alongside.matching.mentorship import mentorship_content_cleared

    mentorship_content_cleared(participant, now)


# --- pages and API (helper F) ---
# Reads of P3 for the pages and the API: the request's note and the lived experience it names,
# and the reasons stored with a match (they name what the person shared). Each showing is logged
# with identifiers only.


def match_request_viewed(*, acting_user: User, request: MatchRequest) -> None:
    """One request with its note and the lived experience it names (API detail)."""
    record(acting_user, "match_request.view", request)


def match_viewed(*, acting_user: User, match: Match) -> None:
    """One match with its reasons."""
    record(acting_user, "match.view", match)


def match_pending_viewed(*, acting_user: User, organisation: Organisation) -> None:
    """A peer supporter's "requests for you" page shows the reasons of every proposal waiting for
    their answer: one access-log row for the page (the proposals are theirs, and at most as many as
    the room in their caseload), so the page costs the same few queries however many there are."""
    record(
        acting_user,
        "match.view_pending",
        organisation=organisation,
        object_type="accounts.user",
        object_id=acting_user.pk,
    )
