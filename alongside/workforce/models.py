"""Sustaining the workforce (DOMAIN.md §2): private wellbeing check-ins.

A check-in is the staff member's own (P3). Its note and mood are only ever shown to its writer;
the capacity answer reaches their supervisor and matching only when they tick "share", and only
for 14 days (``selectors.SIGNAL_DAYS``). See docs/workforce.md.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation
from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import tenant_manager

NOTE_MAX_LENGTH = 2000


class Capacity(models.TextChoices):
    ROOM = "room", _("I have room for more")
    FULL = "full", _("I'm about full")
    STRETCHED = "stretched", _("I'm stretched — please don't send me new people for now")


class Mood(models.IntegerChoices):
    """ "How are you doing?", in the worker's own words (optional, never shared)."""

    VERY_HARD = 1, _("Having a really hard time")
    HARD = 2, _("Struggling a bit")
    OKAY = 3, _("Okay")
    GOOD = 4, _("Good")
    VERY_GOOD = 5, _("Really good")


class WellbeingCheckIn(models.Model):
    """One check-in by one staff member. Never edited, except to stop sharing it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wellbeing_checkins")
    # Not auto_now_add: the demo dates its check-ins in the past.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    capacity = models.CharField(_("how much room you have"), max_length=10, choices=Capacity.choices)
    mood = models.PositiveSmallIntegerField(
        _("how you are doing"),
        null=True,
        blank=True,
        choices=Mood.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    note = EncryptedTextField(_("private note"), blank=True, default="")
    # Shares the capacity answer (never the note, never the mood) with the supervisor and matching.
    shared = models.BooleanField(_("share how much room I have"), default=False)
    # When the writer stopped sharing it (it was shared before).
    unshared_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[models.Manager[WellbeingCheckIn]] = tenant_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "user", "-created_at"], name="workforce_checkin_user"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mood__isnull=True) | models.Q(mood__gte=1, mood__lte=5),
                name="workforce_checkin_mood_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"check-in {self.created_at:%Y-%m-%d}"
