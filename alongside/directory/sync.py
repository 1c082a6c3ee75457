"""Keeping the directory's index in step with its sources (docs/directory.md, "The index").

``reindex(organisation=None)`` rebuilds the listings of one organisation (or all): one per public,
meeting group of a public, active program; one per public, in-service warm line (``warmline.Line``,
with its weekly hours); one per public, active program offering a warm line that has no line of its
own yet; and, for a public, active program offering one-on-one mentorship, one per public site of the
program (or one without a place when it has none). Listings whose source is gone or no longer
public are deleted. ``sync_group(group)`` refreshes one group's listing; it runs after every
committed change to a group (``DirectoryConfig.ready`` registers it with
``groups.services.register_change_listener``). ``sync_line(line)`` refreshes the organisation's
warm-line listings after every committed change to a line, its hours or closures (``DirectoryConfig.ready``
registers it with ``warmline.lines.register_change_listener``).

Only public (P1) fields are copied: nothing about who registered, attended, or facilitates, no
notes, and a group's online link only when it is drop-in and its join details are public.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alongside.accounts.models import Organisation, Program, Site
from alongside.core.tenancy import tenant_scope
from alongside.directory.geocode import point_from_zip
from alongside.directory.models import Listing, ListingKind, cell_of
from alongside.directory.search import time_bit
from alongside.groups import schedules as rules
from alongside.groups.models import Group, GroupStatus, Schedule
from alongside.groups.vocab import Audience, GroupFormat, Joining
from alongside.warmline import hours as line_hours
from alongside.warmline.models import Line, LineAudience

OWN_KINDS = (ListingKind.GROUP, ListingKind.WARMLINE, ListingKind.MENTORSHIP)
WEEKDAY_INDEX = {"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}  # Sunday = 0
IN_PERSON_FORMATS = {GroupFormat.IN_PERSON, GroupFormat.HYBRID}
ONLINE_FORMATS = {GroupFormat.ONLINE, GroupFormat.HYBRID, GroupFormat.PHONE}
# Fields compared to decide whether a listing changed (everything but ``updated_at``).
COMPARED = [f.name for f in Listing._meta.concrete_fields if f.name not in {"id", "updated_at"}]


def group_url(organisation: Organisation, group: Group) -> str:
    return f"/directory/groups/{organisation.slug}/{group.slug}/"


def listing_url(listing_id: uuid.UUID) -> str:
    return f"/directory/listings/{listing_id}/"


def mentorship_source_id(program: Program, site: Site | None) -> uuid.UUID:
    """One listing per program and site: the program's id, or a stable id derived from both."""
    return program.pk if site is None else uuid.uuid5(program.pk, str(site.pk))


def _place(site: Site | None) -> dict[str, Any]:
    """A public site's address and point (its own coordinates, or its ZIP code's centroid)."""
    if site is None or not site.is_public or not site.is_active:
        return {}
    point: tuple[float, float] | None = None
    if site.latitude is not None and site.longitude is not None and (site.latitude, site.longitude) != (0, 0):
        point = (float(site.latitude), float(site.longitude))
    elif site.country == "US":
        point = point_from_zip(site.postcode)
    if point is None:
        return {}
    address = ", ".join(part for part in (site.address_line1, site.address_line2) if part)
    return {
        "latitude": point[0],
        "longitude": point[1],
        "cell": cell_of(*point),
        "approximate": False,
        "address": address[:300],
        "city": site.city,
        "region": site.region,
        "postal_code": site.postcode,
        "country": site.country,
    }


NO_PLACE: dict[str, Any] = {
    "latitude": None,
    "longitude": None,
    "cell": None,
    "approximate": False,
    "address": "",
    "city": "",
    "region": "",
    "postal_code": "",
}


def _program_audience(program: Program) -> str:
    if program.serves_adults:
        return Audience.ADULTS
    if program.serves_youth:
        return Audience.YOUTH
    return Audience.FAMILIES


def _when(schedules: Iterable[Schedule], today: date) -> tuple[list[dict[str, Any]], int, int]:
    """Weekly times (strictly weekly rules only, as Meeting Guide means them) and the day and
    time-of-day masks (from every current rule, so "meets on Tuesdays" finds a monthly group too)."""
    weekly: list[dict[str, Any]] = []
    days = times = 0
    for schedule in schedules:
        if schedule.until is not None and schedule.until < today:
            continue
        parts = dict(part.partition("=")[::2] for part in schedule.rrule.split(";"))
        end = (datetime.combine(today, schedule.start_time) + timedelta(minutes=schedule.duration_minutes)).time()
        times |= time_bit(schedule.start_time)
        for token in parts.get("BYDAY", "").split(","):
            day = WEEKDAY_INDEX.get(token[-2:])
            if day is None:
                continue
            days |= 1 << day
            if parts.get("FREQ") == "WEEKLY" and parts.get("INTERVAL", "1") == "1":
                weekly.append({"day": day, "time": f"{schedule.start_time:%H:%M}", "end_time": f"{end:%H:%M}"})
    weekly.sort(key=lambda entry: (entry["day"], entry["time"]))
    return weekly, days, times


def group_fields(group: Group, *, now: datetime) -> dict[str, Any] | None:
    """The listing of a group, or None when it must not be listed."""
    program = group.program
    organisation = group.organisation
    if (
        not group.is_public
        or group.status != GroupStatus.ACTIVE
        or not program.is_public
        or not program.is_active
        or not organisation.is_active
    ):
        return None
    place = _place(group.site) if group.format in IN_PERSON_FORMATS else {}
    schedules = list(group.schedules.all())
    weekly, days, times = _when(schedules, now.astimezone(ZoneInfo(group.timezone)).date())
    following = rules.next_occurrence(group, now)
    public_join = group.joining == Joining.DROP_IN and group.join_details_public and group.format in ONLINE_FORMATS
    return {
        "kind": ListingKind.GROUP,
        "organisation": organisation,
        "source_id": group.pk,
        "source": "",
        "external_slug": "",
        "name": group.name,
        "slug": group.slug,
        "description": group.description,
        "url": group_url(organisation, group),
        "organisation_name": organisation.name,
        "audience": group.audience,
        "communities": list(group.communities or []),
        "topics": list(group.topics or []),
        "languages": [group.language] if group.language else [],
        "format": group.format,
        "age_min": group.age_min,
        "age_max": group.age_max,
        "accessibility": list(group.accessibility or []),
        "is_free": group.is_free,
        "joining": group.joining,
        **NO_PLACE,
        **place,
        "timezone": group.timezone,
        "is_online": group.format in ONLINE_FORMATS,
        "is_in_person": bool(place),
        "weekly": weekly,
        "days_mask": days,
        "times_mask": times,
        "next_start": following.starts_at if following else None,
        "conference_url": group.online_url if public_join else "",
        "conference_phone": group.dial_in if public_join else "",
    }


def _program_base(program: Program, organisation: Organisation, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "organisation": organisation,
        "source": "",
        "external_slug": "",
        "name": program.name,
        "slug": "",
        "description": program.description,
        "organisation_name": organisation.name,
        "audience": _program_audience(program),
        "communities": [],
        "topics": [],
        "languages": list(organisation.languages or []),
        "format": "",
        "age_min": None,
        "age_max": None,
        "accessibility": [],
        "is_free": True,
        "joining": "",
        **NO_PLACE,
        "timezone": organisation.timezone,
        "days_mask": 0,
        "times_mask": 0,
        "next_start": None,
        "conference_url": "",
        "conference_phone": "",
    }


def program_fields(program: Program, organisation: Organisation, *, has_lines: bool = False) -> list[dict[str, Any]]:
    """The warm-line and mentorship listings of a program (none unless public and active).

    Warm lines: one listing, online and by phone, only while the program has no ``warmline.Line``
    (then each line is a listing of its own, with its hours: ``line_fields``)."""
    if not program.is_public or not program.is_active or not organisation.is_active:
        return []
    found: list[dict[str, Any]] = []
    if program.offers_warmline and not has_lines:
        found.append(
            {
                **_program_base(program, organisation, ListingKind.WARMLINE),
                "source_id": program.pk,
                "is_online": True,
                "is_in_person": False,
                "weekly": [],
            }
        )
    if program.offers_mentorship:
        places = [(site, _place(site)) for site in program.sites.all()]
        places = [(site, place) for site, place in places if place]
        base = {**_program_base(program, organisation, ListingKind.MENTORSHIP), "weekly": []}
        if not places:
            found.append(
                {**base, "source_id": mentorship_source_id(program, None), "is_online": True, "is_in_person": False}
            )
        for site, place in places:
            found.append(
                {
                    **base,
                    **place,
                    "source_id": mentorship_source_id(program, site),
                    "is_online": False,
                    "is_in_person": True,
                }
            )
    return found


# The directory's audiences (groups.vocab.Audience); a line for anyone has none (every filter but
# "who it is for" finds it).
LINE_AUDIENCE: dict[str, str] = {
    LineAudience.ADULTS: Audience.ADULTS,
    LineAudience.YOUTH: Audience.YOUTH,
    LineAudience.FAMILIES: Audience.FAMILIES,
    LineAudience.COMMUNITY: Audience.COMMUNITY,
}
MORNING_END, AFTERNOON_END = 12 * 60, 17 * 60


def _line_week(line: Line) -> tuple[list[dict[str, Any]], int, int]:
    """Weekly hours in the Meeting Guide shape (Sunday = 0; an overnight period's ``end_time`` is
    before its ``time``) and the day and time-of-day masks of every hour the line is open."""
    weekly: list[dict[str, Any]] = []
    days = times = 0
    for period in line_hours.periods(line):
        day = (period.day + 1) % 7  # Monday = 0 → Sunday = 0
        weekly.append({"day": day, "time": f"{period.opens:%H:%M}", "end_time": f"{period.closes:%H:%M}"})
        start = period.opens.hour * 60 + period.opens.minute
        end = period.closes.hour * 60 + period.closes.minute
        pieces = [(day, start, end)] if not period.overnight else [(day, start, 24 * 60), ((day + 1) % 7, 0, end)]
        for piece_day, lo, hi in pieces:
            if hi <= lo:
                continue
            days |= 1 << piece_day
            for bit, (a, b) in ((1, (0, MORNING_END)), (2, (MORNING_END, AFTERNOON_END)), (4, (AFTERNOON_END, 1440))):
                if lo < b and a < hi:
                    times |= bit
    weekly.sort(key=lambda entry: (entry["day"], entry["time"]))
    return weekly, days, times


def line_fields(line: Line) -> dict[str, Any] | None:
    """The listing of a warm line, or None when it must not be listed."""
    organisation = line.organisation
    program = line.program
    if (
        not line.is_public
        or not line.is_active
        or not organisation.is_active
        or (program is not None and (not program.is_public or not program.is_active))
    ):
        return None
    weekly, days, times = _line_week(line)
    phones = line.public_phone_numbers
    return {
        "kind": ListingKind.WARMLINE,
        "organisation": organisation,
        "source_id": line.pk,
        "source": "",
        "external_slug": "",
        "name": line.name,
        "slug": line.slug,
        "description": line.description,
        "url": reverse("warmline:public_line", args=[organisation.slug, line.slug]),
        "organisation_name": organisation.name,
        "audience": LINE_AUDIENCE.get(line.audience, ""),
        "communities": [],
        "topics": [],
        "languages": list(line.languages or []),
        "format": "",
        "age_min": None,
        "age_max": None,
        "accessibility": [],
        "is_free": True,
        "joining": "",
        **NO_PLACE,
        "timezone": organisation.timezone,
        "is_online": True,
        "is_in_person": False,
        "weekly": weekly,
        "days_mask": days,
        "times_mask": times,
        "next_start": None,
        "conference_url": "",
        "conference_phone": phones[0]["number"] if phones else "",
    }


def _apply(
    existing: dict[tuple[str, Any], Listing], wanted: dict[str, Any], now: datetime, summary: dict[str, int]
) -> None:
    key = (wanted["kind"], wanted["source_id"])
    listing = existing.pop(key, None)
    if listing is None:
        listing_id = uuid.uuid4()
        if not wanted.get("url"):  # groups and lines have pages of their own
            wanted = {**wanted, "url": listing_url(listing_id)}
        Listing.objects.create(id=listing_id, updated_at=now, **wanted)
        summary["created"] += 1
        return
    if not wanted.get("url"):
        wanted = {**wanted, "url": listing_url(listing.pk)}
    probe = Listing(**{**wanted, "id": listing.pk, "updated_at": now})
    probe.fill_search_columns()
    if all(getattr(probe, name) == getattr(listing, name) for name in COMPARED if name != "organisation"):
        summary["unchanged"] += 1
        return
    for name, value in wanted.items():
        setattr(listing, name, value)
    listing.updated_at = now
    listing.save()
    summary["updated"] += 1


def sync_organisation(organisation: Organisation, *, now: datetime | None = None) -> dict[str, int]:
    """Bring the organisation's listings in step with its groups and programs."""
    now = now or timezone.now()
    summary = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    with transaction.atomic(), tenant_scope(organisation):
        existing = {
            (listing.kind, listing.source_id): listing
            for listing in Listing.objects.filter(organisation=organisation, kind__in=OWN_KINDS)
        }
        wanted: list[dict[str, Any]] = []
        if organisation.is_active:
            groups = (
                Group.objects.filter(organisation=organisation, is_public=True, status=GroupStatus.ACTIVE)
                .select_related("program", "site", "organisation")
                .prefetch_related("schedules")
            )
            for group in groups:
                fields = group_fields(group, now=now)
                if fields is not None:
                    wanted.append(fields)
            lines = list(Line.objects.filter(organisation=organisation).select_related("organisation", "program"))
            with_lines = {line.program_id for line in lines}
            for line in lines:
                line_listing = line_fields(line)
                if line_listing is not None:
                    wanted.append(line_listing)
            programs = Program.objects.filter(
                Q(offers_warmline=True) | Q(offers_mentorship=True),
                organisation=organisation,
                is_public=True,
                is_active=True,
            )
            for program in programs.prefetch_related("sites"):
                wanted.extend(program_fields(program, organisation, has_lines=program.pk in with_lines))
        for fields in wanted:
            _apply(existing, fields, now, summary)
        if existing:
            summary["deleted"] = Listing.objects.filter(pk__in=[listing.pk for listing in existing.values()]).delete()[
                0
            ]
    return summary


def sync_group(group: Group, *, now: datetime | None = None) -> None:
    """Refresh (or remove) one group's listing; the groups change listener."""
    now = now or timezone.now()
    organisation = Organisation.objects.get(pk=group.organisation_id)
    with transaction.atomic(), tenant_scope(organisation):
        fresh = (
            Group.objects.filter(organisation=organisation, pk=group.pk)
            .select_related("program", "site", "organisation")
            .prefetch_related("schedules")
            .first()
        )
        fields = group_fields(fresh, now=now) if fresh is not None else None
        existing = {
            (listing.kind, listing.source_id): listing
            for listing in Listing.objects.filter(kind=ListingKind.GROUP, source_id=group.pk)
        }
        if fields is None:
            Listing.objects.filter(kind=ListingKind.GROUP, source_id=group.pk).delete()
            return
        _apply(existing, fields, now, {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0})


def sync_line(line: Line, *, now: datetime | None = None) -> None:
    """Refresh the organisation's listings after a change to one of its lines (the line's own
    listing and, when a line joins or leaves a program, the program's stand-in listing). Lines are
    few; the organisation's sync is the one place that knows both."""
    organisation = Organisation.objects.get(pk=line.organisation_id)
    sync_organisation(organisation, now=now)


def reindex(organisation: Organisation | None = None, *, now: datetime | None = None) -> dict[str, int]:
    """``alongside directory reindex [--org SLUG]``: every organisation (or one); also drops the
    listings of organisations that no longer exist as active ones."""
    total = {"organisations": 0, "created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    organisations = [organisation] if organisation is not None else list(Organisation.objects.order_by("slug"))
    for each in organisations:
        for key, value in sync_organisation(each, now=now).items():
            total[key] += value
        total["organisations"] += 1
    return total
