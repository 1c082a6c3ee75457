"""Safety concerns and escalations (DOMAIN.md §6): a crisis signal starts a protocol, not a number.

Whoever notices it (a facilitator on the roster, a peer after a contact, later the warm line and the
outcome surveys) raises an ``Escalation``: the crisis options are shown at once, the reporter's
supervisors are alerted (``EscalationAlert``), the organisation's checklist is copied into the
escalation as it is that day, and a ``FollowUp`` is scheduled. Nothing here is closed or dismissed
automatically: a person records what was done and closes it. See docs/safety.md.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation
from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import TimestampedModel, tenant_manager

SUMMARY_MAX_LENGTH = 4000
NOTE_MAX_LENGTH = 4000
STEP_MAX_LENGTH = 300
MAX_STEPS = 20


class Source(models.TextChoices):
    GROUP_SESSION = "group_session", _("A group session")
    CONTACT = "contact", _("A contact with a person")
    CHAT = "chat", _("A warm-line chat")
    CALL = "call", _("A warm-line call")
    SURVEY = "survey", _("A survey answer")
    OTHER = "other", _("Something else")


class Outcome(models.TextChoices):
    WARM_TRANSFER = "warm_transfer_988", _("Warm transfer to 988 completed")
    RESOURCES_GIVEN = "resources_given", _("988 or other crisis resources given")
    EMERGENCY = "emergency_911", _("Emergency services (911) called")
    DECLINED = "declined", _("The person declined help")
    OTHER = "other", _("Something else")


# The US default (DOMAIN.md §6). An admin edits the organisation's own list; each escalation keeps
# a copy of the list as it was when it was raised.
DEFAULT_STEPS = [
    _("Stay with the person; you are not alone either"),
    _("Ask directly about safety"),
    _("Offer a warm transfer to 988 (call or text 988, or chat at 988lifeline.org)"),
    _("If someone is in immediate danger, call 911"),
    _("Tell your supervisor"),
    _("Write down what happened and what was offered"),
]


class EscalationChecklist(TimestampedModel):
    """The organisation's checklist. Each save is a new version; escalations keep their own copy."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="+")
    steps = models.JSONField(_("steps"), default=list)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[EscalationChecklist]] = tenant_manager()

    def __str__(self) -> str:
        return f"checklist v{self.version}"


class Escalation(models.Model):
    """One safety concern and what was done about it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("where it came up"), max_length=20, choices=Source.choices)
    group_session = models.ForeignKey(
        "groups.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    contact = models.ForeignKey(
        "people.ContactRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    participant = models.ForeignKey(
        "people.Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    summary = EncryptedTextField(_("what happened"))  # P3: the reporter's own words
    # [{"text": str, "done": bool, "at": iso datetime | None, "by": user id | None}, ...]
    checklist = models.JSONField(default=list)
    checklist_version = models.PositiveIntegerField(default=0)  # 0: the built-in default list
    outcome = models.CharField(_("what happened next"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_notes = EncryptedTextField(_("notes on the outcome"), blank=True, default="")  # P3
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when the person's record is anonymised: the words are cleared, the fact of the concern stays.
    cleared_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Escalation]] = tenant_manager()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["organisation", "closed_at", "-raised_at"], name="safety_escalation_open"),
            models.Index(fields=["organisation", "raised_by", "-raised_at"], name="safety_escalation_raiser"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | ~models.Q(outcome=""),
                name="safety_escalation_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"escalation {self.raised_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def steps(self) -> list[dict[str, Any]]:
        return [dict(step, index=i) for i, step in enumerate(self.checklist)]


class AlertReason(models.TextChoices):
    SUPERVISOR = "supervisor", _("Supervises the person who raised it")
    COORDINATOR = "coordinator", _("Coordinator")
    ADMIN = "admin", _("Organisation admin")


class EscalationAlert(models.Model):
    """Who was told about an escalation, when and why."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="alerts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=12, choices=AlertReason.choices)
    alerted_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, default="email")

    objects: ClassVar[models.Manager[EscalationAlert]] = tenant_manager()

    class Meta:
        ordering = ["alerted_at"]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "user"], name="safety_alert_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"alert {self.alerted_at:%Y-%m-%d %H:%M}"


class FollowUp(models.Model):
    """A check-in after the concern, due by default the next day at 10:00 in the organisation's
    time zone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="followups")
    due_at = models.DateTimeField(_("due"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = EncryptedTextField(_("note"), blank=True, default="")  # P3
    # When ``alongside safety remind`` told the assignee it is due (once).
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[FollowUp]] = tenant_manager()

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["organisation", "done_at", "due_at"], name="safety_followup_due")]

    def __str__(self) -> str:
        return f"follow-up {self.due_at:%Y-%m-%d}"

    def is_overdue(self, now: Any = None) -> bool:
        return self.done_at is None and self.due_at < (now or timezone.now())
