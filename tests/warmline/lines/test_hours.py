"""Open now and next opening: wall-clock hours in the organisation's zone, across clock changes,
overnight periods, 24 hours, closures, and the 14-day horizon. Pure: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from alongside.warmline.hours import LineStatus, line_status, status_text
from alongside.warmline.models import Line, LineClosure
from tests.warmline.lines.helpers import always, evenings, span

ZONE = ZoneInfo("America/New_York")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)  # type: ignore[misc]


def status(hours: list[dict[str, Any]], at: datetime, closures: list[LineClosure] | None = None) -> LineStatus:
    return line_status(Line(hours=hours), at, zone=ZONE, closures=closures or [])


def closure(starts_on: date, ends_on: date | None = None, reason: str = "Thanksgiving", **kw: Any) -> LineClosure:
    return LineClosure(
        starts_on=starts_on, ends_on=ends_on or starts_on, reason=reason, all_day="start_time" not in kw, **kw
    )


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def test_open_inside_hours_and_closes_at_the_local_end() -> None:
    s = status(evenings(), local(2026, 11, 24, 19, 0))
    assert s.is_open and s.closes_at == local(2026, 11, 24, 22, 0)
    assert s.opens_at is None and s.reason == ""


def test_closed_before_opening_says_when_it_opens_today() -> None:
    now = local(2026, 11, 24, 9, 0)
    s = status(evenings(), now)
    assert not s.is_open and s.opens_at == local(2026, 11, 24, 18, 0)
    assert status_text(s, "America/New_York", now) == "Opens today at 6 p.m."


def test_the_end_is_exclusive_and_the_start_inclusive() -> None:
    assert not status(evenings(), local(2026, 11, 24, 22, 0)).is_open
    assert status(evenings(), local(2026, 11, 24, 18, 0)).is_open


def test_spring_forward_keeps_local_hours() -> None:
    # 8 March 2026: clocks go from 2:00 EST to 3:00 EDT. 18:00–22:00 local is 22:00–02:00 UTC.
    s = status(evenings(), local(2026, 3, 8, 12, 0))
    assert s.opens_at == datetime(2026, 3, 8, 22, 0, tzinfo=UTC)
    before = status(evenings(), local(2026, 3, 7, 12, 0))
    assert before.opens_at == datetime(2026, 3, 7, 23, 0, tzinfo=UTC)


def test_a_time_in_the_spring_gap_falls_an_hour_later() -> None:
    hours = [span(6, "02:30", "05:00")]  # Sunday
    s = status(hours, local(2026, 3, 8, 0, 30))
    # 2:30 does not exist that night: read with the old offset (EST), so 07:30 UTC = 3:30 EDT.
    assert s.opens_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert s.opens_at.astimezone(ZONE).hour == 3


def test_fall_back_overnight_period_ends_at_local_two() -> None:
    # 1 November 2026: clocks go back at 2:00 EDT → 1:00 EST. Saturday 20:00 to Sunday 02:00.
    hours = [span(5, "20:00", "02:00", overnight=True)]
    s = status(hours, local(2026, 10, 31, 23, 0))
    assert s.is_open
    assert s.closes_at == datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 02:00 EST
    assert s.closes_at - local(2026, 10, 31, 20, 0) == timedelta(hours=7)


def test_overnight_period_is_open_after_midnight_and_says_when_it_closes() -> None:
    hours = [span(4, "20:00", "02:00", overnight=True)]  # Friday night
    now = local(2026, 11, 28, 1, 0)  # Saturday 1 am
    s = status(hours, now)
    assert s.is_open and s.closes_at == local(2026, 11, 28, 2, 0)
    assert status_text(s, ZONE, now) == "Open now until 2 a.m."


def test_open_24_hours_has_no_closing_within_the_horizon() -> None:
    now = local(2026, 11, 24, 3, 0)
    s = status(always(), now)
    assert s.is_open and s.closes_at is None
    assert status_text(s, ZONE, now) == "Open now"


def test_24_hour_weekdays_close_friday_at_midnight() -> None:
    hours = [span(day, "00:00", "00:00", overnight=True) for day in range(5)]
    now = local(2026, 11, 23, 10, 0)  # Monday
    s = status(hours, now)
    assert s.closes_at == local(2026, 11, 28, 0, 0)
    assert status_text(s, ZONE, now) == "Open now until Saturday at midnight"


def test_next_opening_across_the_week() -> None:
    hours = [span(1, "18:00", "22:00")]  # Tuesdays only
    now = local(2026, 11, 24, 23, 0)  # Tuesday night: next Tuesday is a week away
    s = status(hours, now)
    assert s.opens_at == local(2026, 12, 1, 18, 0)
    assert status_text(s, ZONE, now) == "Opens on Tuesday 1 December at 6 p.m."
    sunday = local(2026, 11, 29, 12, 0)
    assert status_text(status(hours, sunday), ZONE, sunday) == "Opens Tuesday at 6 p.m."


def test_tomorrow() -> None:
    now = local(2026, 11, 24, 23, 0)
    assert status_text(status(evenings(), now), ZONE, now) == "Opens tomorrow at 6 p.m."


def test_closure_overrides_hours_and_gives_its_reason() -> None:
    hours = [span(day, "09:00", "17:00") for day in range(7)]
    now = local(2026, 11, 26, 10, 0)  # Thanksgiving
    s = status(hours, now, [closure(date(2026, 11, 26))])
    assert not s.is_open and s.reason == "Thanksgiving"
    assert s.opens_at == local(2026, 11, 27, 9, 0)
    assert status_text(s, ZONE, now) == "Closed for Thanksgiving — opens tomorrow at 9 a.m."
    wed = local(2026, 11, 25, 18, 0)
    assert status_text(status(hours, wed, [closure(date(2026, 11, 26))]), ZONE, wed) == "Opens Friday at 9 a.m."


def test_part_day_closure_cuts_the_period() -> None:
    c = closure(date(2026, 11, 24), start_time=time(19, 0), end_time=time(20, 30))
    assert status(evenings(), local(2026, 11, 24, 18, 30), [c]).closes_at == local(2026, 11, 24, 19, 0)
    inside = status(evenings(), local(2026, 11, 24, 19, 30), [c])
    assert not inside.is_open and inside.opens_at == local(2026, 11, 24, 20, 30) and inside.reason == "Thanksgiving"


def test_closure_longer_than_the_horizon_leaves_no_opening() -> None:
    now = local(2026, 12, 1, 12, 0)
    s = status(evenings(), now, [closure(date(2026, 11, 30), date(2027, 1, 31), "Winter break")])
    assert s == LineStatus(False, None, None, "Winter break")
    assert status_text(s, ZONE, now) == "Closed for Winter break"


def test_no_hours_is_closed_with_no_opening() -> None:
    now = local(2026, 12, 1, 12, 0)
    s = status([], now)
    assert s == LineStatus(False)
    assert status_text(s, ZONE, now) == "Closed now, with no opening in the next two weeks"


def test_opening_just_inside_and_just_outside_the_horizon() -> None:
    hours = [span(1, "18:00", "22:00")]
    now = local(2026, 11, 24, 18, 0) + timedelta(seconds=1)  # Tuesday, a second after it would open
    closed_tuesday = [closure(date(2026, 11, 24)), closure(date(2026, 12, 1))]
    assert status(hours, now, closed_tuesday).opens_at == local(2026, 12, 8, 18, 0)  # 14 days minus 1 s
    closed_three = [*closed_tuesday, closure(date(2026, 12, 8))]
    assert status(hours, now, closed_three).opens_at is None


def test_status_text_in_spanish_uses_spanish_formats() -> None:
    now = local(2026, 11, 24, 9, 0)
    with translation.override("es"):
        text = status_text(status(evenings(), now), ZONE, now)
    assert "18:00" in text


def test_a_line_out_of_service_is_closed_with_no_opening() -> None:
    assert line_status(Line(hours=always(), is_active=False), local(2026, 11, 24, 12, 0), zone=ZONE) == LineStatus(
        False
    )
