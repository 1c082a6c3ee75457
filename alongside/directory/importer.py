"""``alongside directory import-meeting-guide FILE [--source NAME]``: another directory's Meeting Guide
feed (github.com/code4recovery/spec) as listings of kind "meeting" (docs/directory.md, "Feeds").

Each entry is checked on its own; a bad entry is reported (its row, slug and every reason) and
skipped, the good ones are kept. Listings are keyed by (source, slug): importing the same file twice
changes nothing, a changed entry updates its listing, and the source's listings whose slug is no
longer in the file are removed. All of it happens in one transaction: an import is whole or not at
all.

Rules: ``name`` and ``slug`` are required; ``day`` is 0–6 (Sunday = 0) or a list of them and
``time`` is "HH:MM" (by-appointment meetings, without a day and time, are not listed);
``end_time`` is "HH:MM" (an hour after ``time`` when absent); ``timezone`` is an IANA name;
``latitude``/``longitude`` are in range, or there is an address; unknown ``types`` codes are
dropped with a note; ``notes`` lose any HTML; ``conference_url`` must be https. The index fields
follow ``directory.models`` and ``directory.search``: the grid cell from ``cell_of``, ``days_mask``
with bit d for day d, ``times_mask`` 1 morning (before 12:00), 2 afternoon (12:00–16:59), 4 evening.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from alongside.directory.feeds import (
    ACCESSIBILITY_TYPES,
    COMMUNITY_TYPES,
    LANGUAGE_TYPES,
    TOPIC_TYPES,
    plain_text,
    type_codes,
)
from alongside.directory.geocode import point_from_zip
from alongside.directory.models import Listing, ListingKind, cell_of
from alongside.directory.search import time_bit
from alongside.groups.vocab import Audience, GroupFormat, Joining

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 50_000
HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])(?::[0-5][0-9])?$")
PHONE = re.compile(r"^[0-9+,*#]{3,60}$")
COUNTRIES = {"us": "US", "usa": "US", "united states": "US", "united states of america": "US"}

# Meeting Guide type → Alongside vocabulary (the reverse of the feed's mapping).
LANGUAGE_OF_TYPE = {code: lang for lang, code in LANGUAGE_TYPES.items()}
COMMUNITY_OF_TYPE = {code: str(c) for c, code in COMMUNITY_TYPES.items()}
ACCESS_OF_TYPE = {code: str(a) for a, code in ACCESSIBILITY_TYPES.items()}
TOPIC_OF_TYPE = {code: str(t) for t, code in TOPIC_TYPES.items()}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not readable, not a JSON array)."""


def _text(entry: dict[str, Any], key: str, limit: int) -> str:
    value = entry.get(key)
    if value is None:
        return ""
    return plain_text(str(value), limit)


def _hhmm(value: Any) -> time | None:
    found = HHMM.match(str(value).strip()) if isinstance(value, str) else None
    return time(int(found.group(1)), int(found.group(2))) if found else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def clean_entry(entry: Any) -> tuple[dict[str, Any] | None, list[str], list[str]]:
    """(listing fields, errors, notes) for one feed entry; fields is None when there are errors."""
    errors: list[str] = []
    notes: list[str] = []
    if not isinstance(entry, dict):
        return None, ["The entry is not a JSON object."], notes

    name = _text(entry, "name", 255)
    if not name:
        errors.append("name is required.")
    raw_slug = entry.get("slug")
    slug = str(raw_slug).strip() if isinstance(raw_slug, str | int) and not isinstance(raw_slug, bool) else ""
    if not slug:
        errors.append("slug is required.")
    elif len(slug) > 255:
        errors.append("slug is longer than 255 characters.")

    raw_day = entry.get("day")
    raw_days = raw_day if isinstance(raw_day, list) else [raw_day]
    days: list[int] = []
    if raw_day is None or raw_day == [] or raw_day == "":
        errors.append("day is required (by-appointment meetings are not listed).")
    else:
        for value in raw_days:
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
                errors.append(f"day must be 0–6 (Sunday = 0) or a list of them, not {value!r}.")
                break
            if not 0 <= int(value) <= 6:
                errors.append(f"day must be 0–6 (Sunday = 0), not {value!r}.")
                break
            days.append(int(value))
    start = _hhmm(entry.get("time"))
    if start is None:
        errors.append("time must be HH:MM (24-hour).")
    end: time | None = None
    if entry.get("end_time") not in (None, ""):
        end = _hhmm(entry.get("end_time"))
        if end is None:
            errors.append("end_time must be HH:MM (24-hour).")
    elif start is not None:
        end = time((start.hour + 1) % 24, start.minute)

    zone = entry.get("timezone")
    if not isinstance(zone, str) or not zone.strip():
        errors.append("timezone is required (an IANA name such as America/New_York).")
    else:
        zone = zone.strip()
        if zone not in _zones():
            errors.append(f"timezone {zone[:64]!r} is not an IANA time zone name.")

    latitude, longitude = entry.get("latitude"), entry.get("longitude")
    lat, lon = _float(latitude), _float(longitude)
    has_point = latitude not in (None, "") or longitude not in (None, "")
    if has_point and (lat is None or lon is None or not -90 <= lat <= 90 or not -180 <= lon <= 180):
        errors.append("latitude must be -90 to 90 and longitude -180 to 180.")
    address = _text(entry, "formatted_address", 300) or _text(entry, "address", 300)
    city = _text(entry, "city", 100)
    postal_code = _text(entry, "postal_code", 20)
    if not has_point and not (address or city or postal_code):
        errors.append("Give latitude and longitude, or an address.")

    conference_url = entry.get("conference_url") or ""
    if conference_url and (not isinstance(conference_url, str) or not conference_url.startswith("https://")
                           or len(conference_url) > 500 or any(c.isspace() for c in conference_url)):  # fmt: skip
        errors.append("conference_url must be an https:// link.")
    conference_phone = entry.get("conference_phone") or ""
    if conference_phone and (not isinstance(conference_phone, str) or not PHONE.match(conference_phone.strip())):
        errors.append("conference_phone may hold only digits and + , * #.")

    raw_types = entry.get("types") or []
    if not isinstance(raw_types, list):
        errors.append("types must be a list of codes.")
        raw_types = []
    known = type_codes()
    types = sorted({str(t) for t in raw_types if isinstance(t, str) and t in known})
    unknown = sorted({str(t)[:20] for t in raw_types if not (isinstance(t, str) and t in known)})
    if unknown:
        notes.append(f"Unknown types dropped: {', '.join(unknown)}.")

    url = entry.get("url") or ""
    if url and not (isinstance(url, str) and re.match(r"^https?://\S+$", url) and len(url) <= 500):
        notes.append("url dropped: not an http(s) link.")
        url = ""

    if errors:
        return None, errors, notes

    assert start is not None and end is not None and isinstance(zone, str)
    if not has_point and postal_code:
        point = point_from_zip(postal_code)
        if point is not None:
            lat, lon = point
    raw_country = _text(entry, "country", 60)
    country = raw_country.upper() if len(raw_country) == 2 else COUNTRIES.get(raw_country.lower(), "")
    online = bool(conference_url or conference_phone)
    approximate = str(entry.get("approximate", "")).lower() == "yes"
    in_person = bool(address) and not approximate and "TC" not in types
    if online and in_person:
        group_format = GroupFormat.HYBRID
    elif conference_url:
        group_format = GroupFormat.ONLINE
    elif conference_phone:
        group_format = GroupFormat.PHONE
    else:
        group_format = GroupFormat.IN_PERSON
    days = sorted(set(days))
    weekly = [{"day": d, "time": f"{start:%H:%M}", "end_time": f"{end:%H:%M}"} for d in days]
    fields: dict[str, Any] = {
        "name": name,
        "slug": (slugify(slug) or "meeting")[:255],
        "description": _text(entry, "notes", 4000),
        "url": url,
        "organisation_name": _text(entry, "entity", 200),
        "audience": Audience.YOUTH if "Y" in types else "",
        "communities": sorted({COMMUNITY_OF_TYPE[t] for t in types if t in COMMUNITY_OF_TYPE}),
        "topics": sorted({TOPIC_OF_TYPE[t] for t in types if t in TOPIC_OF_TYPE}),
        "languages": sorted({LANGUAGE_OF_TYPE[t] for t in types if t in LANGUAGE_OF_TYPE}),
        "format": group_format,
        "accessibility": sorted({ACCESS_OF_TYPE[t] for t in types if t in ACCESS_OF_TYPE}),
        "is_free": True,
        "joining": Joining.DROP_IN,
        "latitude": lat,
        "longitude": lon,
        "cell": cell_of(lat, lon) if lat is not None and lon is not None else None,
        "approximate": approximate,
        "address": address,
        "city": city,
        "region": _text(entry, "state", 100),
        "postal_code": postal_code,
        "country": country,
        "timezone": zone,
        "is_online": online,
        "is_in_person": in_person,
        "weekly": weekly,
        "days_mask": sum(1 << d for d in days),
        "times_mask": time_bit(start),
        "conference_url": conference_url,
        "conference_phone": conference_phone.strip() if isinstance(conference_phone, str) else "",
        "types": types,
    }
    return fields, [], notes


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def read_feed(path: Path) -> list[Any]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    if size > MAX_FILE_BYTES:
        raise ImportFileError(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ImportFileError(f"{path} is not a Meeting Guide feed: it is not valid JSON ({exc}).") from exc
    if not isinstance(data, list):
        raise ImportFileError(f"{path} is not a Meeting Guide feed: the file must hold a JSON array of meetings.")
    if len(data) > MAX_ENTRIES:
        raise ImportFileError(f"{path} has more than {MAX_ENTRIES} meetings.")
    return data


def import_entries(entries: list[Any], *, source: str, now: datetime | None = None) -> dict[str, Any]:
    """Bring the listings of ``source`` in step with ``entries``; returns the report."""
    source = source.strip()[:200]
    if not source:
        raise ImportFileError("The source needs a name (--source).")
    now = now or timezone.now()
    report: dict[str, Any] = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0, "rejected": [], "notes": []}
    wanted: dict[str, dict[str, Any]] = {}
    for row, entry in enumerate(entries, start=1):
        fields, errors, notes = clean_entry(entry)
        slug = str(entry.get("slug", ""))[:255] if isinstance(entry, dict) else ""
        if fields is not None and slug.strip() in wanted:
            fields, errors = None, [f"slug {slug.strip()!r} is used by an earlier entry."]
        if fields is None:
            report["rejected"].append({"row": row, "slug": slug, "errors": errors})
            continue
        if notes:
            report["notes"].append({"row": row, "slug": slug, "notes": notes})
        wanted[slug.strip()] = fields
    with transaction.atomic():
        existing = {
            listing.external_slug: listing
            for listing in Listing.objects.select_for_update().filter(
                kind=ListingKind.MEETING, source=source, source_id__isnull=True
            )
        }
        for external_slug, fields in wanted.items():
            listing = existing.pop(external_slug, None)
            if listing is None:
                Listing.objects.create(
                    kind=ListingKind.MEETING, source=source, external_slug=external_slug, updated_at=now, **fields
                )
                report["created"] += 1
            elif all(getattr(listing, name) == value for name, value in fields.items()):
                report["unchanged"] += 1
            else:
                for name, value in fields.items():
                    setattr(listing, name, value)
                listing.updated_at = now
                listing.save()
                report["updated"] += 1
        if existing:
            report["removed"] = Listing.objects.filter(pk__in=[x.pk for x in existing.values()]).delete()[0]
    return report


def import_file(path: Path, *, source: str) -> dict[str, Any]:
    return import_entries(read_feed(path), source=source)
