"""Recurrence and daylight saving: a group keeps its wall-clock time in its own time zone across
both 2026 US changes (8 March, 1 November) and the UK's, every other week and monthly by weekday
rules, end dates, moved and cancelled sessions, the 2:30 am that does not exist and the 1:30 am
that happens twice, and the rules a schedule refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from django_scopes import scopes_disabled

from alongside.groups import services
from alongside.groups.schedules import RuleError, check_rule, next_occurrence, occurrences
from tests.groups.helpers import make_group, make_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def starts(group: Any, lo: datetime, hi: datetime, **kwargs: Any) -> list[datetime]:
    return [o.starts_at for o in occurrences(group, lo, hi, **kwargs)]


def test_weekly_6pm_new_york_is_22_utc_in_summer_and_23_in_winter(harbor: Any) -> None:
    group = make_group(harbor, timezone="America/New_York")
    make_schedule(group, "FREQ=WEEKLY;BYDAY=TU", start_date=date(2026, 1, 6), start_time=time(18))
    # Clocks go forward on Sunday 8 March 2026.
    assert starts(group, utc(2026, 3, 1), utc(2026, 3, 15)) == [utc(2026, 3, 3, 23), utc(2026, 3, 10, 22)]
    # And back on Sunday 1 November 2026.
    assert starts(group, utc(2026, 10, 25), utc(2026, 11, 8)) == [utc(2026, 10, 27, 22), utc(2026, 11, 3, 23)]
    # Every session is at 6 pm local, all year.
    from zoneinfo import ZoneInfo

    local = {s.astimezone(ZoneInfo("America/New_York")).time() for s in starts(group, utc(2026, 1, 1), utc(2027, 1, 1))}
    assert local == {time(18)}


def test_the_session_length_follows_the_schedule(harbor: Any) -> None:
    group = make_group(harbor)
    make_schedule(group, duration_minutes=75)
    first = occurrences(group, utc(2026, 1, 1), utc(2026, 1, 10))[0]
    assert (first.ends_at - first.starts_at).total_seconds() == 75 * 60


def test_every_other_week(harbor: Any) -> None:
    group = make_group(harbor)
    make_schedule(group, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", start_date=date(2026, 1, 8))
    assert starts(group, utc(2026, 1, 1), utc(2026, 2, 28)) == [
        utc(2026, 1, 8, 23),
        utc(2026, 1, 22, 23),
        utc(2026, 2, 5, 23),
        utc(2026, 2, 19, 23),
    ]


def test_monthly_first_monday_and_last_friday(harbor: Any) -> None:
    group = make_group(harbor)
    make_schedule(group, "FREQ=MONTHLY;BYDAY=1MO", start_date=date(2026, 1, 1), start_time=time(12))
    make_schedule(group, "FREQ=MONTHLY;BYDAY=-1FR", start_date=date(2026, 1, 1), start_time=time(12))
    got = [s.date() for s in starts(group, utc(2026, 1, 1), utc(2026, 4, 1))]
    assert got == [
        date(2026, 1, 5),
        date(2026, 1, 30),
        date(2026, 2, 2),
        date(2026, 2, 27),
        date(2026, 3, 2),
        date(2026, 3, 27),
    ]


def test_until_is_the_last_date(harbor: Any) -> None:
    group = make_group(harbor)
    make_schedule(group, start_date=date(2026, 1, 6), until=date(2026, 1, 20))
    assert starts(group, utc(2026, 1, 1), utc(2026, 3, 1)) == [
        utc(2026, 1, 6, 23),
        utc(2026, 1, 13, 23),
        utc(2026, 1, 20, 23),
    ]
    assert next_occurrence(group, utc(2026, 1, 21, 1)) is None


def test_moved_and_cancelled_sessions(harbor: Any) -> None:
    group = make_group(harbor)
    make_schedule(group, start_date=date(2030, 1, 1))
    user = harbor.user("coordinator")
    lo, hi = utc(2030, 1, 1), utc(2030, 2, 1)
    first, second, third = occurrences(group, lo, hi)[:3]
    services.session_cancel(acting_user=user, group=group, key=first.key, note="Closed for the holiday")
    # Moved into the next window and out of its own week.
    services.session_move(
        acting_user=user, group=group, key=second.key, starts_at=utc(2030, 2, 3, 17), duration_minutes=90
    )
    found = occurrences(group, lo, hi)
    assert [o.starts_at for o in found][:2] == [first.starts_at, third.starts_at]
    assert found[0].cancelled and found[0].session is not None
    assert found[0].session.change_note == "Closed for the holiday"
    assert second.starts_at not in [o.starts_at for o in found]
    assert first.starts_at not in starts(group, lo, hi, include_cancelled=False)
    assert utc(2030, 2, 3, 17) in starts(group, utc(2030, 2, 1), utc(2030, 2, 10))
    assert next_occurrence(group, utc(2029, 12, 31)).starts_at == third.starts_at  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("zone", "winter", "summer"),
    [
        # London changes on 29 March 2026 (a different week from the US): 7 pm is 19:00 then 18:00 UTC.
        ("Europe/London", utc(2026, 3, 24, 19), utc(2026, 3, 31, 18)),
        # Los Angeles: 7 pm is 03:00 UTC the next day in winter, 02:00 in summer.
        ("America/Los_Angeles", utc(2026, 3, 4, 3), utc(2026, 3, 11, 2)),
    ],
)
def test_other_time_zones(harbor: Any, zone: str, winter: datetime, summer: datetime) -> None:
    group = make_group(harbor, timezone=zone)
    make_schedule(group, "FREQ=WEEKLY;BYDAY=TU", start_date=date(2026, 1, 6), start_time=time(19))
    assert starts(group, winter.replace(hour=0), summer.replace(hour=23)) == [winter, summer]


def test_the_nonexistent_2_30_am_moves_an_hour_later(harbor: Any) -> None:
    group = make_group(harbor, timezone="America/New_York")
    make_schedule(group, "FREQ=WEEKLY;BYDAY=SU", start_date=date(2026, 3, 1), start_time=time(2, 30))
    assert starts(group, utc(2026, 3, 1), utc(2026, 3, 16)) == [
        utc(2026, 3, 1, 7, 30),  # 2:30 EST
        utc(2026, 3, 8, 7, 30),  # 2:30 does not exist: 3:30 EDT, the same instant as 2:30 EST
        utc(2026, 3, 15, 6, 30),  # 2:30 EDT
    ]


def test_the_repeated_1_30_am_is_the_first_one(harbor: Any) -> None:
    group = make_group(harbor, timezone="America/New_York")
    make_schedule(group, "FREQ=WEEKLY;BYDAY=SU", start_date=date(2026, 10, 25), start_time=time(1, 30))
    assert starts(group, utc(2026, 10, 25), utc(2026, 11, 9)) == [
        utc(2026, 10, 25, 5, 30),  # 1:30 EDT
        utc(2026, 11, 1, 5, 30),  # 1:30 happens twice: the first (EDT), once
        utc(2026, 11, 8, 6, 30),  # 1:30 EST
    ]


def test_keys_of_a_dst_occurrence_materialise_the_right_row(harbor: Any) -> None:
    group = make_group(harbor, timezone="America/New_York")
    make_schedule(group, "FREQ=WEEKLY;BYDAY=SU", start_date=date(2026, 3, 1), start_time=time(2, 30))
    gap = occurrences(group, utc(2026, 3, 8), utc(2026, 3, 9))[0]
    session = services.session_for(group=group, key=gap.key)
    assert session.original_start == session.starts_at == utc(2026, 3, 8, 7, 30)


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "FREQ=DAILY;BYDAY=MO",
        "FREQ=YEARLY;BYDAY=MO",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;BYDAY=MON",
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=MONTHLY;BYDAY=MO",
        "FREQ=MONTHLY;BYDAY=5MO",
        "FREQ=WEEKLY;INTERVAL=0;BYDAY=MO",
        "FREQ=WEEKLY;INTERVAL=9;BYDAY=MO",
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270101",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
        "FREQ=WEEKLY;BYDAY=MO;FREQ=WEEKLY",
        "FREQ=WEEKLY;BYDAY",
        "FREQ=WEEKLY;BYDAY=MO;WKST=XX",
    ],
)
def test_bad_rules(rule: str) -> None:
    with pytest.raises(RuleError):
        check_rule(rule)


def test_good_rules_are_canonical() -> None:
    assert check_rule("rrule:byday=th;interval=2;freq=weekly") == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    assert check_rule("FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR") == "FREQ=MONTHLY;BYDAY=-1FR"
