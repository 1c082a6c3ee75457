"""The Meeting Guide feed: valid against the spec's shape, public (P1) fields only, weekly groups only."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from typing import Any

import jsonschema
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from alongside.directory import feeds
from alongside.groups.models import GroupStatus, Registration, RegistrationStatus, Session
from alongside.groups.vocab import Accessibility, Audience, Community, GroupFormat, Joining
from tests.conftest import Tenant
from tests.groups.helpers import groups_program, make_group, make_schedule

pytestmark = pytest.mark.django_db

FEED = "/directory/meeting-guide.json"
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

# The Meeting Guide entry as summarised from the spec (code4recovery/spec README; mission-anchors §4.1).
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "slug", "day", "time", "timezone", "types", "updated", "url"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "slug": {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 255},
        "day": {"type": "integer", "minimum": 0, "maximum": 6},
        "time": {"type": "string", "pattern": HHMM},
        "end_time": {"type": "string", "pattern": HHMM},
        "timezone": {"type": "string", "minLength": 3},
        "address": {"type": "string"},
        "city": {"type": "string"},
        "state": {"type": "string"},
        "postal_code": {"type": "string"},
        "country": {"type": "string"},
        "approximate": {"enum": ["yes", "no"]},
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "conference_url": {"type": "string", "pattern": "^https://"},
        "conference_phone": {"type": "string", "pattern": r"^[0-9+,*#]+$"},
        "types": {"type": "array", "items": {"enum": sorted(feeds.type_codes())}, "uniqueItems": True},
        "notes": {"type": "string"},
        "updated": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"},
        "url": {"type": "string", "pattern": "^https?://"},
        "entity": {"type": "string"},
    },
    "additionalProperties": False,
}
FEED_SCHEMA = {"type": "array", "items": ENTRY_SCHEMA}


def _feed(client: Client) -> list[dict[str, Any]]:
    response = client.get(FEED)
    assert response.status_code == 200
    data: list[dict[str, Any]] = response.json()
    jsonschema.validate(data, FEED_SCHEMA)
    slugs = [entry["slug"] for entry in data]
    assert len(slugs) == len(set(slugs)), "slugs must be unique in the feed"
    return data


@pytest.fixture
def groups(harbor: Tenant, riverbend: Tenant) -> dict[str, Any]:
    with scopes_disabled():
        program = groups_program(harbor)
        facilitator = harbor.user("peer")
        facilitator.full_name = "Jordan Quillfeather"
        facilitator.save()
        weekly = make_group(
            harbor,
            "Tuesday Circle",
            program=program,
            description="<p>A <b>warm</b> circle &amp; tea.</p><script>alert(1)</script>",
            communities=[Community.WOMEN],
            accessibility=[Accessibility.WHEELCHAIR, Accessibility.ASL, Accessibility.PARKING],
            language="es",
            is_open=False,
            timezone="America/New_York",
        )
        make_schedule(weekly, "FREQ=WEEKLY;BYDAY=TU,TH", start_time=time(18, 0), duration_minutes=90)
        make_schedule(weekly, "FREQ=WEEKLY;BYDAY=SU", start_time=time(9, 30), duration_minutes=60)
        online = make_group(
            harbor,
            "Evening Online",
            program=program,
            format=GroupFormat.ONLINE,
            online_url="https://video.example.org/j/123",
            dial_in="+1 (555) 010-2000",
            join_details_public=True,
            audience=Audience.YOUTH,
            age_min=16,
            age_max=24,
        )
        make_schedule(online, "FREQ=WEEKLY;BYDAY=MO", start_time=time(23, 0), duration_minutes=90)
        secret_link = make_group(
            harbor,
            "Registered Online",
            program=program,
            format=GroupFormat.ONLINE,
            online_url="https://video.example.org/j/secret",
            joining=Joining.REGISTRATION,
            join_details_public=True,
        )
        make_schedule(secret_link, "FREQ=WEEKLY;BYDAY=WE")
        paused = make_group(harbor, "Paused Group", program=program, status=GroupStatus.PAUSED)
        make_schedule(paused, "FREQ=WEEKLY;BYDAY=FR")
        hidden = make_group(harbor, "Hidden Group", program=program, is_public=False)
        make_schedule(hidden, "FREQ=WEEKLY;BYDAY=FR")
        ended = make_group(harbor, "Ended Group", program=program, status=GroupStatus.ENDED)
        make_schedule(ended, "FREQ=WEEKLY;BYDAY=FR")
        biweekly = make_group(harbor, "Every Other Week", program=program)
        make_schedule(biweekly, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH")
        monthly = make_group(harbor, "First Monday", program=program)
        make_schedule(monthly, "FREQ=MONTHLY;BYDAY=1MO")
        finished = make_group(harbor, "Finished Schedule", program=program)
        make_schedule(finished, "FREQ=WEEKLY;BYDAY=FR", until=date(2026, 2, 1))
        private_program = groups_program(harbor, "Private Program", is_public=False)
        unlisted = make_group(harbor, "Private Program Group", program=private_program)
        make_schedule(unlisted, "FREQ=WEEKLY;BYDAY=FR")
        other = make_group(riverbend, "Tuesday Circle")
        make_schedule(other, "FREQ=WEEKLY;BYDAY=TU")
        # Personal data that must never reach the feed.
        Registration.objects.create(
            organisation=harbor.organisation,
            group=weekly,
            first_name="Zebulon",
            email="zebulon@example.org",
            phone="+15550109999",
            status=RegistrationStatus.REGISTERED,
            source="public",
        )
        Session.objects.create(
            organisation=harbor.organisation,
            group=weekly,
            starts_at=datetime(2026, 3, 3, 23, tzinfo=UTC),
            ends_at=datetime(2026, 3, 4, 0, 30, tzinfo=UTC),
            notes="Confidential: Zebulon shared about his brother",
        )
    return {"weekly": weekly, "online": online, "facilitator": facilitator}


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
def test_feed_lists_each_weekly_time_of_public_groups_only(client: Client, groups: dict[str, Any]) -> None:
    data = _feed(client)
    by_slug = {entry["slug"]: entry for entry in data}
    assert sorted(by_slug) == [
        "harbor-evening-online",
        "harbor-paused-group",
        "harbor-registered-online",
        "harbor-tuesday-circle",
        "harbor-tuesday-circle-2",
        "harbor-tuesday-circle-3",
        "riverbend-tuesday-circle",
    ]
    first, second, third = (
        by_slug[s] for s in ("harbor-tuesday-circle", "harbor-tuesday-circle-2", "harbor-tuesday-circle-3")
    )
    assert (first["day"], first["time"], first["end_time"]) == (2, "18:00", "19:30")
    assert (second["day"], second["time"]) == (4, "18:00")
    assert (third["day"], third["time"], third["end_time"]) == (0, "09:30", "10:30")
    assert first["timezone"] == "America/New_York"
    assert first["address"] == "1 Main Street" and first["city"] == "Springfield" and first["state"] == "IL"
    assert first["postal_code"] == "62701" and first["country"] == "US" and first["approximate"] == "no"
    assert first["latitude"] == pytest.approx(39.7817) and first["longitude"] == pytest.approx(-89.6501)
    assert first["types"] == ["ASL", "C", "POA", "S", "W", "X"]
    assert first["entity"] == "Harbor Peers"
    assert first["url"].endswith("/directory/groups/harbor/tuesday-circle/")
    assert "TC" in by_slug["harbor-paused-group"]["types"]
    assert "O" in by_slug["harbor-paused-group"]["types"]


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
def test_online_groups_have_an_approximate_place_and_a_join_link_only_when_public(
    client: Client, groups: dict[str, Any]
) -> None:
    by_slug = {entry["slug"]: entry for entry in _feed(client)}
    online = by_slug["harbor-evening-online"]
    assert online["approximate"] == "yes" and online["city"] == "Springfield"
    assert "address" not in online and "postal_code" not in online
    assert online["latitude"] == pytest.approx(39.8)
    assert online["conference_url"] == "https://video.example.org/j/123"
    assert online["conference_phone"] == "+15550102000"
    assert online["types"] == ["EN", "O", "POA", "Y"]
    assert (online["day"], online["time"], online["end_time"]) == (1, "23:00", "00:30")
    registered = by_slug["harbor-registered-online"]
    assert "conference_url" not in registered and "conference_phone" not in registered


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
def test_feed_has_no_html_no_last_names_and_no_personal_data(client: Client, groups: dict[str, Any]) -> None:
    response = client.get(FEED)
    text = response.content.decode()
    by_slug = {entry["slug"]: entry for entry in response.json()}
    assert by_slug["harbor-tuesday-circle"]["notes"] == "A warm circle & tea."
    for entry in response.json():
        for value in entry.values():
            if isinstance(value, str):
                assert not re.search(r"<[a-zA-Z/!]", value), value
    for secret in ("Quillfeather", "Jordan", "Zebulon", "zebulon@", "5550109999", "Confidential", "j/secret"):
        assert secret not in text, secret


def test_feed_headers_and_method(client: Client, groups: dict[str, Any]) -> None:
    response = client.get(FEED)
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert client.post(FEED).status_code == 405


@pytest.mark.parametrize("moment", [datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC)])
def test_local_times_do_not_change_with_daylight_saving(
    client: Client, groups: dict[str, Any], moment: datetime
) -> None:
    with time_machine.travel(moment, tick=False):
        entry = next(e for e in _feed(client) if e["slug"] == "harbor-tuesday-circle")
    assert (entry["day"], entry["time"], entry["end_time"], entry["timezone"]) == (
        2,
        "18:00",
        "19:30",
        "America/New_York",
    )


def test_slugs_are_stable_when_another_group_is_added(client: Client, groups: dict[str, Any], harbor: Tenant) -> None:
    before = {e["slug"]: (e["name"], e["day"], e["time"]) for e in _feed(client)}
    with scopes_disabled():
        added = make_group(harbor, "Another Circle", program=groups["weekly"].program)
        make_schedule(added, "FREQ=WEEKLY;BYDAY=SA")
    after = {e["slug"]: (e["name"], e["day"], e["time"]) for e in _feed(client)}
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) == {"harbor-another-circle"}


def test_the_types_file_is_the_spec_copy() -> None:
    codes = feeds.type_codes()
    assert {"O", "C", "W", "M", "Y", "LGBTQ", "X", "ASL", "POA", "TC", "EN", "S"} <= codes
    assert all(json.dumps(code).isascii() for code in codes)


def test_weekly_days_reads_only_every_week_rules() -> None:
    assert feeds.weekly_days("FREQ=WEEKLY;BYDAY=SU,SA") == [0, 6]
    assert feeds.weekly_days("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO") == [1]
    assert feeds.weekly_days("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO") is None
    assert feeds.weekly_days("FREQ=MONTHLY;BYDAY=1MO") is None
    assert feeds.weekly_days("FREQ=WEEKLY") is None


def test_the_directory_page_advertises_the_feed(client: Client) -> None:
    response = client.get("/directory/")
    assert response.status_code == 200
    link = '<link rel="alternate" type="application/json" title="Meetings Feed" href="/directory/meeting-guide.json">'
    assert link in response.content.decode()


def test_the_feed_costs_the_same_queries_for_more_groups(
    client: Client, groups: dict[str, Any], harbor: Tenant, django_assert_max_num_queries: Any
) -> None:
    with CaptureQueriesContext(connection) as before:
        client.get(FEED)
    with scopes_disabled():
        for n in range(5):
            extra = make_group(harbor, f"Extra {n}", program=groups["weekly"].program)
            make_schedule(extra, "FREQ=WEEKLY;BYDAY=MO,WE")
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert len(_feed(client)) == 7 + 10
