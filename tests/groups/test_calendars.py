"""Group calendar feeds (RFC 5545), parsed back with the ``icalendar`` package: the public feed's
recurring events in the group's own zone with a VTIMEZONE, EXDATE and RECURRENCE-ID overrides and
one-offs that expand to exactly the sessions the app shows, nothing private in it; and the
facilitator's private feed behind a signed address that stops working when it should."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil import rrule as du_rrule
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.accounts.models import Membership
from alongside.groups import calendars, services
from alongside.groups.models import Group
from alongside.groups.schedules import occurrences
from alongside.groups.vocab import GroupFormat, Joining
from tests.groups.helpers import make_group, make_schedule

pytestmark = pytest.mark.django_db

SECRET_LINK = "https://video.example/secret-room"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def group(harbor: Any) -> Group:
    with scopes_disabled():
        group = make_group(
            harbor,
            "Thursday Circle",
            description="A circle; for anyone, grieving.",
            format=GroupFormat.HYBRID,
            online_url=SECRET_LINK,
            joining=Joining.REGISTRATION,
            capacity=12,
            timezone="America/New_York",
        )
        make_schedule(group, "FREQ=WEEKLY;BYDAY=TH", start_date=date(2026, 1, 1), start_time=time(18))
        make_schedule(
            group, "FREQ=MONTHLY;BYDAY=-1FR", start_date=date(2026, 1, 1), start_time=time(12), until=date(2026, 6, 30)
        )
        user = harbor.user("coordinator")
        found = occurrences(group, utc(2026, 3, 1), utc(2026, 4, 1))
        thursdays = [o for o in found if o.starts_at.astimezone(ZoneInfo("America/New_York")).hour == 18]
        services.session_cancel(acting_user=user, group=group, key=thursdays[0].key, note="Closed")
        # Moved across the DST change (5 March EST → 12 March EDT, same wall-clock hour).
        moved = services.session_for(group=group, key=thursdays[1].key)
        moved.starts_at = utc(2026, 3, 13, 22)
        moved.ends_at = utc(2026, 3, 13, 23, 30)
        moved.save()
        # Taken attendance only: a row, but not an override.
        services.session_for(group=group, key=thursdays[2].key)
        one_off = services.session_add_one_off(
            acting_user=user, group=group, starts_at=utc(2030, 12, 24, 16), duration_minutes=60, note="Holiday"
        )
        one_off.starts_at, one_off.ends_at = utc(2026, 12, 24, 16), utc(2026, 12, 24, 17)
        one_off.save()
    return group


def _expand(cal: icalendar.Calendar, lo: datetime, hi: datetime) -> list[datetime]:
    """Expand the feed like a calendar app: each RRULE from its local DTSTART (in its TZID), less
    EXDATEs, with RECURRENCE-ID overrides replacing their instance, plus one-off events."""
    masters: dict[str, Any] = {}
    overrides: dict[tuple[str, datetime], datetime] = {}
    singles: list[datetime] = []
    for event in cal.walk("VEVENT"):
        uid = str(event["UID"])
        if "RECURRENCE-ID" in event:
            overrides[(uid, event["RECURRENCE-ID"].dt.astimezone(UTC))] = event["DTSTART"].dt.astimezone(UTC)
        elif "RRULE" in event:
            masters[uid] = event
        elif event.get("STATUS") != "CANCELLED":
            singles.append(event["DTSTART"].dt.astimezone(UTC))
    result = list(singles)
    for uid, event in masters.items():
        start = event["DTSTART"].dt
        assert start.tzinfo is not None and str(start.tzinfo) == "America/New_York"
        zone = ZoneInfo(str(start.tzinfo))
        rule = event["RRULE"].to_ical().decode()
        plain = ";".join(part for part in rule.split(";") if not part.startswith("UNTIL="))
        local_rule = du_rrule.rrulestr(plain, dtstart=start.replace(tzinfo=None))
        if "UNTIL=" in rule:
            until = event["RRULE"]["UNTIL"][0].astimezone(zone).replace(tzinfo=None)
            local_rule = local_rule.replace(until=until)  # type: ignore[union-attr]
        excluded = set()
        for exdate in event.get("EXDATE", []) if isinstance(event.get("EXDATE"), list) else [event.get("EXDATE")]:
            if exdate is not None:
                excluded |= {d.dt.astimezone(UTC) for d in exdate.dts}
        for naive in local_rule.between(
            lo.astimezone(zone).replace(tzinfo=None) - timedelta(days=2), hi.replace(tzinfo=None), inc=True
        ):
            moment = naive.replace(tzinfo=zone).astimezone(UTC)
            if moment in excluded:
                continue
            result.append(overrides.get((uid, moment), moment))
    return sorted(m for m in result if lo <= m < hi)


def test_public_feed_expands_to_the_sessions_the_app_shows(group: Group) -> None:
    with scopes_disabled():
        text = calendars.public_group_calendar(group, now=utc(2026, 2, 1))
        expected = [o.starts_at for o in occurrences(group, utc(2026, 1, 1), utc(2027, 1, 1), include_cancelled=False)]
    assert "\r\n" in text and all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    cal = icalendar.Calendar.from_ical(text)
    assert _expand(cal, utc(2026, 1, 1), utc(2027, 1, 1)) == expected
    assert utc(2026, 3, 13, 22) in expected and utc(2026, 12, 24, 16) in expected


def test_public_feed_names_the_zone_and_carries_its_vtimezone(group: Group) -> None:
    with scopes_disabled():
        text = calendars.public_group_calendar(group, now=utc(2026, 2, 1))
    cal = icalendar.Calendar.from_ical(text)
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["America/New_York"]
    parts = {(p.name, p["DTSTART"].dt.replace(tzinfo=None)): p for p in zones[0].subcomponents}
    spring = parts[("DAYLIGHT", datetime(2026, 3, 8, 2, 0))]
    autumn = parts[("STANDARD", datetime(2026, 11, 1, 2, 0))]
    assert (spring["TZOFFSETFROM"].td, spring["TZOFFSETTO"].td) == (timedelta(hours=-5), timedelta(hours=-4))
    assert (autumn["TZOFFSETFROM"].td, autumn["TZOFFSETTO"].td) == (timedelta(hours=-4), timedelta(hours=-5))
    assert "DTSTART;TZID=America/New_York:20260101T180000" in text
    assert "EXDATE;TZID=America/New_York:20260305T180000" in text
    assert "RECURRENCE-ID;TZID=America/New_York:20260312T180000" in text
    assert "RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270101T045959Z" not in text
    assert "RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20260701T035959Z" in text


def test_public_feed_says_nothing_private(group: Group, harbor: Any) -> None:
    with scopes_disabled():
        text = calendars.public_group_calendar(group)
    unfolded = text.replace("\r\n ", "")
    assert "secret-room" not in unfolded
    assert harbor.user("peer").email not in unfolded and "Peer Harbor" not in unfolded
    assert "A circle\\; for anyone\\, grieving." in unfolded
    assert "1 Main Street" in unfolded


def test_public_feed_page(group: Group, riverbend: Any) -> None:
    url = reverse("groups:public_calendar", kwargs={"org_slug": "harbor", "group_slug": group.slug})
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in response.content
    for slug, group_slug in (("riverbend", group.slug), ("harbor", "nope"), ("nowhere", group.slug)):
        assert Client().get(reverse("groups:public_calendar", args=[slug, group_slug])).status_code == 404
    with scopes_disabled():
        Group.objects.filter(pk=group.pk).update(is_public=False)
    assert Client().get(url).status_code == 404


def test_facilitator_feed_and_what_revokes_it(group: Group, harbor: Any) -> None:
    peer = harbor.user("peer")
    with scopes_disabled():
        other = make_group(harbor, "Not Theirs", facilitator=harbor.user("coordinator"))
        make_schedule(other)
        co = make_group(harbor, "Co Led", facilitator=harbor.user("coordinator"))
        co.co_facilitators.add(peer)
        make_schedule(co)
    token = calendars.facilitator_token(peer, harbor.organisation)
    url = reverse("groups:facilitator_calendar", args=[token])
    response = Client().get(url)
    assert response.status_code == 200
    text = response.content.decode().replace("\r\n ", "")
    cal = icalendar.Calendar.from_ical(text)
    assert {str(e["SUMMARY"]) for e in cal.walk("VEVENT")} == {"Thursday Circle", "Co Led"}
    assert SECRET_LINK in text  # the facilitator needs the link
    assert response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    # Tampered, or the password changed: the address stops working.
    assert Client().get(reverse("groups:facilitator_calendar", args=[token[:-2] + "xx"])).status_code == 404
    with scopes_disabled():
        peer.set_password("a new long passphrase for the test")
        peer.save()
    assert Client().get(url).status_code == 404
    # The role ends: a new token for the ended member does not work either.
    token = calendars.facilitator_token(peer, harbor.organisation)
    with scopes_disabled():
        Membership.objects.filter(user=peer, organisation=harbor.organisation).update(is_active=False)
    assert Client().get(reverse("groups:facilitator_calendar", args=[token])).status_code == 404
