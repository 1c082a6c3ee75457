"""One-on-one mentorship in the demo: both demo organisations get peer supporters' matching details,
waiting lists (people waiting from today to nine days), proposals waiting for a peer supporter's
answer, active mentorships with support plans, their sessions and a next session, a paused one, and
a closed one with its summary.

Called by ``alongside demo`` after the people demo (``people/demo.py``), whose people it uses:
the enquiries wait for a peer supporter, and people already on a peer's caseload in a mentorship
program have their mentorship recorded, its sessions being the contacts the people demo logged.
Every write goes through ``matching/services.py`` and ``matching/mentorship.py`` (each with its
audit row); afterwards, as in the people demo, dates are moved back with queryset ``update()`` so
the waiting list and the mentorships look lived-in. Idempotent: a person who already has a match
request is left exactly as they are.

Everyone here is invented (see people/demo.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alongside.accounts.demo import DemoRefused
from alongside.accounts.models import Organisation, Program, User
from alongside.core.tenancy import tenant_scope
from alongside.matching import mentorship, services
from alongside.matching.models import (
    ClosureSummary,
    MadeBy,
    Match,
    MatchRequest,
    MatchStatus,
    NextSession,
    SupportPlan,
)
from alongside.people import services as people_services
from alongside.people.models import (
    ContactRecord,
    LivedExperienceTerm,
    Participant,
    ParticipantExperience,
    PeerProfile,
    ServiceModel,
)


@dataclass(frozen=True)
class PeerDetails:
    """What a peer supporter chose to share for matching beyond their profile."""

    gender: str = ""
    location: tuple[str, str] | None = None  # approximate home (two decimals)
    travel_km: int | None = None


@dataclass(frozen=True)
class Plan:
    goals: str
    steps: str
    supports: str
    frequency: str
    how: str
    by_person: bool = False  # the person wrote the last version themselves


@dataclass(frozen=True)
class NextMeeting:
    days: int  # from today
    hour: int
    minutes: int
    mode: str
    location: str = ""


@dataclass(frozen=True)
class Mentorship:
    """A person already on a peer supporter's caseload in a mentorship program: their request, the
    peer's yes and their sessions (the contacts the people demo logged)."""

    name: str
    program: str
    experiences: tuple[str, ...] = ()  # what they asked a peer to share (among what they share for matching)
    modalities: tuple[str, ...] = ("phone",)
    availability: dict[str, list[str]] = field(default_factory=dict)
    chose: bool = True  # the person chose from suggestions (else a coordinator proposed)
    plan: Plan | None = None
    next: NextMeeting | None = None
    paused: str = ""  # a pause reason
    closed: str = ""  # a closed reason
    summary: str = ""


@dataclass(frozen=True)
class Waiting:
    """Someone waiting for a peer supporter (an enquiry of the people demo)."""

    name: str
    program: str
    experiences: tuple[str, ...] = ()  # shared for matching at intake, and asked for
    modalities: tuple[str, ...] = ("phone", "video")
    availability: dict[str, list[str]] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    made_by: str = MadeBy.INTAKE
    note: str = ""
    ask: str = ""  # a peer (demo key) being asked: "" = still waiting
    chose: bool = False  # the person chose that peer themselves (else a coordinator proposed)


@dataclass(frozen=True)
class OrgMatching:
    slug: str
    peers: dict[str, PeerDetails]
    mentorships: tuple[Mentorship, ...]
    waiting: tuple[Waiting, ...]


HARBOR = OrgMatching(
    slug="harbor",
    peers={
        "peer": PeerDetails(gender="man", location=("43.66", "-70.26"), travel_km=15),
        "peer2": PeerDetails(gender="non_binary", location=("43.65", "-70.28"), travel_km=10),
        "peer3": PeerDetails(location=("43.68", "-70.30"), travel_km=8),
        "peer4": PeerDetails(gender="woman", location=("43.68", "-70.35"), travel_km=20),
    },
    mentorships=(
        Mentorship(
            "Wren",
            "Recovery Mentors",
            experiences=("Alcohol",),
            modalities=("in_person", "text"),
            availability={"mon": ["afternoon"], "wed": ["afternoon"]},
            plan=Plan(
                goals="Stay sober through the holidays\nSleep before midnight on work nights",
                steps="Text Jordan after a hard shift\nTry the Thursday circle once\nPhone off at 11",
                supports="My sister Mae\nThe Monday morning meeting\nJordan, every Wednesday",
                frequency="weekly",
                how="Coffee near the bakery on Wednesdays; a text on Sunday evenings",
                by_person=True,
            ),
            next=NextMeeting(2, 15, 0, "in_person", "Harbor Wellness Center, 12 Fore Street, room 2"),
        ),
        Mentorship(
            "Hollis",
            "Recovery Mentors",
            experiences=("Military service", "PTSD"),
            modalities=("in_person", "phone"),
            availability={"mon": ["morning"], "thu": ["evening"]},
            chose=False,
            plan=Plan(
                goals="Walk the Eastern Promenade three times a week\nGo back to the VA appointment in May",
                steps="Write down the questions for the appointment\nAsk about the veterans' walking group",
                supports="Jordan, on walks outdoors\nMy neighbour Frank",
                frequency="weekly",
                how="A walk on Monday mornings; a call if the week gets hard",
            ),
            next=NextMeeting(5, 9, 30, "in_person", "Eastern Promenade, the bench by the water fountain"),
        ),
        Mentorship(
            "Brisa",
            "Recovery Mentors",
            experiences=("Alcohol", "Immigration"),
            modalities=("phone", "in_person"),
            availability={"sat": ["morning"], "wed": ["evening"]},
            plan=Plan(
                goals="Encontrar un grupo en español\nPasar más tiempo con mis hijos los sábados",
                steps="Llamar a la iglesia sobre el grupo del martes",
                supports="Luz\nMi prima Carmen",
                frequency="fortnightly",
                how="Una llamada los miércoles por la tarde",
                by_person=True,
            ),
            next=NextMeeting(3, 18, 30, "phone"),
        ),
        Mentorship(
            "Quill",
            "Next Wave Youth Peers",
            experiences=("Young carer",),
            modalities=("text", "video"),
            availability={"fri": ["afternoon"]},
            plan=Plan(
                goals="Have one afternoon a week that's just mine",
                steps="Ask my aunt to cover Fridays\nSign up for art night",
                supports="Robin\nThe school counsellor",
                frequency="weekly",
                how="Video on Fridays after school",
            ),
            next=NextMeeting(4, 16, 0, "video", "https://video.example.org/next-wave-robin"),
        ),
        Mentorship(
            "Moss",
            "Recovery Mentors",
            experiences=("Alcohol",),
            modalities=("phone", "video"),
            availability={"tue": ["evening"]},
            plan=Plan(
                goals="Keep going to meetings while away",
                steps="Find an online meeting in the evening",
                supports="Casey, by phone when I'm back",
                frequency="as_needed",
                how="Moss calls when back in town",
            ),
            paused="person_asked",
        ),
        Mentorship(
            "Rowan",
            "Recovery Mentors",
            experiences=("Opioids", "Medication-assisted recovery"),
            modalities=("in_person", "phone"),
            availability={"wed": ["morning"]},
            chose=False,
            plan=Plan(
                goals="Get the housing application in before the end of the month\nKeep my clinic days",
                steps="Gather the documents\nBook the housing office appointment\nAsk about the deposit fund",
                supports="Jordan, on Wednesdays\nThe Thursday circle",
                frequency="weekly",
                how="Meet at the wellness center on Wednesday mornings",
            ),
            closed="goals_met",
            summary=(
                "You came wanting help with the housing application, and you did it: the documents, the "
                "appointment, the deposit fund. You kept every clinic day along the way. You said the Thursday "
                "circle is where you want to keep going, and you know where to find us if you'd like a peer "
                "supporter again."
            ),
        ),
    ),
    waiting=(
        Waiting(
            "Vale",
            "Recovery Mentors",
            experiences=("Military service",),
            modalities=("phone", "video"),
            availability={"mon": ["morning"], "thu": ["evening"]},
            note="Asked whether a peer supporter with military service is free.",
            ask="peer",
            chose=True,
        ),
        Waiting(
            "Oakley",
            "Recovery Mentors",
            experiences=("Anxiety",),
            modalities=("video", "phone"),
            availability={"tue": ["evening"], "thu": ["evening"]},
            made_by=MadeBy.COORDINATOR,
        ),
        Waiting(
            "Tamsin",
            "Recovery Mentors",
            modalities=("phone",),
            availability={"tue": ["afternoon"], "thu": ["afternoon"]},
            note="Afternoon calls are best.",
            ask="peer2",
        ),
        Waiting(
            "Ember",
            "Recovery Mentors",
            experiences=("Alcohol",),
            modalities=("text", "phone"),
            availability={"wed": ["evening"], "sat": ["morning"]},
            made_by=MadeBy.PERSON,
        ),
    ),
)

RIVERBEND = OrgMatching(
    slug="riverbend",
    peers={
        "peer": PeerDetails(gender="woman", location=("38.63", "-90.20"), travel_km=25),
        "peer2": PeerDetails(location=("38.74", "-90.27"), travel_km=15),
        "peer3": PeerDetails(gender="non_binary", location=("38.63", "-90.19"), travel_km=5),
    },
    mentorships=(
        Mentorship(
            "Fern",
            "Family Navigators",
            experiences=("Parent or caregiver of someone with a mental-health condition",),
            modalities=("in_person", "phone"),
            availability={"tue": ["morning"]},
            plan=Plan(
                goals="Talk with Indigo's school about a calmer start to the day\nOne evening a week for me",
                steps="Write down what helps Indigo in the mornings\nAsk my sister about Thursdays",
                supports="The family group on Tuesdays\nIndigo's counsellor",
                frequency="weekly",
                how="In person at the Commons on Tuesday mornings",
                by_person=True,
            ),
            next=NextMeeting(1, 10, 0, "in_person", "Riverbend Commons, family room"),
        ),
        Mentorship(
            "Hazel",
            "Family Navigators",
            experiences=("Parent or caregiver of someone with a mental-health condition",),
            modalities=("phone", "video"),
            availability={"thu": ["afternoon"]},
            chose=False,
            plan=Plan(
                goals="Understand Reed's care plan\nSleep through the night again",
                steps="List my questions for the family meeting",
                supports="Reed's care coordinator\nThe family group",
                frequency="fortnightly",
                how="A call every other Thursday afternoon",
            ),
            next=NextMeeting(6, 14, 0, "phone"),
        ),
        Mentorship(
            "Cove",
            "Family Navigators",
            modalities=("phone",),
            availability={"tue": ["afternoon"]},
            paused="person_asked",
        ),
        Mentorship(
            "Poppy",
            "Family Navigators",
            experiences=("Sibling",),
            modalities=("in_person", "phone"),
            availability={"mon": ["evening"]},
            plan=Plan(
                goals="Find a way to stay close to Mo without carrying everything",
                steps="Tell Mo's team what I can and can't do\nJoin the siblings' evening",
                supports="The family group\nMy partner",
                frequency="weekly",
                how="Monday evening calls",
                by_person=True,
            ),
            closed="moved_on",
            summary=(
                "We talked a lot about being Mo's sibling and still having a life of your own. You told Mo's team "
                "what you can and can't do, and you found the siblings' evening, which is where you'd like to keep "
                "going now. That took courage."
            ),
        ),
    ),
    waiting=(
        Waiting(
            "Yarrow",
            "Family Navigators",
            modalities=("phone",),
            availability={"tue": ["afternoon"]},
            ask="peer",
        ),
        Waiting(
            "Tansy",
            "Family Navigators",
            modalities=("phone", "video"),
            availability={"mon": ["evening"], "thu": ["afternoon"]},
            made_by=MadeBy.PERSON,
        ),
        Waiting(
            "Bramble",
            "Family Navigators",
            modalities=("phone",),
            availability={"tue": ["morning"]},
            made_by=MadeBy.COORDINATOR,
        ),
        Waiting(
            "Clover",
            "Family Navigators",
            experiences=("Parent or caregiver of someone with a mental-health condition",),
            modalities=("in_person", "phone", "video"),
            availability={"tue": ["morning"], "thu": ["morning"]},
            note="Her son was recently diagnosed; would like to talk to another parent.",
        ),
    ),
)

DEMO_MATCHING = (HARBOR, RIVERBEND)


class _Loader:
    def __init__(self, spec: OrgMatching, organisation: Organisation) -> None:
        self.spec = spec
        self.organisation = organisation
        self.tz = ZoneInfo(organisation.timezone)
        self.now = timezone.now()
        self.coordinator = User.objects.get(email=f"coordinator@{organisation.slug}.demo")
        self.programs = {p.name: p for p in Program.objects.filter(organisation=organisation)}
        self.terms = {t.label: t for t in LivedExperienceTerm.objects.filter(organisation=organisation)}
        self.started = set(
            MatchRequest.objects.filter(organisation=organisation).values_list("participant__preferred_name", flat=True)
        )

    def peer(self, key: str) -> User:
        return User.objects.get(email=f"{key}@{self.organisation.slug}.demo")

    def person(self, name: str) -> Participant:
        return Participant.objects.get(organisation=self.organisation, preferred_name=name)

    def load(self) -> None:
        for key, details in self.spec.peers.items():
            self.peer_details(key, details)
        for item in self.spec.mentorships:
            if item.name not in self.started:
                self.mentorship(item)
        for number, waiting in enumerate(self.spec.waiting):
            if waiting.name not in self.started:
                self.waiting(number, waiting)

    def peer_details(self, key: str, details: PeerDetails) -> None:
        peer = self.peer(key)
        profile = PeerProfile.objects.get(organisation=self.organisation, user=peer)
        if profile.gender or profile.home_latitude is not None:
            return  # already there: the peer may have changed them since
        lat, lon = details.location or (None, None)
        services.peer_matching_details_update(
            acting_user=peer,
            profile=profile,
            gender=details.gender,
            home_latitude=lat,
            home_longitude=lon,
            travel_km=details.travel_km,
        )

    def _request(
        self,
        participant: Participant,
        program: Program,
        experiences: tuple[str, ...],
        modalities: tuple[str, ...],
        availability: dict[str, list[str]],
        *,
        made_by: str,
        note: str = "",
        languages: tuple[str, ...] = (),
    ) -> MatchRequest:
        return services.match_request_create(
            acting_user=None if made_by == MadeBy.PERSON else self.coordinator,
            participant=participant,
            program=program,
            made_by=made_by,
            experiences=[self.terms[label] for label in experiences],
            languages=list(languages),
            modalities=list(modalities),
            availability=availability,
            note=note,
        )

    # People already on a peer's caseload: their mentorship, from request to today.
    def mentorship(self, item: Mentorship) -> None:
        participant = self.person(item.name)
        peer = participant.assigned_peer
        assert peer is not None, f"demo: {item.name} needs a peer supporter"
        program = self.programs[item.program]
        request = self._request(
            participant, program, item.experiences, item.modalities, item.availability, made_by=MadeBy.INTAKE
        )
        if item.chose:
            match = services.match_choose(acting_user=None, request=request, peer=peer)
        else:
            match = services.match_propose(acting_user=self.coordinator, request=request, peer=peer)
        match = services.match_accept(acting_user=peer, match=match)
        match = services.match_start(acting_user=peer, match=match)
        if item.plan is not None:
            self.plan(match, peer, item.plan)
        if item.next is not None:
            self.next_session(match, peer, item.next)
        if item.paused:
            match = services.match_pause(acting_user=peer, match=match, reason=item.paused)
        if item.closed:
            mentorship.mentorship_close(acting_user=peer, match=match, reason=item.closed, worked_on=item.summary)
        self.backdate(match, request)

    def plan(self, match: Match, peer: User, plan: Plan) -> None:
        mentorship.plan_update(
            acting_user=peer,
            match=match,
            goals=plan.goals.split("\n")[0],
            supports=plan.supports,
            check_in_frequency=plan.frequency,
            check_in_how=plan.how,
        )
        # The full plan, written last by the person (through their link) or by the peer.
        mentorship.plan_update(
            acting_user=None if plan.by_person else peer,
            match=match,
            goals=plan.goals,
            steps=plan.steps,
            supports=plan.supports,
            check_in_frequency=plan.frequency,
            check_in_how=plan.how,
        )

    def next_session(self, match: Match, peer: User, meeting: NextMeeting) -> None:
        day = timezone.localdate(self.now, self.tz) + timedelta(days=meeting.days)
        starts = datetime.combine(day, time(meeting.hour, meeting.minutes), tzinfo=self.tz)
        mentorship.next_session_set(
            acting_user=peer,
            match=match,
            starts_at=starts,
            duration_minutes=60 if meeting.mode == "in_person" else 45,
            mode=meeting.mode,
            location=meeting.location,
        )

    def backdate(self, match: Match, request: MatchRequest) -> None:
        """The mentorship began with the person's first mentorship contact in the people demo."""
        contacts = ContactRecord.objects.filter(
            organisation=self.organisation,
            participant=match.participant_id,
            peer=match.peer_id,
            service_model=ServiceModel.MENTORSHIP,
        ).order_by("occurred_at")
        first = contacts.first()
        last = contacts.last()
        started = first.occurred_at if first else self.now - timedelta(days=14)
        responded = started - timedelta(days=2)
        proposed = responded - timedelta(days=1, hours=3)
        asked = proposed - timedelta(days=4)
        Match.objects.filter(pk=match.pk).update(
            proposed_at=proposed, responded_at=responded, started_at=started, created_at=proposed
        )
        MatchRequest.objects.filter(pk=request.pk).update(
            created_at=asked, waiting_since=asked, closed_at=responded, updated_at=responded
        )
        fresh = Match.objects.get(pk=match.pk)
        end = (last.occurred_at if last else started) + timedelta(days=3)
        if fresh.status == MatchStatus.PAUSED:
            Match.objects.filter(pk=match.pk).update(paused_at=min(end, self.now - timedelta(days=1)))
        elif fresh.status == MatchStatus.CLOSED:
            ended = min(end, self.now - timedelta(days=1))
            Match.objects.filter(pk=match.pk).update(ended_at=ended)
            ClosureSummary.objects.filter(match=match).update(created_at=ended, updated_at=ended)
            SupportPlan.objects.filter(match=match).update(updated_at=ended - timedelta(days=7))
        else:
            SupportPlan.objects.filter(match=match).update(updated_at=self.now - timedelta(days=3, hours=2))
            NextSession.objects.filter(match=match).update(updated_at=self.now - timedelta(days=1))

    # Enquiries waiting for a peer supporter, some with a peer being asked.
    def waiting(self, number: int, item: Waiting) -> None:
        participant = self.person(item.name)
        if item.experiences:
            # Shared at intake, for matching (kept alongside anything already shared).
            selections = {
                pe.term: pe.use_for_matching
                for pe in ParticipantExperience.objects.filter(participant=participant).select_related("term")
            }
            selections.update({self.terms[label]: True for label in item.experiences})
            people_services.participant_set_experiences(
                acting_user=self.coordinator, participant=participant, selections=selections
            )
        request = self._request(
            participant,
            self.programs[item.program],
            item.experiences,
            item.modalities,
            item.availability,
            made_by=item.made_by,
            note=item.note,
            languages=item.languages,
        )
        match = None
        if item.ask:
            peer = self.peer(item.ask)
            if item.chose:
                match = services.match_choose(acting_user=None, request=request, peer=peer)
            else:
                match = services.match_propose(acting_user=self.coordinator, request=request, peer=peer)
        # Waiting since the enquiry came in (from today up to nine days).
        since = max(participant.created_at, self.now - timedelta(days=10)) + timedelta(hours=1 + number % 3)
        since = min(since, self.now - timedelta(minutes=30))
        MatchRequest.objects.filter(pk=request.pk).update(created_at=since, waiting_since=since, updated_at=since)
        if match is not None:
            asked = min(since + timedelta(days=1), self.now - timedelta(hours=5))
            Match.objects.filter(pk=match.pk).update(proposed_at=asked, created_at=asked, updated_at=asked)


@transaction.atomic
def load_matching_demo() -> None:
    """Load the mentorship demo into both demo organisations (after the people demo)."""
    if not settings.DEMO:
        raise DemoRefused("The demo makes accounts with a published password: set ALONGSIDE_DEMO=1 to load it.")
    for spec in DEMO_MATCHING:
        organisation = Organisation.objects.get(slug=spec.slug)
        with tenant_scope(organisation):
            _Loader(spec, organisation).load()


def demo_summary(organisation: Organisation) -> dict[str, Any]:
    """Counts for the demo tests and for a glance after loading (inside the tenant scope)."""
    return {
        "waiting": MatchRequest.objects.filter(organisation=organisation, status="waiting").count(),
        "proposed": Match.objects.filter(organisation=organisation, status=MatchStatus.PROPOSED).count(),
        "active": Match.objects.filter(organisation=organisation, status=MatchStatus.ACTIVE).count(),
        "paused": Match.objects.filter(organisation=organisation, status=MatchStatus.PAUSED).count(),
        "closed": Match.objects.filter(organisation=organisation, status=MatchStatus.CLOSED).count(),
    }
