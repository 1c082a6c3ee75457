"""Shifts in the demo: on each of the organisation's lines (made by the lines demo, read from the
database), an evening shift every day as a recurring pattern, and a week of it around ``now`` with
the demo organisation's peers on it, a supervisor on duty on most shifts, one coverage gap (one
peer and no supervisor) and one open swap offer.

Every write goes through ``warmline/rota.py`` (with its audit rows). Idempotent: an organisation
that already has shift patterns is left as it is. ``warmline.demo.load_warmline_demo`` runs it after
the lines demo.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from alongside.accounts.models import Membership, Organisation, Role, User
from alongside.core.tenancy import tenant_scope
from alongside.groups.schedules import localise
from alongside.warmline import rota
from alongside.warmline.models import Line, ShiftPattern

DAYS_BEFORE = 3
DAYS_AFTER = 4
MAX_LINES = 2


def _acting(organisation: Organisation) -> User | None:
    for role in (Role.COORDINATOR, Role.ADMIN):
        member = (
            Membership.objects.filter(organisation=organisation, role=role, is_active=True)
            .select_related("user")
            .order_by("created_at")
            .first()
        )
        if member is not None:
            return member.user
    return None


@transaction.atomic
def demo_shifts(organisation: Organisation, *, now: datetime) -> dict[str, Any]:
    """Make the demo's shifts; returns counts (all zero when there was nothing to do)."""
    made = {"patterns": 0, "shifts": 0, "assignments": 0, "swaps": 0}
    with tenant_scope(organisation):
        lines = list(Line.objects.filter(organisation=organisation, is_active=True).order_by("name")[:MAX_LINES])
        coordinator = _acting(organisation)
        if not lines or coordinator is None or ShiftPattern.objects.filter(organisation=organisation).exists():
            return made
        supervisors = set(rota.supervisor_people(organisation).values_list("pk", flat=True))
        peers = [u for u in rota.shift_people(organisation) if u.pk not in supervisors]
        bosses = list(rota.supervisor_people(organisation).filter(memberships__role=Role.SUPERVISOR).distinct())
        bosses = bosses or list(rota.supervisor_people(organisation))
        if not peers:
            return made
        zone = ZoneInfo(organisation.timezone)
        first_day = now.astimezone(zone).date() - timedelta(days=DAYS_BEFORE)
        start = localise(datetime.combine(first_day, time(0, 0)), zone)
        end = start + timedelta(days=DAYS_BEFORE + DAYS_AFTER + 1)
        for line in lines:
            rota.pattern_create(
                acting_user=coordinator,
                line=line,
                rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
                start_date=first_day,
                start_time=time(18, 0),
                duration_minutes=240,
                min_peers=2,
                max_peers=3,
                now=now,
            )
            made["patterns"] += 1
        rota.shifts_materialise(acting_user=coordinator, organisation=organisation, start=start, end=end)
        covers = rota.coverage(organisation, start, end)
        made["shifts"] = len(covers)
        future = [c for c in covers if c.shift.starts_at > now]
        gap = future[1] if len(future) > 1 else (covers[-1] if covers else None)
        swap_cover = future[-1] if future else None
        for index, cover in enumerate(covers):
            shift = cover.shift
            team = [peers[(index + k) % len(peers)] for k in range(1 if cover is gap else min(2, len(peers)))]
            for person in dict.fromkeys(team):
                # The week's earlier shifts are filled as they would have been the day before.
                assignment = rota.shift_assign(
                    acting_user=coordinator, shift=shift, user=person, now=shift.starts_at - timedelta(days=1)
                )
                made["assignments"] += 1
                if cover is swap_cover and made["swaps"] == 0:
                    rota.swap_request(acting_user=person, assignment=assignment)
                    made["swaps"] += 1
            if cover is not gap and bosses:
                rota.supervisor_set(acting_user=coordinator, shift=shift, supervisor=bosses[index % len(bosses)])
    return made
