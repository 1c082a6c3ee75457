"""One-on-one mentorship matching: per-organisation weights, a person's request for a peer
supporter, and the match itself (proposed → accepted → active → paused → closed).

See docs/matching.md for the scoring, the hard constraints and the lifecycle.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, Program
from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import TimestampedModel, tenant_manager
from alongside.people.models import AgeBand, ContactMode, LivedExperienceTerm, Participant


def _points(label: Any, default: int, help_text: Any = "") -> models.PositiveSmallIntegerField[int, int]:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MaxValueValidator(100)], help_text=help_text
    )


class MatchWeights(TimestampedModel):
    """How much each part of a suggestion counts, in points (one row per organisation; an admin
    may change them). Language, required specialties, a required gender, a way of meeting and the
    peer's caseload limit are hard rules, not weights."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="match_weights")
    base = _points(_("any suitable peer"), 10, _("Points for every pair that meets the hard rules."))
    shared_experience = _points(
        _("shared lived experience"), 40, _("Full points when the peer shares everything the person asked for.")
    )
    specialty = _points(_("specialties the person asked for"), 10)
    gender = _points(_("gender preference (when nice to have)"), 10)
    availability = _points(_("times both are free"), 20)
    distance = _points(_("closeness, for in-person support"), 10)
    load = _points(_("room in the peer's caseload"), 10)
    wellbeing_stretched = _points(
        _("the peer said they are stretched (subtracted)"),
        15,
        _("Used only when the peer chose to share a wellbeing signal; never shown to the person."),
    )
    continuity = _points(_("a peer the person worked with before"), 15)
    waiting_per_day = models.DecimalField(
        _("priority per day waited"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10"))],
    )
    waiting_days_cap = models.PositiveSmallIntegerField(
        _("days after which waiting adds no more priority"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )

    objects: ClassVar[models.Manager[MatchWeights]] = tenant_manager()

    WEIGHT_FIELDS: ClassVar[tuple[str, ...]] = (
        "base",
        "shared_experience",
        "specialty",
        "gender",
        "availability",
        "distance",
        "load",
        "wellbeing_stretched",
        "continuity",
        "waiting_per_day",
        "waiting_days_cap",
    )

    def __str__(self) -> str:
        return f"match weights of {self.organisation_id}"


class RequestStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for a peer supporter")
    SUGGESTED = "suggested", _("A peer supporter has been asked")
    MATCHED = "matched", _("Matched")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_REQUEST_STATUSES = (RequestStatus.WAITING, RequestStatus.SUGGESTED)


class MadeBy(models.TextChoices):
    INTAKE = "intake", _("At intake")
    COORDINATOR = "coordinator", _("By a coordinator")
    PERSON = "person", _("By the person themselves")


class MatchRequest(TimestampedModel):
    """A person asks for a one-on-one peer supporter in a program, and says what matters to them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="match_requests")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="match_requests")
    # Only among what the person chose to share for matching (ParticipantExperience.use_for_matching).
    experiences: models.ManyToManyField[LivedExperienceTerm, Any] = models.ManyToManyField(
        LivedExperienceTerm, blank=True, related_name="+", verbose_name=_("lived experience a peer would share")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    gender_preference = models.JSONField(_("peer supporter's gender"), default=list, blank=True)
    gender_required = models.BooleanField(_("the gender is a must, not a nice-to-have"), default=False)
    specialties = models.JSONField(_("specialties that would help"), default=list, blank=True)
    modalities = models.JSONField(_("ways of meeting"), default=list, blank=True)
    # Approximate (two decimals, about 1 km), for in-person support only.
    latitude = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    travel_km = models.PositiveSmallIntegerField(
        _("how far they can travel (km)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(300)],
    )
    # {"mon": ["morning", "evening"], ...}, the same shape as PeerProfile.availability
    availability = models.JSONField(_("weekly availability"), default=dict, blank=True)
    note = EncryptedTextField(_("anything else for the coordinator"), blank=True, default="")
    # What crisis screening found in the note: a tier and concept names (policy words only).
    screening_tier = models.CharField(_("crisis screening"), max_length=10, blank=True, default="")
    screening_concepts = models.JSONField(_("crisis screening concepts"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.WAITING)
    made_by = models.CharField(_("made"), max_length=12, choices=MadeBy.choices, default=MadeBy.COORDINATOR)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Where the waiting priority counts from: the request's creation, and again from the day a
    # mentorship that had begun ended with the person asking for someone else.
    waiting_since = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[MatchRequest]] = tenant_manager()

    class Meta:
        ordering = ["waiting_since", "created_at"]
        indexes = [
            models.Index(fields=["organisation", "program", "status", "waiting_since"], name="matching_request_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "program"],
                condition=models.Q(status__in=["waiting", "suggested"]),
                name="matching_one_open_request_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"match request {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for the peer supporter's answer")
    ACCEPTED = "accepted", _("Accepted")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")
    DECLINED_BY_PEER = "declined_by_peer", _("The peer supporter could not take this on")
    CHANGED_BY_PERSON = "changed_by_person", _("The person asked for a different peer supporter")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A request has at most one of these at a time; a proposed one holds a place in the peer's caseload.
OPEN_MATCH_STATUSES = (MatchStatus.PROPOSED, MatchStatus.ACCEPTED, MatchStatus.ACTIVE, MatchStatus.PAUSED)
# The mentorship is going on: the peer supports the person (their record scope and caseload).
GOING_ON_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.ACTIVE, MatchStatus.PAUSED)
ENDED_MATCH_STATUSES = (
    MatchStatus.CLOSED,
    MatchStatus.DECLINED_BY_PEER,
    MatchStatus.CHANGED_BY_PERSON,
    MatchStatus.WITHDRAWN,
)


class ProposedVia(models.TextChoices):
    PERSON = "person", _("The person chose them")
    COORDINATOR = "coordinator", _("A coordinator proposed them")
    BATCH = "batch", _("Batch proposal reviewed by a coordinator")


class DeclineReason(models.TextChoices):
    AT_CAPACITY = "at_capacity", _("No room in my caseload right now")
    UNAVAILABLE = "unavailable", _("Not available at the times that work")
    CONFLICT = "conflict", _("I know this person, or another conflict of interest")
    NOT_A_FIT = "not_a_fit", _("I'm not the right peer supporter for this")
    OTHER = "other", _("Another reason")


class PauseReason(models.TextChoices):
    PERSON_ASKED = "person_asked", _("The person asked for a break")
    PEER_UNAVAILABLE = "peer_unavailable", _("The peer supporter is away")
    OTHER = "other", _("Another reason")


class MatchClosedReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Reached their goals")
    CHOSE_TO_STOP = "chose_to_stop", _("The person chose to stop")
    MOVED_ON = "moved_on", _("Moved to other support")
    PEER_LEFT = "peer_left", _("The peer supporter moved on")
    UNREACHABLE = "unreachable", _("Could not be reached")
    OTHER = "other", _("Another reason")


class Match(TimestampedModel):
    """One peer supporter walking alongside one person, from the proposal to the closure.

    The score and the explanation are a snapshot taken when the peer was proposed (the reasons as
    data — kinds and the shared items' identifiers — rendered in words when shown)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(MatchRequest, on_delete=models.PROTECT, related_name="matches")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="matches")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    peer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentorships")
    status = models.CharField(_("status"), max_length=20, choices=MatchStatus.choices, default=MatchStatus.PROPOSED)
    proposed_via = models.CharField(_("proposed"), max_length=12, choices=ProposedVia.choices)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    score = models.IntegerField(_("score (hundredths of a point)"), default=0)
    explanation = models.JSONField(default=list, blank=True)
    proposed_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(
        _("why the peer supporter could not take this on"), max_length=12, choices=DeclineReason.choices, blank=True
    )
    pause_reason = models.CharField(_("why it is paused"), max_length=20, choices=PauseReason.choices, blank=True)
    closed_reason = models.CharField(_("why it closed"), max_length=20, choices=MatchClosedReason.choices, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[Match]] = tenant_manager()

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name_plural = "matches"
        indexes = [
            models.Index(fields=["organisation", "peer", "status"], name="matching_match_peer"),
            models.Index(fields=["organisation", "participant", "status"], name="matching_match_person"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status__in=["proposed", "accepted", "active", "paused"]),
                name="matching_one_open_match_per_request",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(closed_reason=""),
                name="matching_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="declined_by_peer") | ~models.Q(decline_reason=""),
                name="matching_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paused") | ~models.Q(pause_reason=""),
                name="matching_paused_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"match {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_MATCH_STATUSES


# --- The mentorship itself: support plan, next session, closure summary (matching/mentorship.py) --


class CheckInFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Every month")
    AS_NEEDED = "as_needed", _("Whenever either of us asks")


class SupportPlan(TimestampedModel):
    """The person's own plan, written with their peer supporter: goals, steps, supports and how
    they check in. Both may edit it; each edit is a new version (``version``) and the page shows
    who changed it last. Every text is P3 (encrypted); the audit log holds identifiers only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    match = models.OneToOneField(Match, on_delete=models.PROTECT, related_name="support_plan")
    # The match's person, kept here too so every row about them is one foreign key away (merging two
    # records and the person's access history follow the foreign keys to ``Participant``).
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="support_plans")
    goals = EncryptedTextField(_("goals"), blank=True, default="")
    steps = EncryptedTextField(_("steps"), blank=True, default="")
    supports = EncryptedTextField(_("supports"), blank=True, default="")
    check_in_frequency = models.CharField(
        _("how often you check in"), max_length=12, choices=CheckInFrequency.choices, blank=True
    )
    check_in_how = EncryptedTextField(_("how you check in"), blank=True, default="")
    # One more on every change; an edit made on an older version is refused (nobody's words are lost).
    version = models.PositiveIntegerField(default=0)
    # The last editor: a staff member, or the person themselves through their private link.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by_person = models.BooleanField(default=False)

    objects: ClassVar[models.Manager[SupportPlan]] = tenant_manager()

    TEXT_FIELDS: ClassVar[tuple[str, ...]] = ("goals", "steps", "supports", "check_in_how")

    def __str__(self) -> str:
        return f"support plan of {self.match_id} (v{self.version})"

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.TEXT_FIELDS) and not self.check_in_frequency


class NextSession(TimestampedModel):
    """When the person and their peer supporter meet next (one per mentorship), for the page and
    the calendar invite. ``uid`` stays while the session is moved (``sequence`` counts the
    changes, as RFC 5545 asks); a new session after this one gets a new ``uid``.

    A cancelled session keeps its row (``cancelled_at``, one more ``sequence``) until its original
    end, so the cancellation (``METHOD:CANCEL``, same ``uid``) can still be downloaded; a session
    set after it is a new event. ``reminded_at``: the reminder email went out (once per time)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    match = models.OneToOneField(Match, on_delete=models.PROTECT, related_name="next_session")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="next_sessions")
    starts_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("how long (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(8 * 60)]
    )
    mode = models.CharField(_("how you will meet"), max_length=10, choices=ContactMode.choices)
    # A place or a video link, exactly as given (P3: it may be someone's home).
    location = EncryptedTextField(_("where, or the link"), blank=True, default="")
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # None with ``cancelled_at`` set: the person through their link, or the system.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Cleared when the session moves to another time, so the new time is reminded too.
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[NextSession]] = tenant_manager()

    class Meta:
        indexes = [
            # `alongside mentorship remind`: the sessions starting soon that still need a reminder.
            models.Index(
                fields=["organisation", "starts_at"],
                name="matching_nextsession_remind",
                condition=models.Q(reminded_at__isnull=True, cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"next session of {self.match_id}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class ClosureSummary(TimestampedModel):
    """What the person worked on, in the peer supporter's words, with their support plan as it was
    when the mentorship closed: theirs to keep (a page and a PDF under their private link)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    match = models.OneToOneField(Match, on_delete=models.PROTECT, related_name="closure_summary")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="closure_summaries")
    worked_on = EncryptedTextField(_("what you worked on together"), blank=True, default="")
    # The plan at closure, as JSON text (P3, so encrypted like the plan itself).
    plan_snapshot = EncryptedTextField(blank=True, default="")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[ClosureSummary]] = tenant_manager()

    class Meta:
        verbose_name_plural = "closure summaries"

    def __str__(self) -> str:
        return f"closure summary of {self.match_id}"

    @property
    def plan(self) -> dict[str, Any]:
        try:
            data = json.loads(self.plan_snapshot) if self.plan_snapshot else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
