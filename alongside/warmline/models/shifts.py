"""Warm-line models: shifts (see models/__init__.py and docs/warmline.md, "Shifts").

- ``ShiftPattern``: a recurring shift ("Mondays and Wednesdays, 18:00 for 4 hours") as an RFC 5545
  rule in the organisation's time zone (the subset of ``groups/schedules.py``).
- ``Shift``: one concrete shift, a row per occurrence of a pattern (made on demand for the weeks
  people look at, ``rota.shifts_materialise``) or a one-off. Start and end are aware instants.
- ``ShiftAssignment``: a person on a shift (signed up, assigned by a coordinator, or through a swap).
- ``ShiftSwap``: an offer to hand one's place on a shift to a named peer or to anyone, which a
  coordinator approves.
- ``OnShiftStatus``: a person's status on their current shift (available, busy, on a break, signed off).

No P3 text here: only times, counts and who is on which shift (P2 at most).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation
from alongside.core.tenancy import TimestampedModel, tenant_manager
from alongside.warmline.models.lines import Line

__all__ = [
    "AssignmentHow",
    "AssignmentState",
    "OnShiftStatus",
    "DutyStatus",
    "Shift",
    "ShiftAssignment",
    "ShiftPattern",
    "ShiftSwap",
    "SwapState",
]

MAX_PEERS_LIMIT = 50


class ShiftPattern(TimestampedModel):
    """A recurring shift of one line, in the organisation's time zone (wall-clock time)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="shift_patterns")
    # Canonical form from groups.schedules.check_rule (e.g. "FREQ=WEEKLY;BYDAY=MO,WE").
    rrule = models.CharField(_("repeats"), max_length=200)
    start_date = models.DateField(_("first day"))
    until = models.DateField(_("last day"), null=True, blank=True)
    start_time = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), validators=[MinValueValidator(15), MaxValueValidator(24 * 60)]
    )
    min_peers = models.PositiveSmallIntegerField(
        _("fewest peers"), default=1, validators=[MinValueValidator(0), MaxValueValidator(MAX_PEERS_LIMIT)]
    )
    max_peers = models.PositiveSmallIntegerField(
        _("most peers"), default=2, validators=[MinValueValidator(1), MaxValueValidator(MAX_PEERS_LIMIT)]
    )

    objects: ClassVar[models.Manager[ShiftPattern]] = tenant_manager()

    class Meta:
        ordering = ["start_date", "start_time", "pk"]

    def __str__(self) -> str:
        return f"{self.line_id} {self.rrule} {self.start_time:%H:%M}"


class Shift(TimestampedModel):
    """One shift on one line: from a pattern (``original_start`` is its occurrence) or a one-off."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="shifts")
    pattern = models.ForeignKey(ShiftPattern, null=True, blank=True, on_delete=models.PROTECT, related_name="shifts")
    original_start = models.DateTimeField(null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    min_peers = models.PositiveSmallIntegerField(
        _("fewest peers"), default=1, validators=[MinValueValidator(0), MaxValueValidator(MAX_PEERS_LIMIT)]
    )
    max_peers = models.PositiveSmallIntegerField(
        _("most peers"), default=2, validators=[MinValueValidator(1), MaxValueValidator(MAX_PEERS_LIMIT)]
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Shift]] = tenant_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["organisation", "line", "starts_at"], name="warmline_shift_line_start")]
        constraints = [
            models.UniqueConstraint(
                fields=["pattern", "original_start"],
                condition=Q(pattern__isnull=False),
                name="warmline_shift_one_per_occurrence",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="warmline_shift_ends_after"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.starts_at:%Y-%m-%d %H:%M}"


class AssignmentHow(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    ASSIGNED = "assigned", _("Assigned by a coordinator")
    SWAP = "swap", _("Took a swap")


class AssignmentState(models.TextChoices):
    ACTIVE = "active", _("On the shift")
    REMOVED = "removed", _("Taken off the shift")
    SWAPPED = "swapped", _("Handed over in a swap")


class ShiftAssignment(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    how = models.CharField(max_length=12, choices=AssignmentHow.choices)
    state = models.CharField(max_length=10, choices=AssignmentState.choices, default=AssignmentState.ACTIVE)
    # The day-before reminder (``alongside warmline remind-shifts``): set once, when sent.
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[ShiftAssignment]] = tenant_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "user"],
                condition=Q(state="active"),
                name="warmline_assignment_once_per_shift",
            ),
        ]


class SwapState(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Taken, waiting for a coordinator")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ShiftSwap(TimestampedModel):
    """A person offers their place on a shift to one peer (``offered_to``) or to anyone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(ShiftAssignment, on_delete=models.PROTECT, related_name="swaps")
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=SwapState.choices, default=SwapState.OFFERED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[ShiftSwap]] = tenant_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(state__in=["offered", "accepted"]),
                name="warmline_swap_one_open_per_assignment",
            ),
        ]


class DutyStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    BREAK = "break", _("On a break")
    SIGNED_OFF = "signed_off", _("Signed off")


class OnShiftStatus(TimestampedModel):
    """A person's status on the shift they set it on. It counts only while that shift runs; on any
    other shift they start as available."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=DutyStatus.choices, default=DutyStatus.AVAILABLE)
    changed_at = models.DateTimeField()

    objects: ClassVar[models.Manager[OnShiftStatus]] = tenant_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="warmline_onshiftstatus_one_per_person"),
        ]
