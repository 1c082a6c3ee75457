"""The Meeting Guide JSON feed: ``/directory/meeting-guide.json`` (docs/directory.md, "Feeds").

The format the Meeting Guide app, the 12 Step Meeting List and TSML UI read
(github.com/code4recovery/spec): a JSON array of weekly meetings. Every public, listed group of an
active organisation that meets every week (a schedule with ``FREQ=WEEKLY`` and interval 1) gives
one entry per weekly day and time. Groups that meet every other week or monthly cannot be expressed
in the format and are left out (they are in the directory and in the HSDS export).

Only public (P1) fields: the group's name, description (as plain text), times, the public venue's
address, the join link only for a drop-in group that made it public, type codes, the public page.
Never a facilitator's or registrant's name, never notes, never the link of a group that needs
registration. Times are the schedule's wall-clock times in the group's time zone, so the feed does
not change when clocks do.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.views.decorators.http import require_GET

from alongside.accounts.models import Site
from alongside.core.policy import public
from alongside.core.tenancy import unscoped
from alongside.groups.models import Group, GroupStatus, Schedule
from alongside.groups.vocab import Accessibility, Audience, Community, GroupFormat, Joining, Topic

TYPES_FILE = Path(__file__).resolve().parent / "data" / "meeting_guide_types.json"

# RFC 5545 weekday → Meeting Guide day (Sunday = 0).
MEETING_GUIDE_DAY = {"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}

# ISO 639-1 language → the Meeting Guide language type code.
LANGUAGE_TYPES = {
    "af": "AF", "am": "AM", "ar": "AR", "bg": "BG", "da": "DA", "de": "DE", "el": "EL", "en": "EN",
    "es": "S", "fa": "FA", "fi": "FI", "fr": "FR", "he": "HE", "hi": "HI", "hr": "HR", "hu": "HU",
    "is": "IS", "it": "ITA", "ja": "JA", "ka": "KA", "ko": "KOR", "lt": "LT", "ml": "ML", "mt": "MT",
    "ne": "NE", "nl": "NL", "no": "NO", "pa": "PUN", "pl": "POL", "pt": "POR", "ru": "RUS", "sk": "SK",
    "sl": "SL", "sv": "SV", "th": "TH", "tl": "TL", "tr": "TUR", "uk": "UK",
}  # fmt: skip
COMMUNITY_TYPES = {Community.WOMEN: "W", Community.MEN: "M", Community.LGBTQ: "LGBTQ", Community.BIPOC: "POC",
                   Community.OLDER_ADULTS: "SEN"}  # fmt: skip
ACCESSIBILITY_TYPES = {Accessibility.WHEELCHAIR: "X", Accessibility.RESTROOM: "XB", Accessibility.ASL: "ASL",
                       Accessibility.SCENT_FREE: "FF", Accessibility.CHILDCARE: "BA"}  # fmt: skip
TOPIC_TYPES = {Topic.DUAL_RECOVERY: "DD"}
# Every group can give a proof-of-attendance letter (groups: the letter PDF).
ALWAYS_TYPES = ("POA",)

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_PHONE_KEEP = re.compile(r"[^0-9+,*#]")


@cache
def type_names() -> dict[str, dict[str, str]]:
    """The Meeting Guide type codes with their names by language (the spec's types.json)."""
    data: dict[str, dict[str, str]] = json.loads(TYPES_FILE.read_text(encoding="utf-8"))
    return data


def type_codes() -> frozenset[str]:
    return frozenset(type_names())


def plain_text(value: str, limit: int = 1000) -> str:
    """Text without HTML tags or entities, on one line of single spaces."""
    text = _HIDDEN.sub(" ", value or "")
    for _ in range(2):  # twice: "&lt;b&gt;" becomes a tag once unescaped
        text = html.unescape(strip_tags(_TAG.sub(" ", text)))
    text = _SPACE.sub(" ", strip_tags(text)).strip()
    return text[:limit]


def weekly_days(rule: str) -> list[int] | None:
    """Meeting Guide days of a weekly (interval 1) rule, or None for any other rule."""
    parts = dict(item.partition("=")[::2] for item in rule.upper().split(";") if item)
    if parts.get("FREQ") != "WEEKLY" or parts.get("INTERVAL", "1") != "1":
        return None
    days = []
    for day in parts.get("BYDAY", "").split(","):
        if day not in MEETING_GUIDE_DAY:
            return None
        days.append(MEETING_GUIDE_DAY[day])
    return sorted(set(days)) or None


def group_types(group: Group) -> list[str]:
    codes: set[str] = {"O" if group.is_open else "C", *ALWAYS_TYPES}
    if group.audience == Audience.YOUTH:
        codes.add("Y")
    codes.update(COMMUNITY_TYPES[c] for c in group.communities if c in COMMUNITY_TYPES)
    codes.update(ACCESSIBILITY_TYPES[a] for a in group.accessibility if a in ACCESSIBILITY_TYPES)
    codes.update(TOPIC_TYPES[t] for t in group.topics if t in TOPIC_TYPES)
    language = LANGUAGE_TYPES.get((group.language or "").split("-")[0].lower())
    if language:
        codes.add(language)
    if group.status == GroupStatus.PAUSED:
        codes.add("TC")
    known = type_codes()
    return sorted(code for code in codes if code in known)


def public_group_url(group: Group) -> str:
    return f"{settings.SITE_URL}/directory/groups/{group.organisation.slug}/{group.slug}/"


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _place(group: Group, fallback_sites: dict[Any, Site]) -> dict[str, Any]:
    """The venue's address for a group that meets in person at a public site; otherwise (online,
    by phone) an approximate place: the city of its site or of the organisation's first public site."""
    site = group.site if group.site is not None and group.site.is_public and group.site.is_active else None
    in_person = group.format in (GroupFormat.IN_PERSON, GroupFormat.HYBRID)
    if site is not None and in_person:
        place: dict[str, Any] = {
            "address": ", ".join(p for p in (site.address_line1, site.address_line2) if p),
            "city": site.city,
            "state": site.region,
            "postal_code": site.postcode,
            "country": site.country,
            "approximate": "no",
        }
        if site.latitude is not None and site.longitude is not None:
            place["latitude"] = float(site.latitude)
            place["longitude"] = float(site.longitude)
        return place
    site = site or fallback_sites.get(group.organisation_id)
    if site is None:
        return {"approximate": "yes"}
    place = {"city": site.city, "state": site.region, "country": site.country, "approximate": "yes"}
    if site.latitude is not None and site.longitude is not None:
        # About 10 km: a city, not a building.
        place["latitude"] = round(float(site.latitude), 1)
        place["longitude"] = round(float(site.longitude), 1)
    return place


def _join(group: Group) -> dict[str, str]:
    if group.joining != Joining.DROP_IN or not group.join_details_public:
        return {}
    join: dict[str, str] = {}
    if group.format in (GroupFormat.ONLINE, GroupFormat.HYBRID) and group.online_url.startswith("https://"):
        join["conference_url"] = group.online_url
    if group.format in (GroupFormat.ONLINE, GroupFormat.HYBRID, GroupFormat.PHONE) and group.dial_in:
        join["conference_phone"] = _PHONE_KEEP.sub("", group.dial_in)
    return join


def feed_groups() -> list[Group]:
    """Public, listed groups (meeting or paused) of active organisations, with their schedules."""
    with unscoped("the public Meeting Guide feed spans organisations; it reads public fields only"):
        return list(
            Group.objects.filter(
                is_public=True,
                status__in=[GroupStatus.ACTIVE, GroupStatus.PAUSED],
                organisation__is_active=True,
                program__is_public=True,
                program__is_active=True,
            )
            .select_related("organisation", "site")
            .prefetch_related(Prefetch("schedules", queryset=Schedule.objects.order_by("created_at", "id")))
            .order_by("organisation__slug", "slug")
        )


def _fallback_sites(organisation_ids: Iterable[Any]) -> dict[Any, Site]:
    with unscoped("the approximate place of online groups: public sites of the feed's organisations"):
        sites = Site.objects.filter(organisation__in=set(organisation_ids), is_public=True, is_active=True)
        found: dict[Any, Site] = {}
        for site in sites.order_by("name", "id"):
            found.setdefault(site.organisation_id, site)
        return found


def meeting_guide_entries(today: date | None = None) -> list[dict[str, Any]]:
    """The feed: one entry per weekly day and time of every public weekly group."""
    today = today or timezone.localdate()
    groups = feed_groups()
    fallback = _fallback_sites(g.organisation_id for g in groups)
    entries: list[dict[str, Any]] = []
    used: set[str] = set()
    for group in groups:
        times: list[tuple[Schedule, int]] = []
        for schedule in group.schedules.all():
            if schedule.until is not None and schedule.until < today:
                continue
            days = weekly_days(schedule.rrule)
            if days is None:
                continue
            times.extend((schedule, day) for day in days)
        if not times:
            continue
        base = f"{group.organisation.slug}-{group.slug}"
        common: dict[str, Any] = {
            "name": group.name[:255],
            "timezone": group.timezone,
            **_place(group, fallback),
            **_join(group),
            "types": group_types(group),
            "notes": plain_text(group.description),
            "url": public_group_url(group),
            "entity": group.organisation.name,
        }
        for n, (schedule, day) in enumerate(times, start=1):
            slug = base if n == 1 else f"{base}-{n}"
            while slug in used:  # "a-b" + "c" and "a" + "b-c": keep slugs unique all the same
                slug += "-x"
            used.add(slug)
            start = datetime.combine(today, schedule.start_time)
            end = start + timedelta(minutes=schedule.duration_minutes)
            updated = max(group.updated_at, schedule.updated_at)
            entries.append(
                {
                    **common,
                    "slug": slug,
                    "day": day,
                    "time": f"{start:%H:%M}",
                    "end_time": f"{end:%H:%M}",
                    "updated": _utc_text(updated),
                }
            )
    return entries


@public
@require_GET
def meeting_guide_json(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(meeting_guide_entries(), safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
