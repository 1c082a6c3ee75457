"""iCalendar feeds (RFC 5545) of group sessions.

- A public feed per public group: each schedule is one recurring VEVENT (``DTSTART;TZID=`` with
  the IANA zone name and an RRULE), cancelled sessions are EXDATEs, moved sessions are overrides
  (``RECURRENCE-ID``), one-off sessions are their own events. Only public (P1) words: the group's
  name and description, the venue's public address, how to join when that is public. Never who
  registered or attended.
- A private feed per facilitator: every session of the groups they facilitate or co-facilitate,
  with how to join. Its address carries a signed token (``facilitator_token``): no expiry; it
  stops working when the person's password changes, when their account or their facilitator role
  ends, or when the server's secret key changes (docs/groups.md).

Each zone used has its VTIMEZONE, built from the zone's own transitions (zoneinfo).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch
from django.utils import timezone

from alongside.accounts.feeds import feed_token, member_from_feed_token
from alongside.accounts.models import User
from alongside.core.ics import ics_domain, ics_escape, ics_lines, ics_time
from alongside.groups.access import facilitated_by
from alongside.groups.models import Group, GroupStatus, Schedule, Session, SessionStatus
from alongside.groups.schedules import localise
from alongside.groups.vocab import GroupFormat, Joining

PRODID = "-//Alongside//Peer support groups//EN"
TOKEN_SALT = "alongside.groups.facilitator-calendar"  # noqa: S105 (a signing salt, not a secret)
FACILITATOR_ROLES = ("peer", "coordinator", "supervisor", "admin")


# --- Time zones ------------------------------------------------------------------------------


def _offset(seconds: float) -> str:
    total = int(seconds)
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 3600:02d}{(total % 3600) // 60:02d}"


@functools.lru_cache(maxsize=64)
def _transitions(zone_name: str, first_year: int, last_year: int) -> tuple[tuple[datetime, int, int, str], ...]:
    """Every change of offset in [first_year, last_year]: (UTC instant, offset before, after, name)."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(days=1)
    previous = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + step
        after = following.astimezone(zone).utcoffset()
        if after != previous:
            lo, hi = moment, following  # the change is in (lo, hi]: bisect to the second
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == previous:
                    lo = mid
                else:
                    hi = mid
            assert previous is not None and after is not None
            instant = hi.replace(microsecond=0)
            name = instant.astimezone(zone).tzname() or zone_name
            found.append((instant, int(previous.total_seconds()), int(after.total_seconds()), name))
            previous = after
        moment = following
    return tuple(found)


def vtimezone(zone_name: str, first_year: int, last_year: int) -> list[str]:
    """A VTIMEZONE for the zone between those years: one STANDARD or DAYLIGHT part per change of
    offset (or one fixed STANDARD part for a zone without changes)."""
    zone = ZoneInfo(zone_name)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone_name}"]
    changes = _transitions(zone_name, first_year, last_year)
    if not changes:
        at = datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone)
        offset = _offset(at.utcoffset().total_seconds())  # type: ignore[union-attr]
        lines += [
            "BEGIN:STANDARD",
            f"DTSTART:{first_year:04d}0101T000000",
            f"TZOFFSETFROM:{offset}",
            f"TZOFFSETTO:{offset}",
            f"TZNAME:{ics_escape(at.tzname() or zone_name)}",
            "END:STANDARD",
        ]
    for instant, before, after, name in changes:
        kind = "DAYLIGHT" if (instant.astimezone(zone).dst() or timedelta(0)) > timedelta(0) else "STANDARD"
        local_before = (instant + timedelta(seconds=before)).replace(tzinfo=None)
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{local_before:%Y%m%dT%H%M%S}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(after)}",
            f"TZNAME:{ics_escape(name)}",
            f"END:{kind}",
        ]
    lines.append("END:VTIMEZONE")
    return lines


def _local(moment: datetime, zone_name: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone_name)):%Y%m%dT%H%M%S}"


# --- Events ----------------------------------------------------------------------------------


def _location(group: Group) -> str:
    site = group.site
    if site is None or not site.is_public or group.format not in (GroupFormat.IN_PERSON, GroupFormat.HYBRID):
        return ""
    parts = [site.name, site.address_line1, site.address_line2, site.city, site.region, site.postcode]
    return ", ".join(p for p in parts if p)


def _join_words(group: Group, *, private: bool) -> list[str]:
    public_join = group.joining == Joining.DROP_IN and group.join_details_public
    words = []
    if group.online_url and (private or public_join):
        words.append(group.online_url)
    if group.dial_in and (private or public_join):
        words.append(group.dial_in)
    return words


def _description(group: Group, *, private: bool) -> str:
    parts = [group.description] if group.description else []
    parts += _join_words(group, private=private)
    return "\n\n".join(parts)


def _common(group: Group, *, private: bool) -> list[str]:
    lines = ["SUMMARY:" + ics_escape(group.name)]
    description = _description(group, private=private)
    if description:
        lines.append("DESCRIPTION:" + ics_escape(description))
    location = _location(group)
    if location:
        lines.append("LOCATION:" + ics_escape(location))
    return lines


def _schedule_events(
    group: Group, schedule: Schedule, rows: Sequence[Session], stamp: str, domain: str, *, private: bool
) -> list[str]:
    zone = group.timezone
    first = localise(datetime.combine(schedule.start_date, schedule.start_time), ZoneInfo(zone))
    uid = f"UID:group-schedule-{schedule.pk}@{domain}"
    rule = schedule.rrule
    if schedule.until is not None:
        last = localise(datetime.combine(schedule.until, time(23, 59, 59)), ZoneInfo(zone))
        rule += f";UNTIL={ics_time(last)}"
    lines = [
        "BEGIN:VEVENT",
        uid,
        f"DTSTAMP:{stamp}",
        f"DTSTART;TZID={zone}:{_local(first, zone)}",
        f"DURATION:PT{schedule.duration_minutes}M",
        f"RRULE:{rule}",
    ]
    own = [r for r in rows if r.schedule_id == schedule.pk and r.original_start is not None]
    cancelled = sorted(r.original_start for r in own if r.status == SessionStatus.CANCELLED and r.original_start)
    if cancelled:
        lines.append(f"EXDATE;TZID={zone}:" + ",".join(_local(moment, zone) for moment in cancelled))
    lines += _common(group, private=private)
    lines.append("END:VEVENT")
    for row in own:
        assert row.original_start is not None
        moved = row.starts_at != row.original_start or row.ends_at - row.starts_at != timedelta(
            minutes=schedule.duration_minutes
        )
        if row.status == SessionStatus.CANCELLED or not moved:
            continue
        lines += [
            "BEGIN:VEVENT",
            uid,
            f"DTSTAMP:{stamp}",
            f"RECURRENCE-ID;TZID={zone}:{_local(row.original_start, zone)}",
            f"DTSTART;TZID={zone}:{_local(row.starts_at, zone)}",
            f"DTEND;TZID={zone}:{_local(row.ends_at, zone)}",
            *_common(group, private=private),
        ]
        if row.change_note:
            lines.append("COMMENT:" + ics_escape(row.change_note))
        lines.append("END:VEVENT")
    return lines


def _one_off_events(group: Group, rows: Sequence[Session], stamp: str, domain: str, *, private: bool) -> list[str]:
    zone = group.timezone
    lines: list[str] = []
    for row in rows:
        if row.schedule_id is not None:
            continue
        lines += [
            "BEGIN:VEVENT",
            f"UID:group-session-{row.pk}@{domain}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;TZID={zone}:{_local(row.starts_at, zone)}",
            f"DTEND;TZID={zone}:{_local(row.ends_at, zone)}",
            *_common(group, private=private),
            "STATUS:CANCELLED" if row.status == SessionStatus.CANCELLED else "STATUS:CONFIRMED",
        ]
        if row.change_note:
            lines.append("COMMENT:" + ics_escape(row.change_note))
        lines.append("END:VEVENT")
    return lines


def _years(groups: Iterable[Group], now: datetime) -> tuple[int, int]:
    first = now.year - 1
    for group in groups:
        for schedule in group.schedules.all():
            first = min(first, schedule.start_date.year)
        for row in group.sessions.all():
            first = min(first, row.starts_at.year)
    return first, now.year + 5


def calendar(groups: Sequence[Group], *, name: str, private: bool, now: datetime | None = None) -> str:
    """The calendar of these groups (prefetched ``schedules`` and ``sessions``)."""
    now = now or timezone.now()
    stamp = ics_time(now)
    domain = ics_domain()
    first_year, last_year = _years(groups, now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + ics_escape(name),
    ]
    for zone in sorted({g.timezone for g in groups}):
        lines += vtimezone(zone, first_year, last_year)
    for group in groups:
        rows = list(group.sessions.all())
        for schedule in group.schedules.all():
            lines += _schedule_events(group, schedule, rows, stamp, domain, private=private)
        lines += _one_off_events(group, rows, stamp, domain, private=private)
    lines.append("END:VCALENDAR")
    return ics_lines(lines)


def _prefetched(groups: Any) -> list[Group]:
    return list(
        groups.select_related("site").prefetch_related(
            Prefetch("schedules", queryset=Schedule.objects.order_by("start_date", "pk")),
            Prefetch("sessions", queryset=Session.objects.order_by("starts_at", "pk")),
        )
    )


def public_group_calendar(group: Group, *, now: datetime | None = None) -> str:
    """The public feed of one public, meeting group (the caller checks it is public)."""
    groups = _prefetched(Group.objects.filter(organisation=group.organisation_id, pk=group.pk))
    return calendar(groups, name=group.name, private=False, now=now)


def facilitator_groups(user: User, organisation: Any) -> list[Group]:
    """The meeting or paused groups ``user`` facilitates in ``organisation``, with their rows."""
    groups = (
        Group.objects.filter(facilitated_by(user), organisation=organisation)
        .exclude(status=GroupStatus.ENDED)
        .distinct()
        .order_by("name", "pk")
    )
    return _prefetched(groups)


# --- The facilitator's private address --------------------------------------------------------


def facilitator_token(user: User, organisation: Any) -> str:
    """The secret in the facilitator's feed address (``accounts.feeds``)."""
    return feed_token(user, organisation, salt=TOKEN_SALT)


def facilitator_from_token(token: str) -> tuple[User, Any] | None:
    """(user, organisation) for a valid token of an active member, else None."""
    return member_from_feed_token(token, salt=TOKEN_SALT, roles=FACILITATOR_ROLES)
