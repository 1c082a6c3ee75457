"""Recurring sessions: RFC 5545 rules expanded in the group's time zone (python-dateutil), merged
with the session rows that move, cancel or add a session.

A rule is kept in wall-clock time: "Tuesdays at 6 pm" in America/New_York is 22:00 UTC in summer
and 23:00 UTC in winter. A time that does not exist on the day clocks go forward (2:30 am) is
read as the instant it would have been with the old offset (so it moves an hour later); a time that
happens twice when clocks go back is the first one (``fold=0``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule as du_rrule
from django.utils.translation import gettext as _

from alongside.groups.models import Group, Schedule, Session, SessionStatus

# The subset of RFC 5545 a group schedule may use (everything a weekly, every-other-week or
# monthly-by-weekday group needs; an end date is the schedule's ``until``).
ALLOWED_PARTS = {"FREQ", "INTERVAL", "BYDAY", "WKST"}
ALLOWED_FREQ = {"WEEKLY", "MONTHLY"}
MAX_INTERVAL = 4
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class RuleError(ValueError):
    """A rule outside the supported subset, with a message a person can act on."""


def check_rule(text: str) -> str:
    """The rule in a canonical form (upper case, parts in a fixed order), or RuleError."""
    raw = (text or "").strip().upper()
    if raw.startswith("RRULE:"):
        raw = raw[len("RRULE:") :]
    if not raw:
        raise RuleError(_("Say how often the group meets."))
    parts: dict[str, str] = {}
    for item in raw.split(";"):
        key, sep, value = item.partition("=")
        if not sep or not value or key in parts:
            raise RuleError(_("The repeat rule could not be read."))
        if key not in ALLOWED_PARTS:
            raise RuleError(_("Only weekly, every few weeks, or monthly on a weekday are supported."))
        parts[key] = value
    freq = parts.get("FREQ")
    if freq not in ALLOWED_FREQ:
        raise RuleError(_("Only weekly, every few weeks, or monthly on a weekday are supported."))
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= MAX_INTERVAL:
        raise RuleError(_("Repeat every 1 to %(max)d weeks or months.") % {"max": MAX_INTERVAL})
    days = parts.get("BYDAY", "")
    if not days:
        raise RuleError(_("Choose the day of the week."))
    for day in days.split(","):
        ordinal, weekday = day[:-2], day[-2:]
        if weekday not in WEEKDAYS:
            raise RuleError(_("Choose the day of the week."))
        if ordinal:
            if freq != "MONTHLY" or ordinal not in {"1", "2", "3", "4", "-1", "+1", "+2", "+3", "+4"}:
                raise RuleError(_("A monthly group meets on the first, second, third, fourth or last weekday."))
        elif freq == "MONTHLY":
            raise RuleError(_("Say which week of the month (first, second, third, fourth or last)."))
    canonical = [f"FREQ={freq}"]
    if interval != "1":
        canonical.append(f"INTERVAL={int(interval)}")
    canonical.append(f"BYDAY={days}")
    if "WKST" in parts:
        if parts["WKST"] not in WEEKDAYS:
            raise RuleError(_("The repeat rule could not be read."))
        canonical.append(f"WKST={parts['WKST']}")
    return ";".join(canonical)


def localise(naive: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time in ``zone`` → an aware UTC instant (see the module notes for DST gaps)."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def rule_starts(
    rule: str,
    start_date: date,
    start_time: time,
    zone: ZoneInfo,
    *,
    until: date | None,
    window: tuple[datetime, datetime],
) -> list[datetime]:
    """Every start of the rule inside ``window`` (UTC instants, start inclusive, end exclusive)."""
    lo, hi = window
    first = datetime.combine(start_date, start_time)
    # Expand in naive wall-clock time, a day of slack either side for the offset.
    lo_local = lo.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    hi_local = hi.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    last_local = datetime.combine(until, time(23, 59, 59)) if until else None
    if last_local is not None and last_local < hi_local:
        hi_local = last_local
    if hi_local < first:
        return []
    recurrence = du_rrule.rrulestr(rule, dtstart=first)
    starts = []
    for naive in recurrence.between(max(first, lo_local), hi_local, inc=True):
        moment = localise(naive, zone)
        if lo <= moment < hi:
            starts.append(moment)
    return starts


@dataclass(frozen=True)
class Occurrence:
    """One session as people see it: from a schedule (``original_start`` is its identity) or a
    one-off; ``session`` is its row when one exists (moved, cancelled, attendance taken)."""

    group: Group
    starts_at: datetime
    ends_at: datetime
    status: str
    schedule_id: Any = None
    original_start: datetime | None = None
    session: Session | None = None

    @property
    def cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def key(self) -> str:
        """A stable id for the occurrence in URLs: the session's id when it has a row, else
        ``<schedule id>_<original start as UTC YYYYmmddTHHMMSSZ>``."""
        if self.session is not None:
            return str(self.session.pk)
        assert self.original_start is not None
        return f"{self.schedule_id}_{self.original_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def occurrences(
    group: Group,
    start: datetime,
    end: datetime,
    *,
    schedules: Sequence[Schedule] | None = None,
    sessions: Iterable[Session] | None = None,
    include_cancelled: bool = True,
) -> list[Occurrence]:
    """The group's sessions that start in [start, end), in order: schedule occurrences with their
    rows applied (moved ones at their new time, cancelled ones marked), plus one-offs. Pass
    ``schedules`` and ``sessions`` (prefetched) to make it cost no query."""
    zone = ZoneInfo(group.timezone)
    if schedules is None:
        schedules = list(Schedule.objects.filter(organisation=group.organisation_id, group=group))
    if sessions is None:
        # Rows that could matter: moved out of or into the window (a week of slack either way).
        sessions = Session.objects.filter(
            organisation=group.organisation_id,
            group=group,
            starts_at__lt=end + timedelta(days=366),
            starts_at__gte=start - timedelta(days=366),
        )
    rows = list(sessions)
    by_occurrence = {(r.schedule_id, r.original_start): r for r in rows if r.schedule_id is not None}
    result: list[Occurrence] = []
    for schedule in schedules:
        length = timedelta(minutes=schedule.duration_minutes)
        for moment in rule_starts(
            schedule.rrule, schedule.start_date, schedule.start_time, zone, until=schedule.until, window=(start, end)
        ):
            row = by_occurrence.get((schedule.pk, moment))
            if row is not None:
                continue  # its row (below) says where and whether it happens
            result.append(
                Occurrence(group, moment, moment + length, SessionStatus.SCHEDULED, schedule.pk, moment, None)
            )
    for row in rows:
        if start <= row.starts_at < end:
            result.append(
                Occurrence(group, row.starts_at, row.ends_at, row.status, row.schedule_id, row.original_start, row)
            )
    if not include_cancelled:
        result = [o for o in result if not o.cancelled]
    result.sort(key=lambda o: (o.starts_at, o.key))
    return result


def next_occurrence(group: Group, now: datetime, *, horizon_days: int = 120) -> Occurrence | None:
    """The next session that has not ended and is not cancelled (None if none within the horizon)."""
    found = occurrences(group, now - timedelta(hours=12), now + timedelta(days=horizon_days), include_cancelled=False)
    for occurrence in found:
        if occurrence.ends_at > now:
            return occurrence
    return None
