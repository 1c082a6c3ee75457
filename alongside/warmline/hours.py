"""A line's hours: open now, or when it opens next (owner: the lines part; see docs/warmline.md).

Other parts call ``line_status`` (the chat page, the directory's "open now", phone routing) and
``status_text`` (the words people read).

The rule for clocks changing (the same as ``groups.schedules``): hours are kept in wall-clock time
in the organisation's time zone, so a line open 18:00–22:00 is open 18:00–22:00 local on both sides
of a daylight-saving change (22:00–02:00 UTC in summer, 23:00–03:00 UTC in winter in New York). A
time that does not exist on the day clocks go forward (2:30 am) is read with the offset before the
change, so it falls an hour later (3:30 am); a time that happens twice when clocks go back is the
first one (``fold=0``). An overnight period (20:00–02:00) ends on the next calendar day at 02:00
local, whatever the offset then.

Closures override hours: the open periods are built for the days around ``at`` (one day before to
the horizon), touching periods are joined (a 24-hour line is open throughout), and closures are cut
out of them. Nothing here queries per day: the weekly hours are on the line, and its closures are
one query (none when the caller prefetched ``closures``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alongside.warmline.models import Line, LineClosure

HORIZON = timedelta(days=14)
# Monday = 0, as ``date.weekday()``; the directory's Meeting Guide shape uses Sunday = 0.
WEEKDAYS = range(7)
DAY_NAMES = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)


@dataclass(frozen=True)
class LineStatus:
    is_open: bool
    # When open: when it closes next (None if it stays open past the horizon).
    closes_at: datetime | None = None
    # When closed: when it opens next (None if no opening is scheduled within the horizon).
    opens_at: datetime | None = None
    # When closed for a holiday or a closure: its public reason ("Thanksgiving"), else "".
    reason: str = ""


@dataclass(frozen=True)
class Period:
    """One weekly opening: ``day`` (Monday = 0) from ``opens`` to ``closes``, on the next day when
    ``overnight``."""

    day: int
    opens: time
    closes: time
    overnight: bool = False

    @property
    def start_minute(self) -> int:
        """Minutes from Monday 00:00 (wall clock)."""
        return self.day * 1440 + self.opens.hour * 60 + self.opens.minute

    @property
    def end_minute(self) -> int:
        end = self.day * 1440 + self.closes.hour * 60 + self.closes.minute
        return end + 1440 if self.overnight else end

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "opens": f"{self.opens:%H:%M}",
            "closes": f"{self.closes:%H:%M}",
            "overnight": self.overnight,
        }


def _clock(text: Any) -> time | None:
    try:
        hours, minutes = str(text).split(":")
        return time(int(hours), int(minutes))
    except (TypeError, ValueError):
        return None


def periods(line: Line) -> list[Period]:
    """The line's weekly hours as periods (entries that cannot be read are skipped)."""
    found = []
    for entry in line.hours or []:
        if not isinstance(entry, dict):
            continue
        day, opens, closes = entry.get("day"), _clock(entry.get("opens")), _clock(entry.get("closes"))
        if not isinstance(day, int) or day not in WEEKDAYS or opens is None or closes is None:
            continue
        found.append(Period(day, opens, closes, bool(entry.get("overnight"))))
    found.sort(key=lambda p: (p.day, p.opens))
    return found


def localise(naive: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time in ``zone`` → an aware UTC instant (see the module notes for DST)."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


Interval = tuple[datetime, datetime]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    result = []
    for start, end in intervals:
        pieces = [(start, end)]
        for hole_start, hole_end in holes:
            next_pieces = []
            for s, e in pieces:
                if hole_end <= s or hole_start >= e:
                    next_pieces.append((s, e))
                    continue
                if s < hole_start:
                    next_pieces.append((s, hole_start))
                if hole_end < e:
                    next_pieces.append((hole_end, e))
            pieces = next_pieces
        result.extend(pieces)
    return result


def closure_interval(closure: LineClosure, zone: ZoneInfo) -> Interval:
    if closure.all_day or closure.start_time is None or closure.end_time is None:
        return (
            localise(datetime.combine(closure.starts_on, time()), zone),
            localise(datetime.combine(closure.ends_on + timedelta(days=1), time()), zone),
        )
    return (
        localise(datetime.combine(closure.starts_on, closure.start_time), zone),
        localise(datetime.combine(closure.ends_on, closure.end_time), zone),
    )


def _closures(line: Line, first_day: date) -> list[LineClosure]:
    cache = getattr(line, "_prefetched_objects_cache", {})
    if "closures" in cache:
        return [c for c in cache["closures"] if c.ends_on >= first_day]
    return list(LineClosure.objects.filter(organisation=line.organisation_id, line=line, ends_on__gte=first_day))


def open_intervals(
    line: Line, start: datetime, end: datetime, *, zone: ZoneInfo, closures: Sequence[LineClosure] | None = None
) -> tuple[list[Interval], list[tuple[Interval, str]]]:
    """The line's open intervals touching [start, end) (UTC, joined, closures cut out) and the
    closures in that span with their reasons."""
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    weekly = periods(line)
    raw: list[Interval] = []
    day = first
    while day <= last:
        for period in weekly:
            if period.day != day.weekday():
                continue
            raw.append(
                (
                    localise(datetime.combine(day, period.opens), zone),
                    localise(datetime.combine(day + timedelta(days=1 if period.overnight else 0), period.closes), zone),
                )
            )
        day += timedelta(days=1)
    if closures is None:
        closures = _closures(line, first - timedelta(days=1))
    shut = [(closure_interval(c, zone), c.reason) for c in closures]
    shut = [(span, reason) for span, reason in shut if span[1] > start - timedelta(days=1) and span[0] < end]
    return _subtract(_merge(raw), [span for span, _reason in shut]), shut


def line_status(
    line: Line, at: datetime, *, zone: ZoneInfo | None = None, closures: Sequence[LineClosure] | None = None
) -> LineStatus:
    """Whether ``line`` is open at ``at`` (aware), from its weekly hours in the organisation's time
    zone, minus its holidays and closures. ``zone`` and ``closures`` save the queries when the
    caller has them (or prefetch ``closures`` and select ``organisation``). A line out of service
    is closed, with no opening."""
    if not line.is_active:
        return LineStatus(False)
    if zone is None:
        zone = ZoneInfo(line.organisation.timezone)
    at = at.astimezone(UTC)
    horizon = at + HORIZON
    intervals, shut = open_intervals(line, at, horizon, zone=zone, closures=closures)
    reason = next((reason for (s, e), reason in shut if s <= at < e), "")
    for start, end in intervals:
        if start <= at < end:
            return LineStatus(True, closes_at=end if end <= horizon else None)
        if at < start <= horizon:
            return LineStatus(False, opens_at=start, reason=reason)
    return LineStatus(False, reason=reason)


# --- Words -----------------------------------------------------------------------------------------


def _time_words(moment: datetime) -> str:
    return formats.time_format(moment.time())


def _opening_words(opens_at: datetime, now: datetime) -> str:
    """ "opens today at 6 p.m.", "opens Tuesday at 6 p.m.", lower case (the caller capitalises)."""
    day = opens_at.date()
    today = now.date()
    clock = _time_words(opens_at)
    if day == today:
        return _("opens today at %(time)s") % {"time": clock}
    if day == today + timedelta(days=1):
        return _("opens tomorrow at %(time)s") % {"time": clock}
    if day < today + timedelta(days=7):
        return _("opens %(weekday)s at %(time)s") % {"weekday": formats.date_format(day, "l"), "time": clock}
    return _("opens on %(date)s at %(time)s") % {"date": formats.date_format(day, "l j F"), "time": clock}


def status_text(status: LineStatus, organisation_tz: str | ZoneInfo, now: datetime) -> str:
    """The status in words, in the organisation's time zone and the reader's language:
    "Open now until 10 p.m.", "Opens Tuesday at 6 p.m.", "Opens today at 6 p.m.",
    "Closed for Thanksgiving — opens Friday at 9 a.m."."""
    zone = organisation_tz if isinstance(organisation_tz, ZoneInfo) else ZoneInfo(organisation_tz)
    local_now = now.astimezone(zone)
    if status.is_open:
        if status.closes_at is None:
            return _("Open now")
        closes = status.closes_at.astimezone(zone)
        if closes - local_now < timedelta(hours=20):
            return _("Open now until %(time)s") % {"time": _time_words(closes)}
        return _("Open now until %(weekday)s at %(time)s") % {
            "weekday": formats.date_format(closes.date(), "l"),
            "time": _time_words(closes),
        }
    if status.opens_at is None:
        if status.reason:
            return _("Closed for %(reason)s") % {"reason": status.reason}
        return _("Closed now, with no opening in the next two weeks")
    opening = _opening_words(status.opens_at.astimezone(zone), local_now)
    if status.reason:
        return _("Closed for %(reason)s — %(opening)s") % {"reason": status.reason, "opening": opening}
    return str(capfirst(opening))


def line_status_text(line: Line, now: datetime, *, closures: Sequence[LineClosure] | None = None) -> str:
    """``status_text(line_status(line, now), ...)`` in one call."""
    zone = ZoneInfo(line.organisation.timezone)
    return status_text(line_status(line, now, zone=zone, closures=closures), zone, now)


def weekly_table(line: Line) -> list[tuple[str, list[Period]]]:
    """Monday to Sunday by name, each with its periods (empty: closed that day)."""
    by_day: dict[int, list[Period]] = {day: [] for day in WEEKDAYS}
    for period in periods(line):
        by_day[period.day].append(period)
    return [(str(DAY_NAMES[day]), found) for day, found in by_day.items()]


def upcoming_closures(line: Line, today: date, *, limit: int = 10) -> list[LineClosure]:
    return list(
        LineClosure.objects.filter(organisation=line.organisation_id, line=line, ends_on__gte=today).order_by(
            "starts_on", "start_time"
        )[:limit]
    )
