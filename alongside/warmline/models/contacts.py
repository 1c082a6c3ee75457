"""Warm-line models: contacts (see models/__init__.py).

A warm-line call or chat is a ``people.ContactRecord`` (service model "warm line": when, how long,
the peer, the person if they chose to be known, topics, private notes) with one ``LineContact``
beside it holding what only the warm line records: the line, the channel, start and end, the
caller's alias, first-time or repeat, mood at start and end, what helped, what was offered, and a
link to a safety concern. Anonymous callers are normal: an alias is enough and it is encrypted.

A ``CallerPlan`` is what a line agreed with someone who calls often (how often, how long), with an
expiry, shown to the peer while they answer. See docs/warmline.md.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation
from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import TimestampedModel, tenant_manager
from alongside.warmline.models.lines import Line

__all__ = [
    "CallerKind",
    "CallerPlan",
    "Channel",
    "ContactState",
    "Helped",
    "LineContact",
    "PlanPeriod",
    "ResourceGiven",
    "WarmlineTopic",
]

MOOD_MIN, MOOD_MAX = 1, 5


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    CHAT = "chat", _("Chat")


class ContactState(models.TextChoices):
    # A draft is made when a call or chat starts (by hand, by phone routing or when a chat closes);
    # the peer completes it between contacts.
    DRAFT = "draft", _("To finish")
    COMPLETE = "complete", _("Finished")


class CallerKind(models.TextChoices):
    FIRST_TIME = "first_time", _("First time")
    REPEAT = "repeat", _("Has been in touch before")
    NOT_SURE = "not_sure", _("Not sure")


class WarmlineTopic(models.TextChoices):
    LONELINESS = "loneliness", _("Loneliness")
    JUST_TALK = "just_talk", _("Wanted to talk")
    MENTAL_HEALTH = "mental_health", _("Mental health and wellbeing")
    STRESS = "stress", _("Stress or worry")
    RELATIONSHIPS = "relationships", _("Family and relationships")
    SUBSTANCE_USE = "substance_use", _("Substance use and recovery")
    GRIEF = "grief", _("Grief and loss")
    TRAUMA = "trauma", _("Trauma")
    MONEY_HOUSING = "money_housing", _("Money, housing or food")
    WORK = "work", _("Work or school")
    HEALTH = "health", _("Physical health")
    SERVICES = "services", _("Finding services")
    OTHER = "other", _("Something else")


class Helped(models.TextChoices):
    LISTENING = "listening", _("Listening")
    SHARING_EXPERIENCE = "sharing_experience", _("Sharing experience")
    COPING_IDEAS = "coping_ideas", _("Coping ideas")
    RESOURCES = "resources", _("Resources")
    NEXT_STEPS = "next_steps", _("Planning next steps")
    GROUNDING = "grounding", _("Grounding or breathing")
    PROBLEM_SOLVING = "problem_solving", _("Working through a problem")


class ResourceGiven(models.TextChoices):
    CRISIS_988 = "988", _("988 (call, text or chat)")
    EMERGENCY_911 = "911", _("911")
    INFO_211 = "211", _("211 or a local information line")
    PEER_GROUP = "peer_group", _("A peer support group")
    MENTORSHIP = "mentorship", _("One-on-one peer mentorship")
    CARE_TEAM = "care_team", _("Their own care team or doctor")
    COMMUNITY = "community", _("A community service")


class LineContact(TimestampedModel):
    """The warm-line details of one call or chat (one-to-one with its contact record)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    contact = models.OneToOneField("people.ContactRecord", on_delete=models.PROTECT, related_name="warmline")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("line"))
    channel = models.CharField(_("call or chat"), max_length=8, choices=Channel.choices)
    state = models.CharField(max_length=10, choices=ContactState.choices, default=ContactState.DRAFT)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # P2 at least (a name or nickname the person gave): encrypted. ``alias_key`` is a keyed hash of
    # the normalised alias, so a peer can find contacts and plans by alias without plaintext.
    caller_alias = EncryptedTextField(_("what they like to be called"), blank=True, default="", sensitivity="P2")
    alias_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    caller_kind = models.CharField(
        _("first time or repeat"), max_length=10, choices=CallerKind.choices, default=CallerKind.NOT_SURE
    )
    mood_start = models.PositiveSmallIntegerField(
        _("mood at the start"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MOOD_MIN), MaxValueValidator(MOOD_MAX)],
    )
    mood_end = models.PositiveSmallIntegerField(
        _("mood at the end"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MOOD_MIN), MaxValueValidator(MOOD_MAX)],
    )
    helped = models.JSONField(_("what helped"), default=list, blank=True)  # Helped codes
    resources = models.JSONField(_("resources or referrals given"), default=list, blank=True)  # ResourceGiven codes
    resources_other = EncryptedTextField(_("other resources given"), blank=True, default="")
    # What crisis screening found in the notes (what the caller said): a tier and concept names,
    # policy words only, never the notes themselves.
    screening_tier = models.CharField(_("crisis screening"), max_length=10, blank=True, default="")
    screening_concepts = models.JSONField(_("crisis screening concepts"), default=list, blank=True)
    # The outcome of a safety concern lives on the escalation itself.
    escalation = models.ForeignKey(
        "safety.Escalation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[LineContact]] = tenant_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["organisation", "state", "-started_at"], name="warmline_contact_state"),
            models.Index(fields=["organisation", "alias_key"], name="warmline_contact_alias"),
            models.Index(fields=["organisation", "line", "-started_at"], name="warmline_contact_line"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="warmline_contact_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(mood_start__isnull=True) | models.Q(mood_start__gte=1, mood_start__lte=5),
                name="warmline_contact_mood_start_range",
            ),
            models.CheckConstraint(
                condition=models.Q(mood_end__isnull=True) | models.Q(mood_end__gte=1, mood_end__lte=5),
                name="warmline_contact_mood_end_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="complete") | models.Q(ended_at__isnull=False),
                name="warmline_contact_complete_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_draft(self) -> bool:
        return self.state == ContactState.DRAFT


class PlanPeriod(models.TextChoices):
    DAY = "day", _("a day")
    WEEK = "week", _("a week")


class CallerPlan(TimestampedModel):
    """What the line agreed with someone who is often in touch: how often, how long, until when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # None: every line of the organisation.
    line = models.ForeignKey(
        Line, null=True, blank=True, on_delete=models.PROTECT, related_name="caller_plans", verbose_name=_("line")
    )
    caller_alias = EncryptedTextField(_("what they like to be called"), blank=True, default="", sensitivity="P2")
    alias_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    participant = models.ForeignKey(
        "people.Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    max_contacts = models.PositiveSmallIntegerField(
        _("at most this many contacts"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    period = models.CharField(_("per"), max_length=8, choices=PlanPeriod.choices, blank=True)
    max_minutes = models.PositiveSmallIntegerField(
        _("each for up to (minutes)"), null=True, blank=True, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    plan_notes = EncryptedTextField(_("what was agreed, in words"), blank=True, default="")  # P3
    starts_on = models.DateField(_("starts"))
    expires_on = models.DateField(_("expires"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[CallerPlan]] = tenant_manager()

    class Meta:
        ordering = ["-starts_on", "-created_at"]
        indexes = [
            models.Index(fields=["organisation", "alias_key", "expires_on"], name="warmline_plan_alias"),
            models.Index(fields=["organisation", "participant", "expires_on"], name="warmline_plan_person"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(alias_key="") | models.Q(participant__isnull=False),
                name="warmline_plan_names_someone",
            ),
            models.CheckConstraint(
                condition=models.Q(max_contacts__isnull=False) | models.Q(max_minutes__isnull=False),
                name="warmline_plan_agrees_something",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__gte=models.F("starts_on")), name="warmline_plan_expires_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"caller plan {self.starts_on}–{self.expires_on}"
