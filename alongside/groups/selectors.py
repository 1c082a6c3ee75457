"""Reads about groups for staff pages: the list (filtered; the same number of queries however many
groups), one group with its next sessions, a facilitator's own groups, and schedules in plain
words ("Every other Thursday, 6:00–7:30 pm (America/New_York)")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alongside.accounts.access import OrgContext
from alongside.accounts.models import User
from alongside.groups.access import facilitated_by, visible_groups
from alongside.groups.forms import WEEKDAY_CHOICES, split_rule
from alongside.groups.models import Group, GroupAgreement, GroupStatus, Schedule, Session
from alongside.groups.schedules import Occurrence, occurrences
from alongside.groups.vocab import GroupFormat

NEXT_SESSIONS = 8
HORIZON_DAYS = 400


@dataclass
class GroupFilters:
    program: str = ""
    status: str = ""
    format: str = ""

    @classmethod
    def from_query(cls, query: Any) -> GroupFilters:
        return cls(
            program=str(query.get("program", ""))[:40],
            status=str(query.get("status", ""))[:12],
            format=str(query.get("format", ""))[:12],
        )


def group_list(org: OrgContext, filters: GroupFilters) -> list[Group]:
    """The groups this person sees, filtered: program (id), status, format. Three queries."""
    groups: QuerySet[Group] = visible_groups(org)
    if filters.program:
        try:
            groups = groups.filter(program_id=UUID(filters.program))
        except ValueError:  # a malformed id filters to nothing
            groups = groups.none()
    if filters.status in GroupStatus.values:
        groups = groups.filter(status=filters.status)
    if filters.format in GroupFormat.values:
        groups = groups.filter(format=filters.format)
    return list(
        groups.select_related("program", "site", "facilitator").prefetch_related(
            Prefetch("schedules", queryset=Schedule.objects.order_by("start_date", "pk"))
        )
    )


def my_groups(organisation: Any, user: User) -> list[Group]:
    """The groups ``user`` facilitates or co-facilitates (not those that ended)."""
    return list(
        Group.objects.filter(facilitated_by(user), organisation=organisation)
        .exclude(status=GroupStatus.ENDED)
        .distinct()
        .select_related("program", "site")
        .order_by("name", "pk")
    )


@dataclass
class GroupDetail:
    group: Group
    schedules: list[Schedule]
    next_sessions: list[Occurrence]
    agreements: list[GroupAgreement]
    co_facilitators: list[User]


def group_detail(group: Group, *, now: datetime | None = None) -> GroupDetail:
    """The group with its schedules, its next sessions (cancelled ones included, marked), its
    agreement versions (newest first) and co-facilitators."""
    now = now or timezone.now()
    schedules = list(Schedule.objects.filter(organisation=group.organisation_id, group=group).order_by("start_date"))
    rows = list(
        Session.objects.filter(
            organisation=group.organisation_id,
            group=group,
            starts_at__gte=now - timedelta(days=HORIZON_DAYS),
            starts_at__lt=now + timedelta(days=2 * HORIZON_DAYS),
        )
    )
    upcoming = [
        o
        for o in occurrences(
            group, now - timedelta(hours=12), now + timedelta(days=HORIZON_DAYS), schedules=schedules, sessions=rows
        )
        if o.ends_at > now
    ][:NEXT_SESSIONS]
    agreements = list(
        GroupAgreement.objects.filter(organisation=group.organisation_id, group=group).order_by("-version")
    )
    co = list(group.co_facilitators.order_by("full_name", "email"))
    return GroupDetail(group, schedules, upcoming, agreements, co)


# --- Plain words --------------------------------------------------------------------------------

ORDINALS = {
    "1": gettext_lazy("first"),
    "2": gettext_lazy("second"),
    "3": gettext_lazy("third"),
    "4": gettext_lazy("fourth"),
    "-1": gettext_lazy("last"),
}


def _weekday(code: str) -> str:
    return str(dict(WEEKDAY_CHOICES).get(code, code))


def rule_words(rule: str) -> str:
    """ "Every Tuesday", "Every other Thursday", "On the last Friday of each month"."""
    split = split_rule(rule)
    if split is None:
        return rule
    pattern, weekday = split
    day = _weekday(weekday)
    if pattern == "weekly":
        return _("Every %(day)s") % {"day": day}
    if pattern == "biweekly":
        return _("Every other %(day)s") % {"day": day}
    ordinal = ORDINALS[pattern.removeprefix("monthly_")]
    return _("On the %(ordinal)s %(day)s of each month") % {"ordinal": ordinal, "day": day}


def schedule_words(schedule: Schedule, zone: str) -> str:
    """ "Every other Thursday, 6:00–7:30 p.m. (America/New_York)"."""
    start = datetime.combine(schedule.start_date, schedule.start_time)
    end = start + timedelta(minutes=schedule.duration_minutes)
    return _("%(rule)s, %(start)s–%(end)s (%(zone)s)") % {
        "rule": rule_words(schedule.rrule),
        "start": time_format(start.time(), "P"),
        "end": time_format(end.time(), "P"),
        "zone": zone,
    }


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))
