"""Warm lines in the directory: each public line is a listing with its hours (Sunday = 0, masks
for the day and time filters), a program's stand-in listing only while it has no line, refreshed
after every change, "open now" from the line's hours and closures, status words on results and on
the listing page, and a constant number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.directory.models import Listing, ListingKind
from alongside.directory.search import Filters, online
from alongside.directory.sync import reindex
from alongside.warmline import lines
from alongside.warmline.models import Line
from tests.warmline.lines.helpers import always, make_closure, make_line, span

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # Tuesday 24 November, 19:00 in New York
NEAR = {"where": "62701", "open_now": "on"}


def warm() -> list[Listing]:
    return list(Listing.objects.filter(kind=ListingKind.WARMLINE).order_by("name"))


def test_a_public_line_is_a_listing_with_its_hours(harbor: Any) -> None:
    line = make_line(
        harbor,
        hours=[span(0, "09:00", "13:00"), span(4, "20:00", "02:00", overnight=True), span(6, "18:00", "22:00")],
        phone_numbers=[
            {"label": "Back", "number": "+12075550199", "public": False},
            {"label": "Call", "number": "+12075550100", "public": True},
        ],
        languages=["en", "es"],
        audience="youth",
    )
    reindex()
    (listing,) = warm()
    assert listing.source_id == line.pk and listing.organisation_id == harbor.organisation.pk
    assert listing.url == "/directory/lines/harbor/evening-line/"
    assert listing.weekly == [
        {"day": 0, "time": "18:00", "end_time": "22:00"},  # Sunday
        {"day": 1, "time": "09:00", "end_time": "13:00"},  # Monday
        {"day": 5, "time": "20:00", "end_time": "02:00"},  # Friday night into Saturday
    ]
    assert listing.days_mask == (1 << 0) | (1 << 1) | (1 << 5) | (1 << 6)
    assert listing.times_mask == 1 | 2 | 4  # morning, afternoon (to 13:00), evening
    assert listing.conference_phone == "+12075550100"
    assert listing.timezone == "America/New_York" and listing.is_online and not listing.is_in_person
    assert listing.languages == ["en", "es"] and listing.audience == "youth"
    assert "+12075550199" not in str(Listing.objects.values().get(pk=listing.pk))


def test_the_programs_stand_in_listing_goes_when_it_has_a_line(harbor: Any) -> None:
    with scopes_disabled():
        program = account_services.program_create(
            acting_user=harbor.user("admin"),
            organisation=harbor.organisation,
            name="Warm Program",
            offers_warmline=True,
        )
    reindex()
    assert [listing.source_id for listing in warm()] == [program.pk]
    line = make_line(harbor, program=program)
    reindex()
    assert [listing.source_id for listing in warm()] == [line.pk]


@pytest.mark.parametrize("field", ["is_public", "is_active"])
def test_hidden_lines_are_not_listed(harbor: Any, field: str) -> None:
    make_line(harbor, **{field: False})
    reindex()
    assert warm() == []


def test_changes_refresh_the_listing_after_commit(harbor: Any, django_capture_on_commit_callbacks: Any) -> None:
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        line = lines.line_create(
            acting_user=harbor.user("admin"),
            organisation=harbor.organisation,
            name="New Line",
            phone_numbers=[{"label": "Call", "number": "(207) 555-0100"}],
        )
    assert [listing.name for listing in warm()] == ["New Line"]
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        lines.line_hours_set(
            acting_user=harbor.user("admin"),
            line=line,
            periods=[{"day": 1, "opens": time(18), "closes": time(22), "overnight": False}],
        )
    assert warm()[0].weekly == [{"day": 2, "time": "18:00", "end_time": "22:00"}]
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        lines.line_update(acting_user=harbor.user("admin"), line=line, is_public=False)
    assert warm() == []


def test_reindex_command_includes_lines(harbor: Any) -> None:
    make_line(harbor)
    call_command("directory", "reindex", stdout=StringIO())
    assert [listing.name for listing in warm()] == ["Evening Line"]


@pytest.fixture
def three(harbor: Any, riverbend: Any) -> dict[str, Line]:
    """At Tuesday 19:00 New York: one line open, one closed by its hours, one closed for a holiday
    (and one of another organisation, open all day)."""
    found = {
        "open": make_line(harbor, "Open Line"),
        "later": make_line(harbor, "Later Line", hours=[span(1, "20:00", "23:00")]),
        "holiday": make_line(harbor, "Holiday Line"),
        "other": make_line(riverbend, "Riverbend Line", hours=always()),
    }
    make_closure(found["holiday"], date(2026, 11, 24), reason="Staff training")
    reindex()
    return found


@time_machine.travel(EVENING, tick=False)
def test_open_now_keeps_the_lines_open_now(three: dict[str, Line]) -> None:
    hits, count = online(Filters(open_now=True))
    assert sorted(hit.listing.name for hit in hits) == ["Open Line", "Riverbend Line"] and count == 2


@time_machine.travel(EVENING, tick=False)
def test_find_support_open_now_and_status_words(client: Client, three: dict[str, Line]) -> None:
    body = client.get("/directory/", NEAR).content.decode()
    assert "Open Line" in body and "Riverbend Line" in body
    assert "Later Line" not in body and "Holiday Line" not in body
    assert "Open now until 10 p.m." in body and 'href="/directory/lines/harbor/open-line/"' in body
    assert 'href="tel:+12075550100">Call (207) 555-0100</a>' in body
    every = client.get("/directory/", {"where": "62701"}).content.decode()
    assert "Opens today at 8 p.m." in every
    assert "Closed for Staff training — opens tomorrow at 6 p.m." in every


@time_machine.travel(EVENING, tick=False)
def test_open_now_query_count_does_not_grow_with_lines(client: Client, harbor: Any, three: dict[str, Line]) -> None:
    with CaptureQueriesContext(connection) as before:
        client.get("/directory/", NEAR)
    for n in range(6):
        made = make_line(harbor, f"More Line {n}")
        make_closure(made, date(2026, 12, 25), reason="Christmas")
    reindex()
    with CaptureQueriesContext(connection) as after:
        body = client.get("/directory/", NEAR).content.decode()
    assert "More Line 5" in body
    assert len(after) == len(before)


@time_machine.travel(EVENING, tick=False)
def test_the_listing_page_shows_the_status(client: Client, three: dict[str, Line]) -> None:
    listing = Listing.objects.get(source_id=three["holiday"].pk)
    body = client.get(f"/directory/listings/{listing.pk}/").content.decode()
    assert "Closed for Staff training — opens tomorrow at 6 p.m." in body
    assert "This is not a crisis service" in body


def test_day_and_time_filters_find_lines_by_their_hours(harbor: Any) -> None:
    make_line(harbor, "Tuesday Mornings", hours=[span(1, "09:00", "11:00")])
    make_line(harbor, "Friday Nights", hours=[span(4, "22:00", "02:00", overnight=True)])
    reindex()

    def names(**filters: Any) -> list[str]:
        return sorted(hit.listing.name for hit in online(Filters(**filters))[0])

    assert names(days=1 << 2) == ["Tuesday Mornings"]  # Tuesday (Sunday = 0)
    assert names(days=1 << 6) == ["Friday Nights"]  # its night runs into Saturday
    assert names(times=4) == ["Friday Nights"]  # evening
    assert names(times=1) == ["Friday Nights", "Tuesday Mornings"]  # morning, 00:00–02:00 included
