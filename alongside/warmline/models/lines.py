"""A warm line: a non-crisis phone and chat line run by peer supporters (DOMAIN.md §1, §6).

Public (P1) when ``is_public``: name, description, phone numbers, whether chat is offered, hours,
closures, languages, audience. A line is never presented as a crisis line: every page that shows
it shows the organisation's crisis options too.

Hours are wall-clock times in the organisation's time zone (``warmline.hours`` turns them into
instants). Weekly hours are a short list kept on the line itself, so reading a line's status costs
no query for them; closures (holidays, training days) are rows of their own.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, Program
from alongside.core.tenancy import TimestampedModel, tenant_manager

__all__ = ["Line", "LineAudience", "LineClosure"]


class LineAudience(models.TextChoices):
    EVERYONE = "everyone", _("Anyone")
    ADULTS = "adults", _("Adults")
    YOUTH = "youth", _("Young people")
    FAMILIES = "families", _("Families and carers")
    COMMUNITY = "community", _("A community")


class Line(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.PROTECT, related_name="lines")
    name = models.CharField(_("name"), max_length=120)
    # Stable, URL-safe, unique in the organisation (public pages and the chat widget).
    slug = models.SlugField(_("web address name"), max_length=80)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    # [{"label": "Call or text", "number": "+12075550100", "public": true}, ...] in E.164; an entry
    # without "public" is public (a staff-only back line says "public": false).
    phone_numbers = models.JSONField(_("phone numbers"), default=list, blank=True)
    chat_enabled = models.BooleanField(_("chat offered"), default=False)
    languages = models.JSONField(_("languages"), default=list, blank=True)  # ["en", "es"]
    audience = models.CharField(
        _("who it is for"), max_length=12, choices=LineAudience.choices, default=LineAudience.EVERYONE
    )
    # How many chats one peer may hold at once (issue 6: "a configurable number").
    max_chats_per_peer = models.PositiveSmallIntegerField(
        _("chats one peer may hold at once"), default=2, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    is_public = models.BooleanField(_("listed publicly"), default=True)
    is_active = models.BooleanField(_("in service"), default=True)
    # Weekly opening hours, in the organisation's time zone, sorted by day then opening time:
    # [{"day": 0-6 (Monday = 0), "opens": "HH:MM", "closes": "HH:MM", "overnight": bool}].
    # ``overnight`` periods close on the next day ("20:00"–"02:00"); "00:00"–"00:00" overnight is a
    # whole day, so seven of them are "open 24 hours". Written only by ``lines.line_hours_set``.
    hours = models.JSONField(_("weekly hours"), default=list, blank=True)

    objects: ClassVar[models.Manager[Line]] = tenant_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="warmline_line_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def public_phone_numbers(self) -> list[dict[str, str]]:
        return [p for p in self.phone_numbers or [] if isinstance(p, dict) and p.get("public", True)]


class LineClosure(TimestampedModel):
    """The line is closed from ``starts_on`` to ``ends_on`` (inclusive, the organisation's dates):
    whole days by default, or from ``start_time`` on the first day to ``end_time`` on the last.
    ``reason`` is public ("Thanksgiving")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    all_day = models.BooleanField(_("closed all day"), default=True)
    start_time = models.TimeField(_("closed from"), null=True, blank=True)
    end_time = models.TimeField(_("closed until"), null=True, blank=True)
    reason = models.CharField(_("reason shown to the public"), max_length=120)

    objects: ClassVar[models.Manager[LineClosure]] = tenant_manager()

    class Meta:
        ordering = ["starts_on", "start_time"]
        indexes = [models.Index(fields=["line", "ends_on"], name="warmline_closure_line_end")]

    def __str__(self) -> str:
        return f"{self.reason} ({self.starts_on}–{self.ends_on})"
