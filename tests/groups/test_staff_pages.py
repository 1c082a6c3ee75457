"""Staff group pages: who sees which group, the list's filters and constant query count, the group
form (good and bad input, nothing written on error), schedules from plain words, one session's
cancel and move (a GET never writes), one-offs, the agreement, the status, and the facilitator's
calendar page."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from alongside.groups.models import Group, GroupAgreement, Schedule, Session, SessionStatus
from alongside.groups.schedules import occurrences
from tests.groups.helpers import groups_program, make_group, make_schedule

pytestmark = pytest.mark.django_db


def url(name: str, t: Any, *args: Any) -> str:
    return reverse(f"groups:{name}", args=[t.organisation.slug, *args])


def next_thursday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=(3 - today.weekday()) % 7 or 7)


@pytest.fixture
def group(harbor: Any) -> Group:
    """Every other Thursday at 6 pm in New York, from next Thursday."""
    with scopes_disabled():
        group = make_group(harbor, "Thursday Circle", description="For anyone grieving a loss.")
        make_schedule(group, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", start_date=next_thursday(), start_time=time(18))
    return group


def upcoming(group: Group) -> list[Any]:
    with scopes_disabled():
        return occurrences(group, timezone.now(), timezone.now() + timedelta(days=60))


def test_list_who_sees_what_and_filters(harbor: Any, group: Group, login_as: Any) -> None:
    with scopes_disabled():
        other = make_group(harbor, "Coordinator Circle", facilitator=harbor.user("coordinator"), format="phone")
    coordinator = login_as(harbor.user("coordinator")).get(url("group_list", harbor))
    assert coordinator.status_code == 200
    assert b"Thursday Circle" in coordinator.content and b"Coordinator Circle" in coordinator.content
    assert "Every other Thursday, 6 p.m.–7:30 p.m. (America/New_York)" in coordinator.content.decode()
    peer = login_as(harbor.user("peer")).get(url("group_list", harbor))
    assert b"Thursday Circle" in peer.content and b"Coordinator Circle" not in peer.content
    filtered = login_as(harbor.user("coordinator")).get(url("group_list", harbor) + "?format=phone").content.decode()
    assert url("group_detail", harbor, other.pk) in filtered and url("group_detail", harbor, group.pk) not in filtered
    for query in ("?program=not-a-uuid", f"?program={other.program_id}", "?status=bogus&format=%00"):
        assert login_as(harbor.user("coordinator")).get(url("group_list", harbor) + query).status_code == 200
    assert login_as(harbor.user("referrer")).get(url("group_list", harbor)).status_code == 403


def test_list_query_count_does_not_grow(harbor: Any, group: Group, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    client.get(url("group_list", harbor))
    with CaptureQueriesContext(connection) as few:
        client.get(url("group_list", harbor))
    with scopes_disabled():
        for n in range(4):
            make_schedule(make_group(harbor, f"More {n}"))
    with CaptureQueriesContext(connection) as many:
        assert b"More 3" in client.get(url("group_list", harbor)).content
    assert len(many) == len(few)


def test_detail_for_the_facilitator_and_not_for_another_peer(harbor: Any, group: Group, login_as: Any) -> None:
    page = login_as(harbor.user("peer")).get(url("group_detail", harbor, group.pk))
    assert page.status_code == 200
    text = page.content.decode()
    first = upcoming(group)[0]
    assert "Every other Thursday" in text
    assert date_format(first.starts_at.astimezone(ZoneInfo("America/New_York")), "l j F Y, P") in text
    assert reverse("groups:roster", args=["harbor", group.pk, first.key]) in text
    assert url("group_edit", harbor, group.pk) not in text  # peers do not change groups
    with scopes_disabled():
        Group.objects.filter(pk=group.pk).update(facilitator=harbor.user("coordinator"))
    assert login_as(harbor.user("peer")).get(url("group_detail", harbor, group.pk)).status_code == 404
    assert login_as(harbor.user("supervisor")).get(url("group_detail", harbor, group.pk)).status_code == 200


def _group_post(t: Any, chosen: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "name": "Evening Circle",
        "program": str(chosen.pk),
        "audience": "adults",
        "language": "en",
        "format": "in_person",
        "site": str(t.site.pk),
        "joining": "drop_in",
        "timezone": "America/Chicago",
        "facilitator": str(t.user("peer").pk),
        "co_facilitators": [str(t.user("supervisor").pk)],
        "topics": ["grief", "trauma"],
        "is_public": "on",
        "is_free": "on",
        "is_open": "on",
    }
    data.update(extra)
    return data


def test_create_and_edit(harbor: Any, login_as: Any) -> None:
    with scopes_disabled():
        program = groups_program(harbor)
    client = login_as(harbor.user("coordinator"))
    assert client.get(url("group_create", harbor)).status_code == 200
    response = client.post(url("group_create", harbor), _group_post(harbor, program))
    assert response.status_code == 302
    with scopes_disabled():
        group = Group.objects.get(name="Evening Circle")
        assert (group.slug, group.timezone, group.topics) == ("evening-circle", "America/Chicago", ["grief", "trauma"])
        assert list(group.co_facilitators.all()) == [harbor.user("supervisor")]
    assert response["Location"] == url("group_detail", harbor, group.pk)
    assert client.get(url("group_edit", harbor, group.pk)).status_code == 200
    edited = client.post(url("group_edit", harbor, group.pk), _group_post(harbor, program, name="Evening Circle Two"))
    assert edited.status_code == 302
    with scopes_disabled():
        assert Group.objects.get(pk=group.pk).name == "Evening Circle Two"
    assert login_as(harbor.user("peer")).get(url("group_edit", harbor, group.pk)).status_code == 403


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"format": "online", "site": ""}, "needs its video link"),
        ({"format": "online", "site": "", "online_url": "ftp://x"}, "https://"),
        ({"joining": "registration"}, "number of places"),
        ({"program": "not-an-id"}, "Choose a program from the list"),
        ({"facilitator": "not-an-id"}, "Choose the facilitator from the list"),
        ({"co_facilitators": ["x"]}, "Choose co-facilitators from the list"),
        ({"timezone": "Mars/Base"}, "Select a valid choice"),
        ({"topics": ["astrology"]}, "Select a valid choice"),
        ({"audience": "families"}, "does not serve families"),
        ({"capacity": "-3"}, "greater than or equal to 1"),
    ],
)
def test_create_bad_input(harbor: Any, login_as: Any, extra: dict[str, Any], message: str) -> None:
    with scopes_disabled():
        program = groups_program(harbor)
    response = login_as(harbor.user("coordinator")).post(
        url("group_create", harbor), _group_post(harbor, program, **extra)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert not Group.objects.exists()


def test_schedule_from_plain_words(harbor: Any, group: Group, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    assert client.get(url("schedule_add", harbor, group.pk)).status_code == 200
    data = {
        "pattern": "monthly_-1",
        "weekday": "FR",
        "start_time": "12:30",
        "duration_minutes": "60",
        "start_date": "2030-01-01",
    }
    assert client.post(url("schedule_add", harbor, group.pk), data).status_code == 302
    with scopes_disabled():
        schedule = Schedule.objects.get(group=group, rrule="FREQ=MONTHLY;BYDAY=-1FR")
    assert "On the last Friday of each month" in client.get(url("group_detail", harbor, group.pk)).content.decode()
    edit = url("schedule_edit", harbor, group.pk, schedule.pk)
    assert 'value="monthly_-1"' in client.get(edit).content.decode()
    assert client.post(edit, {**data, "pattern": "weekly", "weekday": "SA"}).status_code == 302
    with scopes_disabled():
        assert Schedule.objects.get(pk=schedule.pk).rrule == "FREQ=WEEKLY;BYDAY=SA"
    end = url("schedule_end", harbor, group.pk, schedule.pk)
    assert client.post(end, {"last_date": "2029-01-01"}).status_code == 400
    assert client.post(end, {"last_date": "2030-06-30"}).status_code == 302
    with scopes_disabled():
        assert Schedule.objects.get(pk=schedule.pk).until == date(2030, 6, 30)


@pytest.mark.parametrize(
    "bad",
    [
        {"pattern": "daily"},
        {"weekday": "XX"},
        {"start_time": "25:99"},
        {"start_time": ""},
        {"duration_minutes": "5"},
        {"start_date": "2030-02-31"},
        {"until": "2029-12-01"},
    ],
)
def test_schedule_bad_input(harbor: Any, group: Group, login_as: Any, bad: dict[str, str]) -> None:
    data = {
        "pattern": "weekly",
        "weekday": "MO",
        "start_time": "18:00",
        "duration_minutes": "90",
        "start_date": "2030-01-01",
    }
    response = login_as(harbor.user("coordinator")).post(url("schedule_add", harbor, group.pk), {**data, **bad})
    assert response.status_code == 400
    assert b"error" in response.content
    with scopes_disabled():
        assert Schedule.objects.filter(group=group).count() == 1


def test_cancel_move_reinstate_and_one_off(harbor: Any, group: Group, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    first, second = upcoming(group)[:2]
    cancel = url("session_cancel", harbor, group.pk, first.key)
    assert client.get(cancel).status_code == 200
    with scopes_disabled():
        assert not Session.objects.exists()  # looking at the form writes nothing
    assert (
        client.get(
            url(
                "session_cancel",
                harbor,
                group.pk,
                f"{first.schedule_id}_{first.starts_at + timedelta(days=1):%Y%m%dT%H%M%SZ}",
            )
        ).status_code
        == 404
    )
    assert client.post(cancel, {"note": "x" * 301}).status_code == 400
    with scopes_disabled():
        assert not Session.objects.exists()  # nothing half-written on error
    assert client.post(url("session_reinstate", harbor, group.pk, first.key)).status_code == 302  # not cancelled
    assert client.post(url("session_cancel", harbor, group.pk, "nonsense_key")).status_code == 404
    assert client.post(cancel, {"note": "Closed for the holiday"}).status_code == 302
    with scopes_disabled():
        row = Session.objects.get()
        assert (row.status, row.change_note) == (SessionStatus.CANCELLED, "Closed for the holiday")
    assert b"Closed for the holiday" in client.get(url("group_detail", harbor, group.pk)).content
    assert client.post(url("session_reinstate", harbor, group.pk, str(row.pk))).status_code == 302
    with scopes_disabled():
        assert Session.objects.get().status == SessionStatus.SCHEDULED

    move = url("session_move", harbor, group.pk, second.key)
    day = (second.starts_at + timedelta(days=1)).astimezone(ZoneInfo("America/New_York")).date()
    assert client.post(move, {"day": str(day), "start_time": "nope", "duration_minutes": "60"}).status_code == 400
    assert client.post(move, {"day": "2020-01-18", "start_time": "18:00", "duration_minutes": "60"}).status_code == 400
    assert client.post(move, {"day": str(day), "start_time": "17:00", "duration_minutes": "60"}).status_code == 302
    with scopes_disabled():
        moved = Session.objects.get(original_start=second.starts_at)
        new_york = moved.starts_at.astimezone(ZoneInfo("America/New_York"))
        assert (new_york.date(), new_york.hour, new_york.minute) == (day, 17, 0)

    add = url("session_add", harbor, group.pk)
    assert client.post(add, {"day": "", "start_time": "17:00", "duration_minutes": "60"}).status_code == 400
    assert (
        client.post(
            add, {"day": str(day + timedelta(days=7)), "start_time": "10:00", "duration_minutes": "120"}
        ).status_code
        == 302
    )
    with scopes_disabled():
        assert Session.objects.filter(schedule=None).count() == 1


def test_agreement_and_status(harbor: Any, group: Group, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    agreement = url("agreement_publish", harbor, group.pk)
    assert client.post(agreement, {"text": "  "}).status_code == 400
    assert client.post(agreement, {"text": "What is said here stays here."}).status_code == 302
    assert client.post(agreement, {"text": "What is said here stays here."}).status_code == 400
    assert client.post(agreement, {"text": "We listen without fixing."}).status_code == 302
    with scopes_disabled():
        assert list(
            GroupAgreement.objects.filter(group=group).order_by("version").values_list("version", flat=True)
        ) == [1, 2]
    detail = client.get(url("group_detail", harbor, group.pk)).content.decode()
    assert "Version 2" in detail and "Earlier versions" in detail
    status = url("group_status", harbor, group.pk)
    assert client.post(status, {"status": "gone"}).status_code == 400
    assert client.post(status, {"status": "paused"}).status_code == 302
    with scopes_disabled():
        assert Group.objects.get(pk=group.pk).status == "paused"


def test_calendar_subscribe_page_gives_a_working_address(harbor: Any, group: Group, login_as: Any) -> None:
    page = login_as(harbor.user("peer")).get(url("calendar_subscribe", harbor))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    feed = page.context["feed_url"]
    from django.test import Client

    response = Client().get(feed.removeprefix("http://testserver"))
    assert response.status_code == 200 and b"SUMMARY:Thursday Circle" in response.content
    assert login_as(harbor.user("funder")).get(url("calendar_subscribe", harbor)).status_code == 403
