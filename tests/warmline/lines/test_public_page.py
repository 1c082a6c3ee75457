"""The public line page: P1 facts only, the status and weekly hours in the organisation's time zone,
closures, tel: links, the "not a crisis line" notice with the organisation's own crisis options,
the chat link only while the line is open and offers chat, JSON-LD, and 404 for hidden lines."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.warmline.models import Line
from tests.warmline.lines.helpers import make_closure, make_line

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # Tuesday 24 November, 19:00 in New York
MORNING = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday, 9:00 in New York


def page(line: Line) -> Any:
    return Client().get(reverse("warmline:public_line", args=[line.organisation.slug, line.slug]))


@pytest.fixture
def line(harbor: Any) -> Line:
    return make_line(
        harbor,
        chat_enabled=True,
        phone_numbers=[
            {"label": "Call or text", "number": "+12075550100", "public": True},
            {"label": "Back line", "number": "+12075550199", "public": False},
        ],
        languages=["en", "es"],
    )


@time_machine.travel(EVENING, tick=False)
def test_open_line_page_shows_status_hours_phones_and_chat(line: Line) -> None:
    make_closure(line, date(2026, 11, 26))
    response = page(line)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Open now until 10 p.m." in html
    assert 'href="tel:+12075550100">(207) 555-0100</a>' in html
    assert re.search(r'<th scope="row">Monday</th>\s*<td>6 p.m. to 10 p.m.</td>', html)
    assert "+12075550199" not in html and "Back line" not in html  # staff-only number
    assert "America/New_York" in html and "6 p.m. to 10 p.m." in html
    assert "Thanksgiving" in html and "Thursday 26 November 2026" in html
    assert "English, Spanish" in html
    assert "Chat with a peer" in html
    assert reverse("warmline:chat_start", args=[line.organisation.slug, line.slug]) in html


@time_machine.travel(MORNING, tick=False)
def test_closed_line_has_no_chat_link_and_says_when_it_opens(line: Line) -> None:
    html = page(line).content.decode()
    assert "Opens today at 6 p.m." in html
    assert "Chat with a peer" not in html


def test_not_a_crisis_line_with_the_organisations_own_crisis_options(harbor: Any, line: Line) -> None:
    html = page(line).content.decode()
    assert "This is not a crisis line" in html
    assert 'href="tel:988"' in html and "https://988lifeline.org/chat" in html and 'href="tel:911"' in html
    assert "Quick exit" in html
    with scopes_disabled():
        harbor.organisation.crisis_options = [
            {"kind": "call", "label": "Call the county crisis team", "value": "5550142"}
        ]
        harbor.organisation.save()
    html = page(line).content.decode()
    assert "Call the county crisis team" in html and "988lifeline" not in html


def test_chat_link_needs_chat_enabled(harbor: Any) -> None:
    line = make_line(
        harbor,
        "Phone Only",
        hours=[{"day": d, "opens": "00:00", "closes": "00:00", "overnight": True} for d in range(7)],
    )
    html = page(line).content.decode()
    assert "Open now" in html and "Chat with a peer" not in html


@time_machine.travel(EVENING, tick=False)
def test_json_ld_has_opening_hours(line: Line) -> None:
    html = page(line).content.decode()
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert data["@type"] == "Service" and data["name"] == "Evening Line"
    hours = data["hoursAvailable"]
    assert {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": "https://schema.org/Monday",
        "opens": "18:00",
        "closes": "22:00",
    } in hours
    assert data["availableChannel"][0]["servicePhone"]["telephone"] == "+12075550100"
    assert len(data["availableChannel"]) == 2  # one public phone, and chat


@pytest.mark.parametrize("change", ["hidden", "out_of_service", "org_inactive", "wrong_org"])
def test_hidden_lines_are_404(harbor: Any, riverbend: Any, line: Line, change: str) -> None:
    with scopes_disabled():
        if change == "hidden":
            Line.objects.filter(pk=line.pk).update(is_public=False)
        elif change == "out_of_service":
            Line.objects.filter(pk=line.pk).update(is_active=False)
        elif change == "org_inactive":
            harbor.organisation.is_active = False
            harbor.organisation.save()
    slug = "riverbend" if change == "wrong_org" else harbor.organisation.slug
    assert Client().get(reverse("warmline:public_line", args=[slug, line.slug])).status_code == 404


def test_unknown_line_is_404(harbor: Any) -> None:
    assert Client().get(reverse("warmline:public_line", args=["harbor", "no-such-line"])).status_code == 404
