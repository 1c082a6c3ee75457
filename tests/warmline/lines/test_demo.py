"""The lines demo: two lines with realistic hours, holiday closures, fictional numbers; idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django_scopes import scopes_disabled

from alongside.warmline.demo import demo_lines, thanksgiving
from alongside.warmline.hours import line_status
from alongside.warmline.models import Line, LineClosure

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def test_demo_lines_once(harbor: Any) -> None:
    assert demo_lines(harbor.organisation, now=NOW) == {"lines": 2, "closures": 2}
    assert demo_lines(harbor.organisation, now=NOW) == {"lines": 0, "closures": 0}
    with scopes_disabled():
        evening, night = Line.objects.filter(organisation=harbor.organisation).order_by("name")
        assert evening.chat_enabled and not night.chat_enabled
        assert all(p["number"].startswith("+120755501") for line in (evening, night) for p in line.phone_numbers)
        assert line_status(night, NOW).is_open and line_status(night, NOW).closes_at is None
        reasons = dict(LineClosure.objects.filter(line=evening).values_list("reason", "starts_on"))
    assert reasons == {"Thanksgiving": date(2026, 11, 26), "Christmas Day": date(2026, 12, 25)}


def test_thanksgiving_is_the_fourth_thursday() -> None:
    assert [thanksgiving(year) for year in (2026, 2027, 2028)] == [
        date(2026, 11, 26),
        date(2027, 11, 25),
        date(2028, 11, 23),
    ]
