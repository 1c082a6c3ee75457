"""Reads for matching, already confined to one organisation, and the bridge from the database to
the pure scoring inputs (``scoring.PeerInput`` / ``scoring.RequestInput``) in a fixed number of
queries, whatever the number of people or peers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from alongside.accounts.models import Membership, Organisation, Program, Role, User
from alongside.matching import scoring
from alongside.matching.models import (
    GOING_ON_STATUSES,
    OPEN_MATCH_STATUSES,
    Match,
    MatchRequest,
    MatchStatus,
    MatchWeights,
    RequestStatus,
)
from alongside.people.models import (
    LivedExperienceTerm,
    Participant,
    ParticipantExperience,
    ParticipantStatus,
    PeerProfile,
    PeerStatus,
)

# Statuses whose peer is never suggested to that person again (they declined, or the person
# asked for someone else); closed mentorships count as continuity instead.
EXCLUDING_STATUSES = (MatchStatus.DECLINED_BY_PEER, MatchStatus.CHANGED_BY_PERSON)


# --- Weights -------------------------------------------------------------------------------------


def weights_for(organisation: Organisation) -> MatchWeights:
    """The organisation's weights, or the defaults (unsaved) when it never changed them."""
    return MatchWeights.objects.filter(organisation=organisation).first() or MatchWeights(organisation=organisation)


def as_scoring_weights(weights: MatchWeights) -> scoring.Weights:
    return scoring.Weights(
        base=float(weights.base),
        shared_experience=float(weights.shared_experience),
        specialty=float(weights.specialty),
        gender=float(weights.gender),
        availability=float(weights.availability),
        distance=float(weights.distance),
        load=float(weights.load),
        wellbeing_stretched=float(weights.wellbeing_stretched),
        continuity=float(weights.continuity),
        waiting_per_day=float(weights.waiting_per_day),
        waiting_days_cap=int(weights.waiting_days_cap),
    )


# --- Lists ---------------------------------------------------------------------------------------


def waiting_list(organisation: Organisation, program: Program) -> QuerySet[MatchRequest]:
    """People waiting for a peer supporter in this program, longest waiting first."""
    return (
        MatchRequest.objects.filter(organisation=organisation, program=program, status=RequestStatus.WAITING)
        .select_related("participant", "program")
        .order_by("waiting_since", "created_at", "id")
    )


def peer_pending(organisation: Organisation, peer: User) -> QuerySet[Match]:
    """The proposals waiting for this peer supporter's answer, oldest first."""
    return (
        Match.objects.filter(organisation=organisation, peer=peer, status=MatchStatus.PROPOSED)
        .select_related("participant", "request", "program")
        .order_by("proposed_at", "id")
    )


def open_match_for(request: MatchRequest) -> Match | None:
    """The request's proposal or mentorship in progress, if any (at most one, by constraint)."""
    return Match.objects.filter(
        organisation=request.organisation_id, request=request, status__in=OPEN_MATCH_STATUSES
    ).first()


# --- Peers' room ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    limit: int
    caseload: int
    proposals: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.caseload - self.proposals)


def mentored_by(organisation_id: Any, peers: Any) -> QuerySet[Any]:
    """The people these peer supporters walk alongside in a mentorship that is going on (registered
    with ``people.access.register_support_scope``: their record scope and caseload)."""
    return Match.objects.filter(organisation=organisation_id, peer__in=peers, status__in=GOING_ON_STATUSES).values(
        "participant_id"
    )


def caseloads(organisation: Organisation, peer_ids: Collection[Any] | None = None) -> dict[Any, int]:
    """Open records each peer supporter supports (the caseload that counts against the limit):
    assigned on the record, plus mentorships going on with someone assigned to nobody or to
    another peer (a person with two mentorships counts for both peers). Two queries."""
    qs = Participant.objects.filter(
        organisation=organisation, assigned_peer__isnull=False, merged_into__isnull=True
    ).exclude(status=ParticipantStatus.CLOSED)
    mentored = (
        Match.objects.filter(
            organisation=organisation, status__in=GOING_ON_STATUSES, participant__merged_into__isnull=True
        )
        .exclude(participant__status=ParticipantStatus.CLOSED)
        .exclude(participant__assigned_peer=F("peer"))
    )
    if peer_ids is not None:
        qs = qs.filter(assigned_peer__in=list(peer_ids))
        mentored = mentored.filter(peer__in=list(peer_ids))
    counts: dict[Any, int] = {
        row["assigned_peer"]: row["n"] for row in qs.values("assigned_peer").annotate(n=Count("id"))
    }
    for row in mentored.values("peer").annotate(n=Count("participant", distinct=True)):
        counts[row["peer"]] = counts.get(row["peer"], 0) + row["n"]
    return counts


def open_proposals(organisation: Organisation, peer_ids: Collection[Any] | None = None) -> dict[Any, int]:
    """Proposals still waiting for each peer's answer: each holds a place in their caseload."""
    qs = Match.objects.filter(organisation=organisation, status=MatchStatus.PROPOSED)
    if peer_ids is not None:
        qs = qs.filter(peer__in=list(peer_ids))
    return {row["peer"]: row["n"] for row in qs.values("peer").annotate(n=Count("id"))}


def peer_room(profile: PeerProfile) -> Room:
    caseload = caseloads(profile.organisation, [profile.user_id]).get(profile.user_id, 0)
    proposals = open_proposals(profile.organisation, [profile.user_id]).get(profile.user_id, 0)
    return Room(limit=profile.caseload_limit, caseload=caseload, proposals=proposals)


# --- Scoring inputs ------------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def matchable_profiles(organisation: Organisation) -> list[PeerProfile]:
    """Active peer supporters with an active peer membership and an active account."""
    peer_ids = Membership.objects.filter(organisation=organisation, role=Role.PEER, is_active=True).values("user_id")
    return list(
        PeerProfile.objects.filter(
            organisation=organisation, status=PeerStatus.ACTIVE, user__is_active=True, user_id__in=peer_ids
        )
        .select_related("user")
        .prefetch_related("shared_experiences")
        .order_by("created_at", "id")
    )


def peer_input(profile: PeerProfile, room: Room, *, stretched: bool = False) -> scoring.PeerInput:
    return scoring.PeerInput(
        key=str(profile.user_id),
        experiences=frozenset(str(t.pk) for t in profile.shared_experiences.all()),
        languages=frozenset(profile.languages or ()),
        specialties=frozenset(profile.specialties or ()),
        modalities=frozenset(profile.modalities or ()),
        availability=scoring.availability_slots(profile.availability),
        gender=profile.gender,
        latitude=_float(profile.home_latitude),
        longitude=_float(profile.home_longitude),
        travel_km=_float(profile.travel_km),
        capacity=room.remaining,
        limit=profile.caseload_limit,
        active=profile.status == PeerStatus.ACTIVE,
        stretched=stretched,
    )


def peer_inputs(
    organisation: Organisation, *, stretched: Collection[Any] = ()
) -> tuple[list[scoring.PeerInput], dict[str, PeerProfile]]:
    """Every matchable peer as a scoring input (with the room left in their caseload), in four
    queries. ``stretched``: ids of peers whose shared wellbeing signal says they are stretched."""
    profiles = matchable_profiles(organisation)
    ids = [p.user_id for p in profiles]
    loads = caseloads(organisation, ids)
    proposals = open_proposals(organisation, ids)
    stretched_ids = {str(s) for s in stretched}
    inputs = [
        peer_input(
            p,
            Room(p.caseload_limit, loads.get(p.user_id, 0), proposals.get(p.user_id, 0)),
            stretched=str(p.user_id) in stretched_ids,
        )
        for p in profiles
    ]
    return inputs, {str(p.user_id): p for p in profiles}


def _days_waiting(since: datetime, now: datetime) -> float:
    return float(max(0, (now - since).days))


def request_inputs(requests: Sequence[MatchRequest], *, now: datetime | None = None) -> list[scoring.RequestInput]:
    """Scoring inputs for many requests in a fixed number of queries.

    Lived experience counts only while the person still lets it be used for matching (they may
    change their mind after asking)."""
    now = now or timezone.now()
    if not requests:
        return []
    organisation_id = requests[0].organisation_id
    participant_ids = {r.participant_id for r in requests}
    allowed: dict[Any, set[str]] = defaultdict(set)
    for participant_id, term_id in ParticipantExperience.objects.filter(
        organisation=organisation_id, participant_id__in=participant_ids, use_for_matching=True
    ).values_list("participant_id", "term_id"):
        allowed[participant_id].add(str(term_id))
    wanted: dict[Any, set[str]] = defaultdict(set)
    through = MatchRequest.experiences.through
    for request_id, term_id in through.objects.filter(matchrequest_id__in=[r.pk for r in requests]).values_list(
        "matchrequest_id", "livedexperienceterm_id"
    ):
        wanted[request_id].add(str(term_id))
    previous: dict[Any, set[str]] = defaultdict(set)
    excluded: dict[Any, set[str]] = defaultdict(set)
    for participant_id, peer_id, status in Match.objects.filter(
        organisation=organisation_id, participant_id__in=participant_ids
    ).values_list("participant_id", "peer_id", "status"):
        if status in EXCLUDING_STATUSES:
            excluded[participant_id].add(str(peer_id))
        elif status == MatchStatus.CLOSED:
            previous[participant_id].add(str(peer_id))
    result = []
    for r in requests:
        participant = r.participant
        program = r.program
        if participant.assigned_peer_id is not None:
            previous[r.participant_id].add(str(participant.assigned_peer_id))
        result.append(
            scoring.RequestInput(
                key=str(r.pk),
                experiences=frozenset(wanted[r.pk] & allowed[r.participant_id]),
                languages=frozenset(r.languages or participant.languages or ()),
                required_specialties=scoring.required_specialties(
                    serves_adults=program.serves_adults,
                    serves_youth=program.serves_youth,
                    serves_families=program.serves_families,
                    age_band=r.age_band or participant.age_band,
                ),
                wanted_specialties=frozenset(r.specialties or ()),
                gender_preference=frozenset(r.gender_preference or ()),
                gender_required=r.gender_required,
                modalities=frozenset(r.modalities or ()),
                availability=scoring.availability_slots(r.availability),
                latitude=_float(r.latitude),
                longitude=_float(r.longitude),
                travel_km=_float(r.travel_km),
                waiting_days=_days_waiting(r.waiting_since, now),
                previous_peers=frozenset(previous[r.participant_id] - excluded[r.participant_id]),
                excluded_peers=frozenset(excluded[r.participant_id]),
            )
        )
    return result


# --- Words for reasons ---------------------------------------------------------------------------


def labels(organisation: Organisation, term_ids: Iterable[str] = ()) -> scoring.Labels:
    from alongside.people.forms.records import MODALITY_CHOICES, SPECIALTY_CHOICES
    from alongside.web.forms import LANGUAGE_CHOICES

    ids = [UUID(t) for t in set(term_ids)]
    terms = (
        dict(
            (str(pk), label)
            for pk, label in LivedExperienceTerm.objects.filter(organisation=organisation, pk__in=ids).values_list(
                "pk", "label"
            )
        )
        if ids
        else {}
    )
    return scoring.Labels(
        experiences=terms,
        languages=dict(LANGUAGE_CHOICES),
        specialties=dict(SPECIALTY_CHOICES),
        modalities=dict(MODALITY_CHOICES),
    )


def reason_terms(reasons: Iterable[scoring.Reason]) -> set[str]:
    return {item for r in reasons if r.kind == "experience" for item in r.items}


# --- Suggestions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestedPeer:
    """One suggestion as a person sees it: the peer's first name, their own bio, what you share."""

    peer: User
    profile: PeerProfile
    points: float
    reasons: tuple[scoring.Reason, ...]
    explanation: str

    @property
    def first_name(self) -> str:
        name = self.peer.preferred_name or self.peer.full_name or ""
        return name.split(" ")[0] if name else ""


def suggestions_for(
    request: MatchRequest, *, k: int = 5, stretched: Collection[Any] | None = None, now: datetime | None = None
) -> list[SuggestedPeer]:
    """The ``k`` best peers for a request, with reasons in plain words (k = 3–5 for the person's
    page; "show me more" asks for a larger k).

    ``stretched``: ids of peers whose shared wellbeing signal says they are stretched; by default
    the workforce signal (``workforce.selectors.stretched_peer_ids``, one query). It lowers their
    score by the ``wellbeing_stretched`` weight and is never part of the reasons."""
    if stretched is None:
        from alongside.workforce.selectors import stretched_peer_ids

        stretched = stretched_peer_ids(request.organisation, now=now)
    peers, profiles = peer_inputs(request.organisation, stretched=stretched)
    [request_input] = request_inputs([request], now=now)
    weights = as_scoring_weights(weights_for(request.organisation))
    top = scoring.top_k(request_input, scoring.encode_peers(peers), weights, k=k)
    words = labels(request.organisation, reason_terms(r for s in top for r in s.reasons))
    return [
        SuggestedPeer(
            peer=profiles[s.peer.key].user,
            profile=profiles[s.peer.key],
            points=s.points,
            reasons=s.reasons,
            explanation=scoring.explanation_text(s.reasons, words),
        )
        for s in top
    ]


# --- Batch proposal ------------------------------------------------------------------------------


@dataclass
class BatchProposal:
    """What the coordinator reviews: who would be asked to support whom, and the totals."""

    program: Program
    requests: dict[str, MatchRequest]
    profiles: dict[str, PeerProfile]
    assignment: Any  # assignment.Assignment (the optimum)
    greedy_total: int  # first come, first served, same objective
    labels: scoring.Labels
    waiting: int
    room: int

    def explanation(self, reasons: Sequence[scoring.Reason]) -> str:
        return scoring.explanation_text(reasons, self.labels)


def batch_proposal(
    organisation: Organisation,
    program: Program,
    *,
    stretched: Collection[Any] | None = None,
    now: datetime | None = None,
) -> BatchProposal:
    """The optimal batch assignment for a program's waiting list (a read: nothing is written).

    ``stretched`` as in ``suggestions_for``: by default the workforce signal (one query)."""
    from alongside.matching import assignment

    if stretched is None:
        from alongside.workforce.selectors import stretched_peer_ids

        stretched = stretched_peer_ids(organisation, now=now)
    requests = list(waiting_list(organisation, program))
    inputs = request_inputs(requests, now=now)
    peers, profiles = peer_inputs(organisation, stretched=stretched)
    weights = as_scoring_weights(weights_for(organisation))
    problem = assignment.prepare(inputs, peers, weights)
    pairs = assignment.solve_flow(problem.values, problem.scores.feasible, problem.capacity)
    best = assignment.build_assignment(problem, pairs, "flow")
    greedy = assignment.solve_greedy(
        problem.values, problem.scores.feasible, problem.capacity, assignment.first_come_order(inputs)
    )
    terms = reason_terms(r for p in best.proposals for r in p.reasons)
    return BatchProposal(
        program=program,
        requests={str(r.pk): r for r in requests},
        profiles=profiles,
        assignment=best,
        greedy_total=assignment.total_of(problem.values, greedy),
        labels=labels(organisation, terms),
        waiting=len(requests),
        room=sum(p.capacity for p in peers if p.active),
    )


# --- pages and API (helper F) ---
# Reads for the coordinator's and the peer supporter's pages and for the API: each in a fixed
# number of queries whatever the number of rows, each confined to the acting person's organisation
# (and, for matches, to their record scope). Something outside it answers like a missing one.


def mentorship_programs(organisation: Organisation) -> QuerySet[Program]:
    """Active programs that offer one-on-one mentorship, by name."""
    return Program.objects.filter(organisation=organisation, is_active=True, offers_mentorship=True).order_by(
        "name", "id"
    )


@dataclass(frozen=True)
class ProgramQueue:
    program: Program
    waiting: int
    suggested: int


def waiting_overview(organisation: Organisation) -> list[ProgramQueue]:
    """Each mentorship program with how many people wait and how many have a peer being asked
    (two queries)."""
    programs = list(mentorship_programs(organisation))
    counts: dict[tuple[Any, str], int] = {
        (row["program"], row["status"]): row["n"]
        for row in MatchRequest.objects.filter(
            organisation=organisation, status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED]
        )
        .values("program", "status")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [
        ProgramQueue(
            program=p,
            waiting=counts.get((p.pk, RequestStatus.WAITING), 0),
            suggested=counts.get((p.pk, RequestStatus.SUGGESTED), 0),
        )
        for p in programs
    ]


def open_requests(organisation: Organisation, program: Program) -> QuerySet[MatchRequest]:
    """A program's waiting list as the coordinator sees it: people waiting and people whose peer
    is being asked, longest waiting first; with how many areas of lived experience they asked a
    peer to share (a count, not the areas) and the proposal waiting for a peer's answer."""
    from django.db.models import Prefetch

    proposals = Match.objects.filter(status=MatchStatus.PROPOSED).select_related("peer").order_by("proposed_at")
    return (
        MatchRequest.objects.filter(
            organisation=organisation,
            program=program,
            status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED],
        )
        .select_related("participant")
        .defer("note", "participant__notes")
        .annotate(experience_count=Count("experiences"))
        .prefetch_related(Prefetch("matches", queryset=proposals, to_attr="open_proposals"))
        .order_by("waiting_since", "created_at", "id")
    )


def people_without_request(organisation: Organisation, program: Program) -> QuerySet[Participant]:
    """People looking for a peer supporter with no open request in this program yet, longest known
    first (the coordinator may make one for them)."""
    open_in_program = MatchRequest.objects.filter(
        organisation=organisation, program=program, status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED]
    ).values("participant_id")
    return (
        Participant.objects.filter(
            organisation=organisation,
            looking_for_mentorship=True,
            merged_into__isnull=True,
            assigned_peer__isnull=True,
            erasure_requested_at__isnull=True,
        )
        .exclude(status=ParticipantStatus.CLOSED)
        .exclude(pk__in=open_in_program)
        .only("id", "preferred_name", "created_at", "organisation_id")
        .order_by("created_at", "id")
    )


def match_request_list(
    organisation: Organisation, *, program: Any = None, status: str = "", participant: Any = None
) -> QuerySet[MatchRequest]:
    """Requests of the organisation, longest waiting first (lists never decrypt the note)."""
    qs = MatchRequest.objects.filter(organisation=organisation).defer("note")
    if program is not None:
        qs = qs.filter(program=program)
    if status:
        qs = qs.filter(status=status)
    if participant is not None:
        qs = qs.filter(participant=participant)
    return qs.order_by("waiting_since", "created_at", "id")


def match_request_in(organisation: Organisation, request_id: Any) -> MatchRequest | None:
    """One request of the organisation, with its person and program (None when missing or foreign)."""
    return (
        MatchRequest.objects.filter(organisation=organisation, pk=request_id)
        .select_related("participant", "program", "organisation")
        .first()
    )


def request_experience_ids(requests: Sequence[MatchRequest]) -> dict[Any, list[str]]:
    """The lived-experience term ids each request asks a peer to share (one query)."""
    through = MatchRequest.experiences.through
    found: dict[Any, list[str]] = defaultdict(list)
    for request_id, term_id in (
        through.objects.filter(matchrequest_id__in=[r.pk for r in requests])
        .order_by("livedexperienceterm_id")
        .values_list("matchrequest_id", "livedexperienceterm_id")
    ):
        found[request_id].append(str(term_id))
    return found


def shareable_experiences(participant: Participant) -> list[LivedExperienceTerm]:
    """What this person said may be used to suggest a peer supporter (the only terms a request may name)."""
    term_ids = ParticipantExperience.objects.filter(
        organisation=participant.organisation_id, participant=participant, use_for_matching=True
    ).values("term_id")
    return list(
        LivedExperienceTerm.objects.filter(organisation=participant.organisation_id, pk__in=term_ids).order_by(
            "category", "label", "id"
        )
    )


def active_peer(organisation: Organisation, peer_id: Any) -> User | None:
    """A peer supporter of this organisation with an active peer membership (None otherwise)."""
    membership = (
        Membership.objects.filter(organisation=organisation, user_id=peer_id, role=Role.PEER, is_active=True)
        .select_related("user")
        .first()
    )
    return membership.user if membership is not None else None


def peers_by_id(organisation: Organisation, peer_ids: Iterable[Any]) -> dict[str, User]:
    """Peer supporters of this organisation (active or not) by id, for names (one query)."""
    return {
        str(m.user_id): m.user
        for m in Membership.objects.filter(
            organisation=organisation, role=Role.PEER, user_id__in=list(peer_ids)
        ).select_related("user")
    }


# --- Matches within the record scope -------------------------------------------------------------


def visible_matches(org: Any) -> QuerySet[Match]:
    """Matches this member may see: coordinators and admins every match of the organisation;
    supervisors those of the peer supporters they supervise; a peer supporter their own. Everyone
    else none. ``org`` is an ``accounts.access.OrgContext``."""
    from django.db.models import Q

    from alongside.accounts.models import SupervisionLink

    qs = Match.objects.filter(organisation=org.organisation)
    if org.can("matching.view"):
        return qs
    scope = Q(pk__in=[])
    if org.can("participants.view_team"):
        team = SupervisionLink.objects.filter(
            organisation=org.organisation, supervisor=org.user, ended_at__isnull=True
        ).values("peer_id")
        scope |= Q(peer__in=team) | Q(peer=org.user)
    if org.can("matching.respond") or org.can("participants.view_own"):
        scope |= Q(peer=org.user)
    return qs.filter(scope)


def access_match(org: Any, match_id: Any) -> Match:
    """The match if this member may see it, else the same 404 as a missing one."""
    from django.http import Http404

    from alongside.accounts.access import parse_uuid_or_404

    org.require("mentorship.view")
    match = (
        visible_matches(org)
        .filter(pk=parse_uuid_or_404(match_id))
        .select_related("participant", "peer", "program", "request", "organisation")
        .first()
    )
    if match is None:
        raise Http404
    return match


def pending_for_peer(org: Any, match_id: Any) -> Match:
    """A proposal waiting for this peer supporter's own answer, else 404 (someone else's proposal,
    an answered one and a missing one look alike)."""
    from django.http import Http404

    from alongside.accounts.access import parse_uuid_or_404

    org.require("matching.respond")
    match = (
        Match.objects.filter(
            organisation=org.organisation, peer=org.user, status=MatchStatus.PROPOSED, pk=parse_uuid_or_404(match_id)
        )
        .select_related("participant", "peer", "program", "request", "organisation")
        .first()
    )
    if match is None:
        raise Http404
    return match


# --- Words ---------------------------------------------------------------------------------------


def reasons_of(match: Match) -> list[scoring.Reason]:
    """The reasons stored with a match when it was proposed."""
    return [scoring.Reason.from_dict(r) for r in (match.explanation or []) if isinstance(r, dict) and "kind" in r]


def labels_for_matches(organisation: Organisation, matches: Iterable[Match]) -> scoring.Labels:
    """Words for every reason of these matches (one query for the lived-experience terms)."""
    return labels(organisation, reason_terms(r for m in matches for r in reasons_of(m)))


def peer_reason_text(reason: scoring.Reason, words: scoring.Labels) -> str | None:
    """A reason as the peer supporter reads it. Most read the same both ways ("you both shared
    …"); the specialty is said from their side, and the person's gender preference is theirs."""
    from django.utils.translation import gettext as _

    if reason.kind == "gender":
        return None
    if reason.kind == "specialty":
        names = [str(words.specialties.get(i, i)) for i in reason.items]
        return _("they asked for support you offer (%(items)s)") % {"items": ", ".join(names)}
    return scoring.reason_text(reason, words)


def peer_explanation(reasons: Sequence[scoring.Reason], words: scoring.Labels) -> str:
    from django.utils.translation import gettext as _

    parts = [t for t in (peer_reason_text(r, words) for r in reasons) if t]
    if not parts:
        return _("They meet what you offer.")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def availability_words(availability: Any) -> list[str]:
    """{"tue": ["evening"], ...} → ["Tuesday: evening", ...], in weekday order."""
    from django.utils.translation import gettext as _

    from alongside.people.forms.records import DAYS, TIMES

    if not isinstance(availability, dict):
        return []
    time_names = dict(TIMES)
    lines = []
    for day, day_name in DAYS:
        times = [str(time_names[t]).lower() for t, _t in TIMES if t in (availability.get(day) or [])]
        if times:
            lines.append(_("%(day)s: %(times)s") % {"day": day_name, "times": ", ".join(times)})
    return lines


def first_name(name: str) -> str:
    return name.split(" ")[0] if name else ""
