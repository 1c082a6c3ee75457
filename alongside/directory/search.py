"""Near-me search over the directory's listings (docs/directory.md, "How the search works").

1. The radius's bounding box on the sphere → the 0.25° grid cells it touches (``cells_near``).
   Longitude is scaled by latitude exactly (the widest point of a spherical cap); when the circle
   reaches a pole every longitude counts, and a box that crosses the antimeridian wraps round.
2. One indexed query: ``cell IN (...)`` (or the cells' row range when every longitude counts)
   plus the cheap filters in SQL (kind, audience, format, day and time-of-day masks, topic and
   accessibility masks, language), fetching only ids and coordinates.
3. Exact great-circle distance over those rows with NumPy, kept within the radius, sorted by
   distance (then id, so the order is stable), paginated; only the page's rows are then loaded.

Online and by-phone listings are never mixed into distances: they are a separate section found by
language and time zone (``online``).

Warm lines made from a ``warmline.Line`` are open or closed by that line's hours and closures
(``warmline.hours.line_status``), read for the few warm lines of a page in two queries (the lines
and their closures), whatever their number; other warm-line listings fall back to ``weekly``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from alongside.core.tenancy import unscoped
from alongside.directory.models import (
    ACCESS_BITS,
    CELL_COLUMNS,
    CELL_DEGREES,
    TOPIC_BITS,
    Listing,
    ListingKind,
    cell_of,
)
from alongside.matching.scoring import EARTH_RADIUS_KM, haversine_km
from alongside.warmline.hours import LineStatus, line_status, status_text
from alongside.warmline.models import Line

KM_PER_MILE = 1.609344
RADII_MILES = (1, 5, 10, 25, 50, 100)
DEFAULT_RADIUS_MILES = 25
PER_PAGE = 20
ONLINE_LIMIT = 20
CELL_ROWS = 720
# More cells than this and the row range (a superset, still indexed) is the better query.
MAX_IN_CELLS = 2000

# Time-of-day bits (Listing.times_mask), in the listing's own time zone.
MORNING, AFTERNOON, EVENING = 1, 2, 4


def time_bit(moment: time) -> int:
    if moment.hour < 12:
        return MORNING
    if moment.hour < 17:
        return AFTERNOON
    return EVENING


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    audience: str = ""
    topics: tuple[str, ...] = ()  # any of them
    language: str = ""
    formats: tuple[str, ...] = ()
    days: int = 0  # mask: meets on any of these days (bit 0 Sunday)
    times: int = 0  # mask: at any of these times of day
    accessibility: tuple[str, ...] = ()  # all of them
    open_now: bool = False  # warm lines open at ``now`` only


@dataclass
class Hit:
    listing: Listing
    distance_km: float | None = None
    # Warm lines: "Open now until 10 p.m.", "Opens Tuesday at 6 p.m." (``line_status_texts``).
    status_text: str = ""

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else self.distance_km / KM_PER_MILE


@dataclass
class Results:
    hits: list[Hit]
    count: int
    page: int
    pages: int
    online: list[Hit] = field(default_factory=list)
    online_count: int = 0

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# --- 1. Cells ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellCover:
    """The cells to read: every column of rows ``row_lo..row_hi`` (``columns`` None), or those columns."""

    row_lo: int
    row_hi: int
    columns: tuple[int, ...] | None

    def cells(self) -> list[int]:
        columns = range(CELL_COLUMNS) if self.columns is None else self.columns
        return [row * CELL_COLUMNS + column for row in range(self.row_lo, self.row_hi + 1) for column in columns]

    def size(self) -> int:
        width = CELL_COLUMNS if self.columns is None else len(self.columns)
        return (self.row_hi - self.row_lo + 1) * width

    def q(self) -> Q:
        if self.columns is None or self.size() > MAX_IN_CELLS:
            return Q(cell__gte=self.row_lo * CELL_COLUMNS, cell__lt=(self.row_hi + 1) * CELL_COLUMNS)
        return Q(cell__in=self.cells())


def cells_near(latitude: float, longitude: float, radius_km: float) -> CellCover:
    """The grid cells that a circle of ``radius_km`` around the point can touch (a superset)."""
    angle = radius_km / EARTH_RADIUS_KM  # radians of arc
    dlat = math.degrees(angle) * 1.000001 + 1e-9
    lat_lo, lat_hi = latitude - dlat, latitude + dlat
    row_lo = max(0, int((max(lat_lo, -90.0) + 90.0) / CELL_DEGREES))
    row_hi = min(CELL_ROWS - 1, int((min(lat_hi, 90.0) + 90.0) / CELL_DEGREES))
    cos_lat = math.cos(math.radians(latitude))
    if lat_lo <= -90.0 or lat_hi >= 90.0 or math.sin(angle) >= cos_lat:
        return CellCover(row_lo, row_hi, None)  # the circle holds a pole: every longitude
    # The cap's widest longitude offset is asin(sin(angle) / cos(latitude)).
    dlon = math.degrees(math.asin(math.sin(angle) / cos_lat)) * 1.000001 + 1e-9
    if dlon >= 180.0:
        return CellCover(row_lo, row_hi, None)
    first = math.floor((longitude - dlon + 180.0) / CELL_DEGREES)
    last = math.floor((longitude + dlon + 180.0) / CELL_DEGREES)
    if last - first + 1 >= CELL_COLUMNS:
        return CellCover(row_lo, row_hi, None)
    columns = tuple(sorted({column % CELL_COLUMNS for column in range(first, last + 1)}))
    return CellCover(row_lo, row_hi, columns)


# --- 2. Filters -----------------------------------------------------------------------------


def _bits(codes: Iterable[str], bits: dict[str, int]) -> int:
    mask = 0
    for code in codes:
        mask |= bits.get(code, 0)
    return mask


def filtered(queryset: QuerySet[Listing], filters: Filters) -> QuerySet[Listing]:
    """The SQL part of the filters (everything but "open now")."""
    if filters.kinds:
        queryset = queryset.filter(kind__in=filters.kinds)
    if filters.audience:
        queryset = queryset.filter(audience=filters.audience)
    if filters.formats:
        queryset = queryset.filter(format__in=filters.formats)
    if filters.language:
        queryset = queryset.filter(language_codes__contains=f",{filters.language.lower()},")
    if filters.days:
        queryset = queryset.annotate(_days=F("days_mask").bitand(filters.days)).filter(_days__gt=0)
    if filters.times:
        queryset = queryset.annotate(_times=F("times_mask").bitand(filters.times)).filter(_times__gt=0)
    if filters.topics:
        topics = _bits(filters.topics, TOPIC_BITS)
        queryset = queryset.annotate(_topics=F("topics_mask").bitand(topics)).filter(_topics__gt=0)
    if filters.accessibility:
        access = _bits(filters.accessibility, ACCESS_BITS)
        queryset = queryset.annotate(_access=F("access_mask").bitand(access)).filter(_access=access)
    if filters.open_now:
        queryset = queryset.filter(kind=ListingKind.WARMLINE)
    return queryset


def _minutes(text: str) -> int | None:
    try:
        hours, minutes = str(text).split(":")
        value = int(hours) * 60 + int(minutes)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value <= 24 * 60 else None


def is_open(weekly: Sequence[dict[str, Any]], zone_name: str, now: datetime) -> bool:
    """Whether hours like ``[{"day": 1, "time": "09:00", "end_time": "17:00"}]`` (day 0 Sunday, in
    ``zone_name``) include ``now``. An end at or before the start runs past midnight."""
    try:
        local = now.astimezone(ZoneInfo(zone_name or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return False
    today = (local.weekday() + 1) % 7
    minute = local.hour * 60 + local.minute
    for entry in weekly or ():
        start, end = _minutes(entry.get("time", "")), _minutes(entry.get("end_time", ""))
        day = entry.get("day")
        if start is None or end is None or not isinstance(day, int):
            continue
        if end > start:
            if day == today and start <= minute < end:
                return True
        else:  # overnight: from start today to end tomorrow
            if (day == today and minute >= start) or ((day + 1) % 7 == today and minute < end):
                return True
    return False


def _lines(source_ids: Iterable[Any]) -> list[Line]:
    ids = {pk for pk in source_ids if pk is not None}
    if not ids:
        return []
    with unscoped("directory: the public open/closed status of warm lines, across organisations"):
        return list(Line.objects.filter(pk__in=ids).select_related("organisation").prefetch_related("closures"))


def line_statuses(source_ids: Iterable[Any], now: datetime | None = None) -> dict[Any, LineStatus]:
    """The status at ``now`` of each line among ``source_ids`` (ids that are not lines are left
    out): two queries, however many."""
    moment = now or datetime.now(tz=ZoneInfo("UTC"))
    return {
        line.pk: line_status(line, moment, zone=ZoneInfo(line.organisation.timezone)) for line in _lines(source_ids)
    }


def line_status_texts(source_ids: Iterable[Any], now: datetime | None = None) -> dict[Any, str]:
    """Each line's status in words, in its organisation's time zone (two queries)."""
    moment = now or datetime.now(tz=ZoneInfo("UTC"))
    texts = {}
    for line in _lines(source_ids):
        zone = ZoneInfo(line.organisation.timezone)
        texts[line.pk] = status_text(line_status(line, moment, zone=zone), zone, moment)
    return texts


def attach_status_texts(hits: Sequence[Hit], now: datetime | None = None) -> None:
    """Set ``status_text`` on the warm-line hits (two queries when there are any)."""
    warm = [hit for hit in hits if hit.listing.kind == ListingKind.WARMLINE and hit.listing.source_id]
    if not warm:
        return
    texts = line_status_texts([hit.listing.source_id for hit in warm], now)
    for hit in warm:
        hit.status_text = texts.get(hit.listing.source_id, "")


# --- 3. Distance ------------------------------------------------------------------------------


def nearby_ids(
    latitude: float, longitude: float, radius_km: float, filters: Filters, *, now: datetime | None = None
) -> list[tuple[Any, float]]:
    """(id, km) of every in-person listing within the radius that passes the filters, nearest first."""
    cover = cells_near(latitude, longitude, radius_km)
    queryset = filtered(Listing.objects.filter(cover.q(), is_in_person=True), filters)
    rows: list[tuple[Any, Any, Any]]
    if filters.open_now:
        moment = now or datetime.now(tz=ZoneInfo("UTC"))
        full = queryset.values_list("id", "latitude", "longitude", "weekly", "timezone")
        rows = [(row[0], row[1], row[2]) for row in full if is_open(row[3], row[4], moment)]
    else:
        rows = list(queryset.values_list("id", "latitude", "longitude"))
    if not rows:
        return []
    ids = [row[0] for row in rows]
    coords = np.array([(row[1], row[2]) for row in rows], dtype=float)
    km = haversine_km(latitude, longitude, coords[:, 0], coords[:, 1])
    keep = np.nonzero(km <= radius_km)[0]
    ordered = sorted((float(km[i]), str(ids[i]), ids[i]) for i in keep)
    return [(pk, distance) for distance, _key, pk in ordered]


def _passes(row: dict[str, Any], filters: Filters, moment: datetime) -> bool:
    """``filtered`` and "open now" in plain Python, for the brute-force reference."""
    if filters.kinds and row["kind"] not in filters.kinds:
        return False
    if filters.audience and row["audience"] != filters.audience:
        return False
    if filters.formats and row["format"] not in filters.formats:
        return False
    if filters.language and f",{filters.language.lower()}," not in row["language_codes"]:
        return False
    if filters.days and not row["days_mask"] & filters.days:
        return False
    if filters.times and not row["times_mask"] & filters.times:
        return False
    if filters.topics and not set(row["topics"]) & set(filters.topics):
        return False
    if filters.accessibility and not set(filters.accessibility) <= set(row["accessibility"]):
        return False
    return not filters.open_now or (
        row["kind"] == ListingKind.WARMLINE and is_open(row["weekly"], row["timezone"], moment)
    )


def brute_force_ids(
    latitude: float, longitude: float, radius_km: float, filters: Filters, *, now: datetime | None = None
) -> list[tuple[Any, float]]:
    """The same answer by reading every row and filtering in Python (the benchmark's and the
    tests' reference; no grid, no SQL filter)."""
    moment = now or datetime.now(tz=ZoneInfo("UTC"))
    columns = (
        "id", "kind", "audience", "format", "language_codes", "days_mask", "times_mask", "topics",
        "accessibility", "weekly", "timezone", "latitude", "longitude", "is_in_person",
    )  # fmt: skip
    rows = [
        row
        for row in Listing.objects.values(*columns).iterator(chunk_size=2000)
        if row["is_in_person"] and row["latitude"] is not None and _passes(row, filters, moment)
    ]
    if not rows:
        return []
    coords = np.array([(row["latitude"], row["longitude"]) for row in rows], dtype=float)
    km = haversine_km(latitude, longitude, coords[:, 0], coords[:, 1])
    found = sorted((float(km[i]), str(row["id"]), row["id"]) for i, row in enumerate(rows) if km[i] <= radius_km)
    return [(pk, distance) for distance, _key, pk in found]


def _load(pairs: Sequence[tuple[Any, float | None]]) -> list[Hit]:
    by_id = {listing.pk: listing for listing in Listing.objects.filter(pk__in=[pk for pk, _d in pairs])}
    return [Hit(by_id[pk], distance) for pk, distance in pairs if pk in by_id]


def online(filters: Filters, *, timezone: str = "", now: datetime | None = None) -> tuple[list[Hit], int]:
    """Online and by-phone listings (no venue), found by language and time zone: those in the
    searcher's time zone first, then by name. At most ONLINE_LIMIT, and how many there are (two
    queries; "open now" reads the warm lines' hours instead, which are few)."""
    queryset = filtered(Listing.objects.filter(is_online=True, is_in_person=False), filters)
    if filters.open_now:
        moment = now or datetime.now(tz=ZoneInfo("UTC"))
        candidates = list(queryset.values_list("id", "name", "timezone", "weekly", "source_id"))
        statuses = line_statuses([row[4] for row in candidates], moment)
        rows = [
            row
            for row in candidates
            if (statuses[row[4]].is_open if row[4] in statuses else is_open(row[3], row[2], moment))
        ]
        rows.sort(key=lambda row: (bool(timezone) and row[2] != timezone, row[1].lower(), str(row[0])))
        return _load([(row[0], None) for row in rows[:ONLINE_LIMIT]]), len(rows)
    elsewhere = Case(When(timezone=timezone, then=Value(0)), default=Value(1), output_field=IntegerField())
    page = list(queryset.annotate(_elsewhere=elsewhere).order_by("_elsewhere", Lower("name"), "id")[:ONLINE_LIMIT])
    count = len(page) if len(page) < ONLINE_LIMIT else queryset.count()
    return [Hit(listing) for listing in page], count


def search(
    latitude: float,
    longitude: float,
    *,
    radius_miles: int = DEFAULT_RADIUS_MILES,
    filters: Filters | None = None,
    page: int = 1,
    timezone: str = "",
    now: datetime | None = None,
    per_page: int = PER_PAGE,
) -> Results:
    """Near-me search: a fixed number of queries whatever the page or the number of results
    (nearby ids, the page's rows, the online section and its count, and two for the warm lines'
    status; two more when "open now" reads the lines' hours)."""
    if radius_miles not in RADII_MILES:
        raise ValueError(f"radius must be one of {RADII_MILES}")
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        raise ValueError("coordinates out of range")
    filters = filters or Filters()
    results = near_me(
        latitude, longitude, radius_miles=radius_miles, filters=filters, page=page, now=now, per_page=per_page
    )
    results.online, results.online_count = online(filters, timezone=timezone, now=now)
    attach_status_texts([*results.hits, *results.online], now)
    return results


def near_me(
    latitude: float,
    longitude: float,
    *,
    radius_miles: int,
    filters: Filters,
    page: int = 1,
    now: datetime | None = None,
    per_page: int = PER_PAGE,
) -> Results:
    """The in-person part of a search (two queries): nearest first, one page."""
    found = nearby_ids(latitude, longitude, radius_miles * KM_PER_MILE, filters, now=now)
    pages = max(1, math.ceil(len(found) / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return Results(_load(found[start : start + per_page]), len(found), page, pages)


__all__ = ["RADII_MILES", "Filters", "Hit", "Results", "cell_of", "cells_near", "is_open", "search"]
