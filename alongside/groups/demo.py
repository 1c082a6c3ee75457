"""Groups in the demo: in both demo organisations, groups of every audience (adults, youth,
families, a community) and every format (in person, online, hybrid, phone) at sites in a few real
US cities, with weekly, every-other-week and monthly schedules, a cancelled and a moved session,
a one-off session, registrations (one group full, with a waitlist), attendance for the past
weeks, and anonymous feedback. Then the directory's index is rebuilt for both organisations.

Called by ``alongside demo`` after the accounts and people demos. Every write goes through the
groups services (with their audit rows). Idempotent: an organisation that already has groups is
left as it is. Everyone here is invented; registrants give fictional 555-01xx phone numbers, so
loading the demo sends no email.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from alongside.accounts.demo import DemoRefused
from alongside.accounts.models import Organisation, Program, Site, User
from alongside.core.tenancy import tenant_scope
from alongside.directory import sync
from alongside.groups import registration as registrations
from alongside.groups import running, schedules, services
from alongside.groups.models import Group
from alongside.groups.vocab import Accessibility, Audience, Community, GroupFormat, Joining, Topic
from alongside.people.models import Participant, ParticipantStatus

AGREEMENT = (
    "What is said here stays here. We listen without fixing or judging, and speak from our own "
    "experience. Everyone may pass. We look after ourselves: step out whenever you need to. This group "
    "is not a crisis service; if you or someone else is in danger, call or text 988, or call 911."
)


@dataclass(frozen=True)
class DemoGroup:
    name: str
    program: str
    audience: str
    format: str
    rrule: str
    start: time
    minutes: int = 90
    site: str = ""
    joining: str = Joining.DROP_IN
    capacity: int | None = None
    topics: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()
    ages: tuple[int, int] | None = None
    language: str = "en"
    accessibility: tuple[str, ...] = ()
    description: str = ""
    public_join: bool = False
    facilitator: str = "peer"
    # Public registrants (first name, age for youth groups); beyond capacity they wait.
    registrants: tuple[tuple[str, int | None], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


WEEKS_BACK = 6

DEMO_GROUPS: dict[str, list[DemoGroup]] = {
    "harbor": [
        DemoGroup(
            "Thursday Evening Circle",
            "Thursday Circles",
            Audience.ADULTS,
            GroupFormat.IN_PERSON,
            "FREQ=WEEKLY;BYDAY=TH",
            time(18, 0),
            site="Harbor Wellness Center",
            topics=(Topic.MENTAL_HEALTH, Topic.WELLNESS),
            accessibility=(Accessibility.WHEELCHAIR, Accessibility.RESTROOM, Accessibility.QUIET),
            description="A drop-in circle for adults living with mental health challenges. Come as you are.",
        ),
        DemoGroup(
            "Recovery Together Online",
            "Thursday Circles",
            Audience.ADULTS,
            GroupFormat.ONLINE,
            "FREQ=WEEKLY;BYDAY=MO",
            time(19, 0),
            minutes=60,
            topics=(Topic.SUBSTANCE_USE, Topic.DUAL_RECOVERY),
            accessibility=(Accessibility.CAPTIONS,),
            public_join=True,
            facilitator="peer2",
            description="An online circle for people in or seeking recovery from substance use. Camera optional.",
        ),
        DemoGroup(
            "Family Circle",
            "Thursday Circles",
            Audience.FAMILIES,
            GroupFormat.HYBRID,
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            time(18, 30),
            site="Eastside Library Community Room",
            joining=Joining.REGISTRATION,
            capacity=12,
            topics=(Topic.FAMILY,),
            accessibility=(Accessibility.HEARING_LOOP, Accessibility.STEP_FREE),
            registrants=(("Ana", None), ("Marcus", None), ("Lee", None)),
            description="For parents, partners and friends supporting someone they love. In the room or online.",
        ),
        DemoGroup(
            "Next Wave Teens",
            "Next Wave Youth Peers",
            Audience.YOUTH,
            GroupFormat.IN_PERSON,
            "FREQ=WEEKLY;BYDAY=WE",
            time(16, 0),
            site="Eastside Library Community Room",
            joining=Joining.REGISTRATION,
            capacity=10,
            ages=(14, 18),
            topics=(Topic.ANXIETY, Topic.DEPRESSION),
            registrants=(("Jay", 15), ("Sam", 16), ("Ari", 17), ("Noor", 14)),
            facilitator="peer3",
            description="Teens supporting teens, with trained young peer mentors. Snacks provided.",
        ),
        DemoGroup(
            "Veterans Peer Circle",
            "Thursday Circles",
            Audience.COMMUNITY,
            GroupFormat.IN_PERSON,
            "FREQ=MONTHLY;BYDAY=1SA",
            time(10, 0),
            minutes=120,
            site="Portsmouth Recovery Hub",
            communities=(Community.VETERANS,),
            topics=(Topic.TRAUMA, Topic.MENTAL_HEALTH),
            accessibility=(Accessibility.PARKING, Accessibility.TRANSIT),
            description="Veterans and military family members, led by a veteran peer supporter. Coffee's on.",
        ),
        DemoGroup(
            "Evening Phone Circle",
            "Thursday Circles",
            Audience.ADULTS,
            GroupFormat.PHONE,
            "FREQ=WEEKLY;BYDAY=SU",
            time(19, 0),
            minutes=60,
            joining=Joining.REGISTRATION,
            capacity=4,
            topics=(Topic.GRIEF,),
            registrants=(("Robin", None), ("Dee", None), ("Kai", None), ("Mo", None), ("Tess", None), ("Luz", None)),
            facilitator="peer4",
            description="A small group by phone for people living with grief. Join from anywhere.",
        ),
        DemoGroup(
            "Círculo de Apoyo en Español",
            "Thursday Circles",
            Audience.ADULTS,
            GroupFormat.IN_PERSON,
            "FREQ=WEEKLY;BYDAY=SA",
            time(11, 0),
            site="Lewiston Peer Drop-in",
            language="es",
            topics=(Topic.MENTAL_HEALTH,),
            accessibility=(Accessibility.STEP_FREE,),
            facilitator="peer2",
            description="Un grupo de apoyo entre pares en español, abierto a todas las personas adultas.",
        ),
    ],
    "riverbend": [
        DemoGroup(
            "Family Navigators Evening Group",
            "Family Navigators",
            Audience.FAMILIES,
            GroupFormat.IN_PERSON,
            "FREQ=WEEKLY;BYDAY=TU",
            time(18, 30),
            site="Riverbend Commons",
            topics=(Topic.FAMILY,),
            accessibility=(Accessibility.PARKING, Accessibility.ASL),
            description="Family members supporting a loved one living with a mental health condition.",
        ),
        DemoGroup(
            "Springfield Family Room Circle",
            "Family Navigators",
            Audience.FAMILIES,
            GroupFormat.HYBRID,
            "FREQ=MONTHLY;BYDAY=2TH",
            time(18, 0),
            site="Springfield Family Room",
            joining=Joining.REGISTRATION,
            capacity=15,
            topics=(Topic.FAMILY, Topic.WELLNESS),
            accessibility=(Accessibility.CHILDCARE, Accessibility.STEP_FREE),
            registrants=(("Pat", None), ("Jordan", None)),
            description="Monthly, in the room or online, with childcare in the next room.",
        ),
        DemoGroup(
            "Young Adults Connect",
            "Young Adult Peer Groups",
            Audience.YOUTH,
            GroupFormat.IN_PERSON,
            "FREQ=WEEKLY;BYDAY=TH",
            time(17, 30),
            site="Kansas City Peer Outreach",
            ages=(18, 25),
            topics=(Topic.MENTAL_HEALTH, Topic.EMPLOYMENT),
            description="Young adults talking through work, school, and everything else.",
        ),
        DemoGroup(
            "LGBTQ+ Young Adults Online",
            "Young Adult Peer Groups",
            Audience.YOUTH,
            GroupFormat.ONLINE,
            "FREQ=WEEKLY;BYDAY=MO",
            time(19, 0),
            minutes=60,
            joining=Joining.REGISTRATION,
            capacity=12,
            ages=(16, 25),
            communities=(Community.LGBTQ,),
            topics=(Topic.MENTAL_HEALTH,),
            accessibility=(Accessibility.CAPTIONS,),
            registrants=(("River", 19), ("Quinn", 22)),
            facilitator="peer2",
            description="A welcoming online space for LGBTQ+ young people, run by LGBTQ+ youth peer specialists.",
        ),
        DemoGroup(
            "Parents' Phone Circle",
            "Family Navigators",
            Audience.FAMILIES,
            GroupFormat.PHONE,
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
            time(20, 0),
            minutes=60,
            joining=Joining.REGISTRATION,
            capacity=10,
            topics=(Topic.FAMILY,),
            registrants=(("Kim", None),),
            description="For parents of teens and young adults, by phone after the kids are in bed.",
        ),
    ],
}


def _key_user(organisation: Organisation, key: str) -> User:
    return User.objects.get(email=f"{key}@{organisation.slug}.demo")


def _start_date(rrule: str, weeks_back: int, today: date) -> date:
    """A first date far enough back for a few past sessions (the rule picks the actual days)."""
    del rrule
    return today - timedelta(weeks=weeks_back)


def _make_group(organisation: Organisation, spec: DemoGroup, today: date) -> Group:
    admin = _key_user(organisation, "admin")
    program = Program.objects.get(organisation=organisation, name=spec.program)
    site = Site.objects.get(organisation=organisation, name=spec.site) if spec.site else None
    fields: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "program": program,
        "audience": spec.audience,
        "communities": list(spec.communities),
        "topics": list(spec.topics),
        "language": spec.language,
        "format": spec.format,
        "site": site,
        "joining": spec.joining,
        "capacity": spec.capacity,
        "accessibility": list(spec.accessibility),
        "facilitator": _key_user(organisation, spec.facilitator),
        "join_details_public": spec.public_join,
    }
    if spec.ages:
        fields["age_min"], fields["age_max"] = spec.ages
    if spec.format in (GroupFormat.ONLINE, GroupFormat.HYBRID):
        fields["online_url"] = f"https://video.example.org/{organisation.slug}-{len(spec.name)}"
    if spec.format == GroupFormat.PHONE:
        fields["dial_in"] = "+1 555 010 0142"
    group = services.group_create(acting_user=admin, organisation=organisation, **fields)
    services.agreement_publish(acting_user=admin, group=group, text=AGREEMENT)
    services.schedule_add(
        acting_user=admin,
        group=group,
        rrule=spec.rrule,
        start_date=_start_date(spec.rrule, WEEKS_BACK, today),
        start_time=spec.start,
        duration_minutes=spec.minutes,
    )
    for index, (first_name, age) in enumerate(spec.registrants):
        registrations.register_public(
            group=group,
            first_name=first_name,
            # A phone number, not an email: the demo sends no messages (555-01xx numbers are fictional).
            phone=f"+1 207 555 01{index:02d}",
            age=age,
            guardian_name="A. Guardian" if age is not None and age < 18 else "",
            guardian_contact="guardian@example.org" if age is not None and age < 18 else "",
            guardian_consent=age is not None and age < 18,
            agreement_acknowledged=True,
        )
    if spec.joining == Joining.REGISTRATION and spec.audience in (Audience.ADULTS, Audience.FAMILIES):
        # Two people from the people demo, registered by the coordinator (their records link to it).
        coordinator = _key_user(organisation, "coordinator")
        people = Participant.objects.filter(
            organisation=organisation, status=ParticipantStatus.ACTIVE, anonymised_at__isnull=True
        ).order_by("created_at", "id")
        for participant in people[:2]:
            try:
                registrations.register_staff(
                    acting_user=coordinator, group=group, participant=participant, agreement_acknowledged=True
                )
            except ValidationError:
                continue  # not eligible for this group (the services say why); the demo moves on
    return group


def _past_sessions(organisation: Organisation, group: Group, now: datetime, index: int) -> None:
    """Attendance for the sessions already held, some feedback, and for one group a cancelled and a
    moved upcoming session and a one-off."""
    facilitator = group.facilitator or _key_user(organisation, "peer")
    past = schedules.occurrences(group, now - timedelta(weeks=WEEKS_BACK), now - timedelta(hours=2))
    for number, occurrence in enumerate(past):
        session = services.session_for(group=group, key=occurrence.key)
        rows = running.roster(session)
        present = [str(row.registration.pk) for i, row in enumerate(rows) if (i + number) % 3 != 0]
        running.attendance_save(
            acting_user=facilitator,
            session=session,
            present_ids=present,
            dropin_headcount=(3 + (number + index) % 5) if group.joining == Joining.DROP_IN else 0,
            topics=list(group.topics)[:2],
            notes="Warm, steady session. Two people shared for the first time." if number % 2 == 0 else "",
        )
        if number % 2 == 0:
            running.feedback_submit(session=session, rating=4 + (number % 2), felt_safe=True, comment="")
    if index == 0:
        admin = _key_user(organisation, "admin")
        upcoming = schedules.occurrences(group, now, now + timedelta(weeks=4), include_cancelled=False)
        if len(upcoming) >= 2:
            services.session_cancel(
                acting_user=admin, group=group, key=upcoming[0].key, note="Closed for the holiday. See you next week."
            )
            moved_to = upcoming[1].starts_at + timedelta(hours=1)
            services.session_move(
                acting_user=admin,
                group=group,
                key=upcoming[1].key,
                starts_at=moved_to,
                duration_minutes=90,
                note="Starting an hour later this week.",
            )
        zone = ZoneInfo(group.timezone)
        one_off = datetime.combine(now.astimezone(zone).date() + timedelta(days=10), time(13, 0), tzinfo=zone)
        services.session_add_one_off(
            acting_user=admin, group=group, starts_at=one_off, duration_minutes=120, note="Open house and picnic."
        )


@transaction.atomic
def load_groups_demo() -> None:
    """Load the groups demo into both demo organisations (after the accounts and people demos)."""
    if not settings.DEMO:
        raise DemoRefused("The demo makes accounts with a published password: set ALONGSIDE_DEMO=1 to load it.")
    now = timezone.now()
    for slug, specs in DEMO_GROUPS.items():
        organisation = Organisation.objects.get(slug=slug)
        with tenant_scope(organisation):
            if Group.objects.filter(organisation=organisation).exists():
                continue
            today = now.astimezone(ZoneInfo(organisation.timezone)).date()
            for index, spec in enumerate(specs):
                group = _make_group(organisation, spec, today)
                _past_sessions(organisation, group, now, index)
        sync.sync_organisation(organisation, now=now)
