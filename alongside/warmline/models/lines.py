"""A warm line: a non-crisis phone and chat line run by peer supporters (DOMAIN.md §1, §6).

Public (P1) when ``is_public``: name, description, phone numbers, whether chat is offered, hours,
closures, languages, audience. A line is never presented as a crisis line: every page that shows
it shows the organisation's crisis options too.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation, Program
from alongside.core.tenancy import TimestampedModel, tenant_manager

__all__ = ["Line", "LineAudience"]


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
    # [{"label": "Call or text", "number": "+12075550100"}, ...] in E.164.
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

    objects: ClassVar[models.Manager[Line]] = tenant_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="warmline_line_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.name
