"""Set-up for the warm-line lines tests."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django_scopes import scopes_disabled

from alongside.warmline.models import Line, LineClosure

NY = "America/New_York"


def span(day: int, opens: str, closes: str, *, overnight: bool = False) -> dict[str, Any]:
    return {"day": day, "opens": opens, "closes": closes, "overnight": overnight}


def evenings(opens: str = "18:00", closes: str = "22:00") -> list[dict[str, Any]]:
    """Every day of the week, the same hours."""
    return [span(day, opens, closes) for day in range(7)]


def always() -> list[dict[str, Any]]:
    return [span(day, "00:00", "00:00", overnight=True) for day in range(7)]


def make_line(tenant: Any, name: str = "Evening Line", **fields: Any) -> Line:
    """A line straight in the database (tests of services use the services)."""
    defaults: dict[str, Any] = {
        "slug": name.lower().replace(" ", "-"),
        "phone_numbers": [{"label": "Call or text", "number": "+12075550100", "public": True}],
        "languages": ["en"],
        "hours": evenings(),
        "description": "Someone to talk to in the evening",
    }
    defaults.update(fields)
    with scopes_disabled():
        return Line.objects.create(organisation=tenant.organisation, name=name, **defaults)


def make_closure(
    line: Line,
    starts_on: date,
    ends_on: date | None = None,
    reason: str = "Thanksgiving",
    *,
    start_time: time | None = None,
    end_time: time | None = None,
) -> LineClosure:
    with scopes_disabled():
        return LineClosure.objects.create(
            organisation=line.organisation,
            line=line,
            starts_on=starts_on,
            ends_on=ends_on or starts_on,
            all_day=start_time is None,
            start_time=start_time,
            end_time=end_time,
            reason=reason,
        )
