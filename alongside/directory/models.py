"""The directory's search index: one row per public listing, holding public (P1) fields only.

A listing is a group, a warm line or a one-on-one mentorship program of an organisation on
Alongside (kept in step by ``directory.sync``), or a meeting imported from another
organisation's Meeting Guide feed (``source`` names the feed). It is an index, not a record: it
can always be rebuilt from its sources, it is not tenant-scoped (the directory is public and spans
organisations), and nothing in it is personal.

Near-me search narrows by ``cell`` (a 0.25° latitude × 0.25° longitude grid square, indexed) and
then by exact great-circle distance; see docs/directory.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation
from alongside.groups.vocab import Accessibility, Topic

CELL_DEGREES = 0.25
CELL_COLUMNS = 1440  # 360 / 0.25


def cell_of(latitude: float, longitude: float) -> int:
    """The grid square of a point: row-major over 0.25° squares from (-90, -180)."""
    row = min(int((latitude + 90.0) / CELL_DEGREES), 719)
    column = min(int((longitude + 180.0) / CELL_DEGREES), CELL_COLUMNS - 1)
    return row * CELL_COLUMNS + column


class ListingKind(models.TextChoices):
    GROUP = "group", _("Peer support group")
    WARMLINE = "warmline", _("Warm line")
    MENTORSHIP = "mentorship", _("One-on-one peer support")
    MEETING = "meeting", _("Meeting from another directory")


class Listing(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=ListingKind.choices)
    # Listings of organisations on Alongside: the organisation and the source row's id (a group or
    # a program). Imported meetings: the feed's name and the entry's slug.
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    source_id = models.UUIDField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    external_slug = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255)
    slug = models.CharField(max_length=255)
    description = models.TextField(blank=True, max_length=4000)
    url = models.URLField(max_length=500, blank=True)  # the listing's own page (ours, or the source's)
    organisation_name = models.CharField(max_length=200, blank=True)
    audience = models.CharField(max_length=12, blank=True)
    communities = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    format = models.CharField(max_length=10, blank=True)  # groups.vocab.GroupFormat; "" when not a group
    age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    accessibility = models.JSONField(default=list, blank=True)
    is_free = models.BooleanField(default=True)
    joining = models.CharField(max_length=12, blank=True)
    # Where: a public venue, or an approximate point for online listings (which the search finds by
    # language and time zone instead of distance). ``cell`` is null without coordinates.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    cell = models.IntegerField(null=True, blank=True)
    approximate = models.BooleanField(default=False)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, default="US")
    timezone = models.CharField(max_length=64, blank=True)
    is_online = models.BooleanField(default=False)
    is_in_person = models.BooleanField(default=False)
    # When: weekly times as [{"day": 0-6 (Sunday = 0), "time": "HH:MM", "end_time": "HH:MM"}], and
    # bit masks for the day (bit d for day d) and time-of-day filters (1 morning, 2 afternoon,
    # 4 evening) in the listing's time zone; warm lines keep their opening hours the same way.
    weekly = models.JSONField(default=list, blank=True)
    days_mask = models.PositiveSmallIntegerField(default=0)
    times_mask = models.PositiveSmallIntegerField(default=0)
    next_start = models.DateTimeField(null=True, blank=True)
    conference_url = models.URLField(max_length=500, blank=True)  # only when its source made it public
    conference_phone = models.CharField(max_length=60, blank=True)
    types = models.JSONField(default=list, blank=True)  # Meeting Guide type codes
    updated_at = models.DateTimeField()
    # Search columns derived from the lists above on save (``fill_search_columns``), so the near-me
    # query filters topic, accessibility and language in SQL on every database: a bit per code of
    # ``groups.vocab.Topic`` / ``Accessibility`` (in their declared order), and ",en,es,".
    topics_mask = models.PositiveIntegerField(default=0)
    access_mask = models.PositiveIntegerField(default=0)
    language_codes = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_id"],
                condition=models.Q(source_id__isnull=False),
                name="directory_listing_source",
            ),
            models.UniqueConstraint(
                fields=["source", "external_slug"],
                condition=models.Q(source_id__isnull=True),
                name="directory_listing_external",
            ),
        ]
        indexes = [
            models.Index(fields=["cell"], name="directory_listing_cell"),
            models.Index(fields=["is_online", "kind"], name="directory_listing_online"),
            models.Index(fields=["organisation", "kind"], name="directory_listing_org"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_search_columns()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "topics_mask", "access_mask", "language_codes"}
        super().save(*args, **kwargs)

    def fill_search_columns(self) -> None:
        self.topics_mask = code_mask(self.topics, TOPIC_BITS)
        self.access_mask = code_mask(self.accessibility, ACCESS_BITS)
        self.language_codes = language_codes(self.languages)


TOPIC_BITS = {code: 1 << i for i, code in enumerate(Topic.values)}
ACCESS_BITS = {code: 1 << i for i, code in enumerate(Accessibility.values)}


def code_mask(codes: Iterable[str], bits: dict[str, int]) -> int:
    mask = 0
    for code in codes or ():
        mask |= bits.get(code, 0)
    return mask


def language_codes(languages: Iterable[str]) -> str:
    codes = [str(code).strip().lower()[:8] for code in languages or () if str(code).strip()]
    return f",{','.join(codes)}," if codes else ""
