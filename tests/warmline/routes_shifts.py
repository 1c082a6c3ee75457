"""Matrix routes of the warm line: shifts (see tests/matrix.py). Each tenant gets one line with a
shift (its peer on it, offering a swap to anyone) and a recurring pattern. The person's calendar
feed takes a signed token, not an id: exempt, tested in tests/warmline/shifts/test_pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django_scopes import scopes_disabled

from alongside.warmline import rota
from alongside.warmline.models import Line, Shift, ShiftAssignment, ShiftPattern, ShiftSwap
from tests.matrix import EXEMPT, Route, register

LINE = "Matrix Shift Line"
START = datetime(2031, 1, 7, 23, tzinfo=UTC)

EXEMPT["warmline:shift_calendar"] = "a signed token, not an id; tested in tests/warmline/shifts/test_pages"


def _line(t: Any) -> Line:
    line = Line.objects.filter(organisation=t.organisation, name=LINE).first()
    return line or Line.objects.create(organisation=t.organisation, name=LINE, slug="matrix-shift-line")


def tenant_shift(t: Any) -> Shift:
    """The tenant's shift, with its peer on it offering a swap to anyone, and a pattern."""
    with scopes_disabled():
        line = _line(t)
        shift = Shift.objects.filter(organisation=t.organisation, line=line, pattern=None).first()
        if shift is not None:
            return shift
        coordinator = t.user("coordinator")
        shift = rota.shift_create(
            acting_user=coordinator,
            line=line,
            starts_at=START,
            ends_at=START + timedelta(hours=4),
            min_peers=1,
            max_peers=3,
        )
        assignment = rota.shift_assign(acting_user=coordinator, shift=shift, user=t.user("peer"))
        rota.swap_request(acting_user=t.user("peer"), assignment=assignment)
        rota.pattern_create(
            acting_user=coordinator,
            line=line,
            rrule="FREQ=WEEKLY;BYDAY=TU",
            start_date=date(2031, 1, 7),
            start_time=time(9, 0),
            duration_minutes=120,
            min_peers=1,
            max_peers=2,
        )
        return shift


def _shift(t: Any) -> dict[str, str]:
    return {"shift_id": str(tenant_shift(t).pk)}


def _pattern(t: Any) -> dict[str, str]:
    tenant_shift(t)
    with scopes_disabled():
        return {"pattern_id": str(ShiftPattern.objects.get(organisation=t.organisation).pk)}


def _assignment(t: Any) -> dict[str, str]:
    shift = tenant_shift(t)
    with scopes_disabled():
        return {"assignment_id": str(ShiftAssignment.objects.filter(shift=shift).first().pk)}  # type: ignore[union-attr]


def _swap(t: Any) -> dict[str, str]:
    shift = tenant_shift(t)
    with scopes_disabled():
        return {"swap_id": str(ShiftSwap.objects.filter(assignment__shift=shift).first().pk)}  # type: ignore[union-attr]


def _secrets(t: Any) -> list[str]:
    tenant_shift(t)
    return [LINE]


for _name in ["shift_rota", "my_shifts", "pattern_list", "swap_list", "pattern_create", "shift_create"]:
    register(Route(f"warmline:{_name}", secrets=_secrets))
register(Route("warmline:shift_status", method="POST", data=lambda t: {"status": "busy"}))

register(Route("warmline:shift_detail", objects=_shift, secrets=_secrets))
register(Route("warmline:shift_signup", method="POST", objects=_shift, secrets=_secrets))
register(
    Route(
        "warmline:shift_assign",
        method="POST",
        objects=_shift,
        secrets=_secrets,
        data=lambda t: {"user": str(t.user("supervisor").pk)},
    )
)
register(Route("warmline:shift_unassign", method="POST", objects=_shift, secrets=_secrets))
register(
    Route(
        "warmline:shift_supervisor",
        method="POST",
        objects=_shift,
        secrets=_secrets,
        data=lambda t: {"supervisor": str(t.user("supervisor").pk)},
    )
)
register(Route("warmline:shift_cancel", method="POST", objects=_shift, secrets=_secrets))
register(Route("warmline:pattern_end", objects=_pattern, secrets=_secrets))
register(
    Route(
        "warmline:pattern_end",
        method="POST",
        objects=_pattern,
        secrets=_secrets,
        data=lambda t: {"last_day": "2031-02-01"},
    )
)
register(Route("warmline:swap_offer", objects=_assignment, secrets=_secrets))
register(
    Route(
        "warmline:swap_offer", method="POST", objects=_assignment, secrets=_secrets, data=lambda t: {"offered_to": ""}
    )
)
for _name in ["swap_accept", "swap_decline", "swap_withdraw", "swap_approve", "swap_refuse"]:
    register(Route(f"warmline:{_name}", method="POST", objects=_swap, secrets=_secrets))
