"""Benchmark-scale people: participants, enrolments, service consents and contact records for the
seeded organisations (``alongside seed``, after ``accounts.seed.load_seed``).

Like the accounts seed, this writes with ``bulk_create`` rather than the per-row services (half a
million audited ``contact_record_create`` calls would take hours), inside the command's one
transaction, and writes exactly one ``seed.load_people`` audit event per organisation through
``alongside.audit.services.record`` so ``alongside audit verify`` still passes.

Per organisation: every peer supporter gets a caseload (active, a few paused), some people are
closed, and enquiries wait 0–30 days in the intake queue, unassigned. Everyone supported has one
enrolment, a service-delivery consent given by themselves (the seed makes no minors) and contact
records spread over the last year with that peer (now and then a colleague covering). Contact
notes are mostly empty; one in four holds a short fixed note. The notes column is encrypted either
way (``EncryptedTextField`` encrypts every value, the empty string too: about 10 µs a row).

``created_at``/``updated_at`` are ``auto_now`` fields; the seed switches that off while it writes
(``_keep_timestamps``), so an enquiry's ``created_at`` says how long it has waited and a contact's
says when it was written up.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, models
from django.utils import timezone

from alongside.accounts.models import Membership, Organisation, Program, Role
from alongside.accounts.seed import FIRST_NAMES, SLUG_PREFIX
from alongside.audit.services import record
from alongside.core.tenancy import unscoped
from alongside.people.models import (
    AgeBand,
    ClosedReason,
    Consent,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    ContactMethod,
    ContactMode,
    ContactRecord,
    Enrolment,
    EnrolmentStatus,
    Participant,
    ParticipantStatus,
    PartnerKind,
    PartnerOrganisation,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReferralUrgency,
    ServiceModel,
    Source,
)

BATCH = 5000
FIXED_NOTE = "Checked in; doing okay."


@dataclass(frozen=True)
class PeopleSize:
    caseload: tuple[int, int]  # people supported (active or paused) per peer supporter
    enquiries: tuple[int, int]  # waiting in the intake queue, per organisation
    closed_share: float  # closed records, as a share of the people supported
    contacts: tuple[int, int]  # contact records per person supported (closed: a third as many)


PEOPLE_SIZES: dict[str, PeopleSize] = {
    "small": PeopleSize(caseload=(1, 3), enquiries=(5, 10), closed_share=0.1, contacts=(1, 5)),
    "medium": PeopleSize(caseload=(2, 8), enquiries=(10, 30), closed_share=0.1, contacts=(3, 15)),
    "large": PeopleSize(caseload=(2, 8), enquiries=(10, 40), closed_share=0.1, contacts=(4, 16)),
}

# (program name in accounts.seed.PROGRAMS, weight, service model of its contacts)
PROGRAM_MIX = [
    ("Recovery Mentors", 35, ServiceModel.MENTORSHIP),
    ("Wellness Circles", 20, ServiceModel.GROUP),
    ("Warm Line", 20, ServiceModel.WARMLINE),
    ("Family Navigators", 15, ServiceModel.MENTORSHIP),
    ("Young Adult Peer Groups", 10, ServiceModel.GROUP),
]
MODES: dict[str, list[str]] = {
    ServiceModel.MENTORSHIP: [ContactMode.IN_PERSON, ContactMode.IN_PERSON, ContactMode.PHONE, ContactMode.VIDEO],
    ServiceModel.GROUP: [ContactMode.IN_PERSON, ContactMode.IN_PERSON, ContactMode.VIDEO],
    ServiceModel.WARMLINE: [ContactMode.PHONE, ContactMode.PHONE, ContactMode.CHAT],
}
MINUTES: dict[str, tuple[int, int]] = {
    ServiceModel.MENTORSHIP: (20, 75),
    ServiceModel.GROUP: (60, 90),
    ServiceModel.WARMLINE: (5, 40),
}
TOPICS = ["wellness plan", "housing", "work", "sleep", "family", "connection", "coping tools", "recovery goals"]
TOPIC_CHOICES: list[list[str]] = [[]] + [[t] for t in TOPICS] + [sorted(p) for p in itertools.combinations(TOPICS, 2)]
PRONOUNS = ["", "", "she/her", "he/him", "they/them"]
ADULT_BANDS = [AgeBand.YOUNG_ADULT, AgeBand.ADULT, AgeBand.ADULT, AgeBand.ADULT, AgeBand.OLDER_ADULT, ""]
CLOSED_REASONS = [ClosedReason.GOALS_MET, ClosedReason.CHOSE_TO_STOP, ClosedReason.MOVED_ON, ClosedReason.UNREACHABLE]
SOURCES = [Source.SELF_REFERRAL, Source.STAFF, Source.REFERRAL, Source.WARMLINE]
SAFE = [True, True, False, None]


@dataclass
class PeopleSeedReport:
    participants: int = 0
    enquiries: int = 0
    enrolments: int = 0
    consents: int = 0
    contacts: int = 0
    audit_events: int = 0
    partners: int = 0
    referrals: int = 0
    referral_events: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, int]]:
        return [
            ("participants", self.participants),
            ("  in intake queue", self.enquiries),
            ("enrolments", self.enrolments),
            ("consents", self.consents),
            ("contact records", self.contacts),
            ("partners", self.partners),
            ("referrals", self.referrals),
            ("  referral steps", self.referral_events),
            ("people audit events", self.audit_events),
        ]


@contextmanager
def _keep_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk_create keep the created_at/updated_at the seed chose (auto_now would overwrite them)."""
    saved = []
    for model in model_classes:
        for name in ("created_at", "updated_at"):
            try:
                f = model._meta.get_field(name)
            except Exception:  # noqa: S112 - a model without that timestamp
                continue
            assert isinstance(f, models.DateTimeField)
            saved.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class _RowWriter:
    """Inserts rows of one model with ``executemany``, ``batch`` rows at a time.

    Used for the contact records instead of ``bulk_create``: for half a million rows Django's
    per-value preparation in ``bulk_create`` (about 100 µs of CPU a row, model instances included)
    was most of the seed's time; this prepares each value with the model field's own
    ``get_db_prep_save`` (so encrypted fields are encrypted, UUIDs and JSON adapted per database),
    memoises the repeated ones (foreign keys, topic lists) and costs about a third as much.
    Fields the caller leaves out get their default.
    """

    def __init__(self, model: type[models.Model], *, memo: tuple[str, ...] = (), batch: int = BATCH) -> None:
        meta = model._meta
        self.fields = list(meta.concrete_fields)
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        # Identifiers from the model's own metadata, quoted; every value is a parameter.
        self.sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        self.memo: dict[str, dict[Any, Any]] = {name: {} for name in memo}  # attname -> {value: prepared}
        self.batch = batch
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def _prepare(self, f: models.Field[Any, Any], value: Any) -> Any:
        memo = self.memo.get(f.attname)
        if memo is None:
            return f.get_db_prep_save(value, connection)
        key = tuple(value) if isinstance(value, list) else value
        if key not in memo:
            memo[key] = f.get_db_prep_save(value, connection)
        return memo[key]

    def add(self, values: dict[str, Any]) -> None:
        self.rows.append(
            tuple(self._prepare(f, values[f.attname] if f.attname in values else f.get_default()) for f in self.fields)
        )
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.count += len(self.rows)
            self.rows = []


@dataclass
class _Org:
    organisation: Organisation
    peers: list[uuid.UUID]
    programs: dict[str, uuid.UUID]


@dataclass
class _Supported:
    """A person with a peer supporter: their enrolment and how many contacts to write."""

    participant: Participant
    program_id: uuid.UUID
    service_model: str
    contacts: int
    since_days: int  # support started this many days ago


def _birth_date(rng: random.Random, today: date, youngest: int, oldest: int) -> date:
    return today - timedelta(days=rng.randint(youngest * 365 + 1, oldest * 365 + 300))


class _Planner:
    def __init__(self, rng: random.Random, size: PeopleSize, now: datetime) -> None:
        self.rng = rng
        self.size = size
        self.now = now
        self.today = timezone.localdate(now)
        self.weights = [weight for _name, weight, _model in PROGRAM_MIX]
        self.phone = itertools.count()

    def participant(
        self, org: _Org, status: str, peer: uuid.UUID | None, created: datetime, closed_days: int = 0
    ) -> Participant:
        rng = self.rng
        name = rng.choice(FIRST_NAMES)
        number = next(self.phone)
        # 555-0100…0199: the numbers set aside for fiction.
        phone = f"({rng.randint(201, 989)}) 555-01{number % 100:02d}" if rng.random() < 0.8 else ""
        safe_text = rng.choice(SAFE)
        closed = status == ParticipantStatus.CLOSED
        return Participant(
            organisation=org.organisation,
            preferred_name=name,
            pronouns=rng.choice(PRONOUNS),
            age_band=rng.choice(ADULT_BANDS),
            languages=["en", "es"] if rng.random() < 0.15 else ["en"],
            email=f"{name.lower()}.{number}@example.org" if not phone or rng.random() < 0.4 else "",
            phone=phone,
            phone_digits="".join(ch for ch in phone if ch.isdigit()),
            preferred_contact=ContactMethod.TEXT if safe_text else ContactMethod.PHONE,
            safe_to_voicemail=rng.choice(SAFE),
            safe_to_text=safe_text,
            safe_to_email=rng.choice(SAFE),
            looking_for_mentorship=rng.random() < 0.6,
            looking_for_groups=rng.random() < 0.4,
            looking_for_warmline=rng.random() < 0.2,
            status=status,
            closed_reason=rng.choice(CLOSED_REASONS) if closed else "",
            closed_at=self.now - timedelta(days=closed_days) if closed else None,
            source=rng.choice(SOURCES),
            assigned_peer_id=peer,
            created_at=created,
            updated_at=created,
        )

    def organisation(self, org: _Org) -> tuple[list[Participant], list[_Supported]]:
        rng, size, now = self.rng, self.size, self.now
        participants: list[Participant] = []
        supported: list[_Supported] = []
        for _ in range(rng.randint(*size.enquiries)):
            waited = timedelta(days=rng.randint(0, 30), minutes=rng.randint(5, 24 * 60))
            participants.append(self.participant(org, ParticipantStatus.ENQUIRY, None, now - waited))
        for peer in org.peers:
            caseload = rng.randint(*size.caseload)
            closed = sum(rng.random() < size.closed_share for _ in range(caseload))
            for k in range(caseload + closed):
                status = (
                    ParticipantStatus.CLOSED
                    if k >= caseload
                    else ParticipantStatus.PAUSED
                    if rng.random() < 0.08
                    else ParticipantStatus.ACTIVE
                )
                since = rng.randint(14, 365)
                created = now - timedelta(days=since, minutes=rng.randint(0, 600))
                closed_days = rng.randint(1, min(60, since - 7))
                person = self.participant(org, status, peer, created, closed_days)
                name, _weight, model = rng.choices(PROGRAM_MIX, weights=self.weights)[0]
                if name == "Young Adult Peer Groups":
                    person.age_band = AgeBand.YOUNG_ADULT
                    person.date_of_birth = _birth_date(rng, self.today, 18, 25)
                contacts = rng.randint(*size.contacts)
                if status == ParticipantStatus.CLOSED:
                    contacts = max(1, contacts // 3)
                participants.append(person)
                supported.append(_Supported(person, org.programs[name], model, contacts, since))
        return participants, supported

    def enrolment(self, s: _Supported) -> Enrolment:
        p = s.participant
        ended = p.status == ParticipantStatus.CLOSED
        return Enrolment(
            organisation_id=p.organisation_id,
            participant=p,
            program_id=s.program_id,
            status=EnrolmentStatus.ENDED if ended else EnrolmentStatus.ACTIVE,
            started_on=p.created_at.date(),
            ended_on=p.closed_at.date() if ended and p.closed_at else None,
            created_at=p.created_at,
            updated_at=p.created_at,
        )

    def consent(self, s: _Supported) -> Consent:
        p = s.participant
        return Consent(
            organisation_id=p.organisation_id,
            participant=p,
            purpose=ConsentPurpose.SERVICE,
            given_by=ConsentGivenBy.SELF,
            method=ConsentMethod.WRITTEN,
            granted_at=p.created_at,
        )

    def contacts(self, org: _Org, s: _Supported) -> Iterator[dict[str, Any]]:
        rng, now = self.rng, self.now
        p = s.participant
        newest = (now - p.closed_at).days + 1 if p.closed_at else 0
        span = max(1, s.since_days - newest)
        low, high = MINUTES[s.service_model]
        modes = MODES[s.service_model]
        for _ in range(s.contacts):
            occurred = now - timedelta(days=newest + rng.randrange(span), minutes=rng.randint(60, 600))
            covering = rng.random() < 0.05 and len(org.peers) > 1
            yield {
                "id": uuid.uuid4(),
                "organisation_id": p.organisation_id,
                "participant_id": p.pk,
                "program_id": s.program_id,
                "service_model": s.service_model,
                "occurred_at": occurred,
                "duration_minutes": rng.randint(low, high),
                "mode": rng.choice(modes),
                "peer_id": rng.choice(org.peers) if covering else p.assigned_peer_id,
                "topics": rng.choice(TOPIC_CHOICES),
                "notes": FIXED_NOTE if rng.random() < 0.25 else "",
                "follow_up_needed": rng.random() < 0.05,
                "created_at": occurred + timedelta(minutes=30),
                "updated_at": occurred + timedelta(minutes=30),
            }


def _seeded_organisations() -> list[_Org]:
    organisations = list(Organisation.objects.filter(slug__startswith=SLUG_PREFIX).order_by("slug"))
    with unscoped("the people seed reads every seeded organisation's peers and programs at once"):
        peers: dict[uuid.UUID, list[uuid.UUID]] = {}
        for org_id, user_id in (
            Membership.objects.filter(
                organisation__in=organisations, role=Role.PEER, is_active=True, user__is_active=True
            )
            .order_by("organisation_id", "user__email")
            .values_list("organisation_id", "user_id")
        ):
            peers.setdefault(org_id, []).append(user_id)
        programs: dict[uuid.UUID, dict[str, uuid.UUID]] = {}
        for org_id, name, program_id in Program.objects.filter(organisation__in=organisations).values_list(
            "organisation_id", "name", "id"
        ):
            programs.setdefault(org_id, {})[name] = program_id
    return [_Org(o, peers.get(o.pk, []), programs.get(o.pk, {})) for o in organisations]


def load_people_seed(*, size: str, seed: int) -> PeopleSeedReport:
    """People for every seeded organisation. Call inside the seed's transaction, after the accounts seed."""
    if size not in PEOPLE_SIZES:
        raise ValueError(f"size must be one of {', '.join(PEOPLE_SIZES)}")
    started = time.perf_counter()
    rng = random.Random(f"people:{seed}")  # noqa: S311 - reproducible benchmark data, not secrets
    planner = _Planner(rng, PEOPLE_SIZES[size], timezone.now())
    # A random stream of its own, so adding referrals left the people (and their figures) as they were.
    referral_rng = random.Random(f"referrals:{seed}")  # noqa: S311 - reproducible benchmark data, not secrets
    referral_planner = _ReferralPlanner(referral_rng, REFERRAL_SIZES[size], planner.now)
    referrers = _referrers_by_organisation()
    report = PeopleSeedReport()
    by_status: dict[str, int] = {}
    contacts = _RowWriter(ContactRecord, memo=("organisation_id", "participant_id", "program_id", "peer_id", "topics"))
    with (
        unscoped("the seed bulk-loads many organisations at once, in one transaction"),
        _keep_timestamps(Participant, Enrolment, PartnerOrganisation, Referral),
    ):
        for org in _seeded_organisations():
            if not org.peers or len(org.programs) < len(PROGRAM_MIX):
                continue
            participants, supported = planner.organisation(org)
            Participant.objects.bulk_create(participants, batch_size=BATCH)
            Enrolment.objects.bulk_create([planner.enrolment(s) for s in supported], batch_size=BATCH)
            Consent.objects.bulk_create([planner.consent(s) for s in supported], batch_size=BATCH)
            for s in supported:
                for contact in planner.contacts(org, s):
                    contacts.add(contact)
            referral_rows = referral_planner.organisation(org, participants, referrers.get(org.organisation.pk, []))
            PartnerOrganisation.objects.bulk_create(referral_rows.partners, batch_size=BATCH)
            PartnerOrganisation.referrers.through.objects.bulk_create(referral_rows.links, batch_size=BATCH)
            Referral.objects.bulk_create(referral_rows.referrals, batch_size=BATCH)
            ReferralEvent.objects.bulk_create(referral_rows.events, batch_size=BATCH)
            report.partners += len(referral_rows.partners)
            report.referrals += len(referral_rows.referrals)
            report.referral_events += len(referral_rows.events)
            record(None, "seed.load_people", org.organisation)
            report.participants += len(participants)
            report.enrolments += len(supported)
            report.consents += len(supported)
            report.audit_events += 1
            for p in participants:
                by_status[p.status] = by_status.get(p.status, 0) + 1
        contacts.flush()
    report.contacts = contacts.count
    report.by_status = dict(sorted(by_status.items()))
    report.enquiries = by_status.get(ParticipantStatus.ENQUIRY, 0)
    report.seconds = time.perf_counter() - started
    return report


# --- Care-team referrals ------------------------------------------------------------------------
# Per organisation: two to four partners (the organisation's referrers linked to the first), and
# referrals of its people over the last six months. Older ones are closed (handed back, declined,
# unreachable); recent ones are open, a few past their 48-hour first-attempt clock. Six in ten
# came with a discharge date near the day they were received. Every step is a ReferralEvent. The
# reason is one fixed sentence, encrypted on each row.

REFERRAL_SIZES: dict[str, tuple[int, int]] = {"small": (2, 5), "medium": (5, 15), "large": (15, 35)}
REFERRAL_REASON = "Leaving an inpatient stay; would like a peer supporter to reach out."
PARTNER_NAMES = [
    ("General Hospital, inpatient unit", PartnerKind.HOSPITAL),
    ("Community Mental Health Center", PartnerKind.CMHC),
    ("Family Medicine Clinic", PartnerKind.CLINIC),
    ("County Crisis Team", PartnerKind.OTHER),
]
S = ReferralStatus
# Closed referrals: how they ended, and how likely each is.
ENDINGS = [(S.HANDED_BACK, 45), (S.DECLINED, 20), (S.UNREACHABLE, 35)]


@dataclass
class _ReferralRows:
    partners: list[PartnerOrganisation] = field(default_factory=list)
    links: list[Any] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    events: list[ReferralEvent] = field(default_factory=list)


def _referrers_by_organisation() -> dict[uuid.UUID, list[uuid.UUID]]:
    with unscoped("the seed reads every seeded organisation's referrer accounts at once"):
        found: dict[uuid.UUID, list[uuid.UUID]] = {}
        for org_id, user_id in (
            Membership.objects.filter(
                organisation__slug__startswith=SLUG_PREFIX, role=Role.REFERRER, is_active=True, user__is_active=True
            )
            .order_by("organisation_id", "user__email")
            .values_list("organisation_id", "user_id")
        ):
            found.setdefault(org_id, []).append(user_id)
    return found


class _ReferralPlanner:
    def __init__(self, rng: random.Random, size: tuple[int, int], now: datetime) -> None:
        self.rng = rng
        self.size = size
        self.now = now

    def organisation(self, org: _Org, people: list[Participant], referrers: list[uuid.UUID]) -> _ReferralRows:
        rng, now = self.rng, self.now
        rows = _ReferralRows()
        city = org.organisation.name.split(" ")[0]
        for name, kind in PARTNER_NAMES[: rng.randint(2, len(PARTNER_NAMES))]:
            created = now - timedelta(days=400)
            rows.partners.append(
                PartnerOrganisation(
                    organisation=org.organisation,
                    name=f"{city} {name}",
                    kind=kind,
                    contact_email=f"referrals.{kind}@example.org",
                    created_at=created,
                    updated_at=created,
                )
            )
        through = PartnerOrganisation.referrers.through
        rows.links = [through(partnerorganisation_id=rows.partners[0].pk, user_id=user_id) for user_id in referrers]
        if not people:
            return rows
        for _ in range(rng.randint(*self.size)):
            self.referral(rows, org, rng.choice(people), referrers)
        return rows

    def referral(self, rows: _ReferralRows, org: _Org, person: Participant, referrers: list[uuid.UUID]) -> None:
        rng, now = self.rng, self.now
        age = timedelta(hours=rng.randint(1, 180 * 24))
        received = now - age
        referrer = rng.choice(referrers) if referrers and rng.random() < 0.7 else None
        # Open when recent: received (a few past 48 hours), attempted, engaged; closed when older.
        if age < timedelta(days=2):
            path = [S.RECEIVED]
        elif age < timedelta(days=45) and rng.random() < 0.6:
            path = rng.choices(
                [[S.RECEIVED], [S.RECEIVED, S.CONTACT_ATTEMPTED], [S.RECEIVED, S.CONTACT_ATTEMPTED, S.ENGAGED]],
                weights=[1, 4, 5],
            )[0]
        else:
            ending = rng.choices([e for e, _w in ENDINGS], weights=[w for _e, w in ENDINGS])[0]
            path = {
                S.HANDED_BACK: [S.RECEIVED, S.CONTACT_ATTEMPTED, S.ENGAGED, S.HANDED_BACK],
                S.DECLINED: [S.RECEIVED, S.CONTACT_ATTEMPTED, S.DECLINED],
                S.UNREACHABLE: [S.RECEIVED, S.CONTACT_ATTEMPTED, S.CONTACT_ATTEMPTED, S.UNREACHABLE],
            }[ending]
        # Each step a while after the one before, never in the future.
        times = [received]
        for step in path[1:]:
            gap = (
                timedelta(hours=rng.randint(4, 60))
                if step == S.CONTACT_ATTEMPTED
                else timedelta(days=rng.randint(1, 21))
            )
            soon_after = times[-1] + timedelta(seconds=1)
            times.append(max(soon_after, min(times[-1] + gap, now - timedelta(minutes=rng.randint(1, 60)))))
        discharge = (received + timedelta(days=rng.randint(-2, 3))).date() if rng.random() < 0.6 else None
        status = path[-1]
        referral = Referral(
            organisation=org.organisation,
            partner=rng.choice(rows.partners),
            referrer_id=referrer,
            participant=person,
            reason=REFERRAL_REASON,
            discharge_date=discharge,
            urgency=rng.choices(ReferralUrgency.values, weights=[6, 3, 1])[0],
            consent_attested=True,
            status=status,
            received_at=received,
            first_attempt_at=next((t for s, t in zip(path, times, strict=True) if s == S.CONTACT_ATTEMPTED), None),
            engaged_at=next((t for s, t in zip(path, times, strict=True) if s == S.ENGAGED), None),
            closed_at=times[-1] if status in (S.HANDED_BACK, S.DECLINED, S.UNREACHABLE) else None,
            created_by_id=referrer,
            created_at=received,
            updated_at=times[-1],
        )
        rows.referrals.append(referral)
        rows.events.extend(
            ReferralEvent(organisation=org.organisation, referral=referral, status=step, at=at, by_id=referrer)
            for step, at in zip(path, times, strict=True)
        )


def load_referral_seed(*, size: str, seed: int) -> tuple[int, int]:
    """Referrals for a database seeded before they existed (``benchmarks/pages.py``): partners and
    referrals for every seeded organisation that has people but no partners yet. One
    ``seed.load_referrals`` audit event per organisation. Returns (partners, referrals)."""
    if size not in REFERRAL_SIZES:
        raise ValueError(f"size must be one of {', '.join(REFERRAL_SIZES)}")
    rng = random.Random(f"referrals:{seed}")  # noqa: S311 - reproducible benchmark data, not secrets
    planner = _ReferralPlanner(rng, REFERRAL_SIZES[size], timezone.now())
    referrers = _referrers_by_organisation()
    partners = referrals = 0
    with (
        unscoped("the seed bulk-loads many organisations at once, in one transaction"),
        _keep_timestamps(PartnerOrganisation, Referral),
    ):
        for org in _seeded_organisations():
            if PartnerOrganisation.objects.filter(organisation=org.organisation).exists():
                continue
            people = list(Participant.objects.filter(organisation=org.organisation).only("id", "organisation_id"))
            rows = planner.organisation(org, people, referrers.get(org.organisation.pk, []))
            PartnerOrganisation.objects.bulk_create(rows.partners, batch_size=BATCH)
            PartnerOrganisation.referrers.through.objects.bulk_create(rows.links, batch_size=BATCH)
            Referral.objects.bulk_create(rows.referrals, batch_size=BATCH)
            ReferralEvent.objects.bulk_create(rows.events, batch_size=BATCH)
            record(None, "seed.load_referrals", org.organisation)
            partners += len(rows.partners)
            referrals += len(rows.referrals)
    return partners, referrals
