"""Counts for reporting (docs/groups.md, "Counts"): for a group and a date range (days in the
group's time zone, both ends included) — sessions held (attendance taken, not cancelled), total
attendance (registered people marked present plus the drop-in headcounts), unique attendees and
returning attendees (present at two or more of those sessions). Two queries, whatever the size.

A person is counted once however they came: by their participant record when staff registered
them, otherwise by their registration. Drop-ins are anonymous: they add to the attendance only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from alongside.groups.models import Attendance, Group, Session, SessionStatus


@dataclass(frozen=True)
class GroupCounts:
    sessions_held: int
    attendance: int
    registered_present: int
    dropin: int
    unique_attendees: int
    returning_attendees: int


def window(group: Group, start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(group.timezone)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def group_counts(group: Group, start: date, end: date) -> GroupCounts:
    lo, hi = window(group, start, end)
    held = Q(
        organisation=group.organisation_id,
        group=group,
        attendance_taken_at__isnull=False,
        starts_at__gte=lo,
        starts_at__lt=hi,
    ) & ~Q(status=SessionStatus.CANCELLED)
    totals = Session.objects.filter(held).aggregate(n=Count("pk"), dropin=Coalesce(Sum("dropin_headcount"), 0))
    per_person = list(
        Attendance.objects.filter(
            organisation=group.organisation_id,
            present=True,
            session__in=Session.objects.filter(held).values("pk"),
        )
        .annotate(person=Coalesce("participant_id", "registration_id"))
        .values("person")
        .annotate(times=Count("session_id", distinct=True))
        .values_list("times", flat=True)
    )
    present = sum(per_person)
    return GroupCounts(
        sessions_held=int(totals["n"]),
        attendance=present + int(totals["dropin"]),
        registered_present=present,
        dropin=int(totals["dropin"]),
        unique_attendees=len(per_person),
        returning_attendees=sum(1 for times in per_person if times >= 2),
    )
