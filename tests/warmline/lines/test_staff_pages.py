"""Staff line pages: who may see and change lines, the list with each line's status now (constant
query count), the line form, the weekly hours form without JavaScript, closures (good and bad
input, nothing written on error, a GET never writes), the outsider's 404 and the navigation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.warmline.models import Line, LineClosure
from tests.warmline.lines.helpers import make_closure, make_line

pytestmark = pytest.mark.django_db

# Tuesday 24 November 2026, 19:00 in New York.
EVENING = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def url(name: str, t: Any, *args: Any) -> str:
    return reverse(f"warmline:{name}", args=[t.organisation.slug, *args])


@pytest.fixture
def line(harbor: Any) -> Line:
    return make_line(harbor)


def line_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Evening Line",
        "slug": "",
        "description": "Talk with a peer. Not a crisis line.",
        "program": "",
        "audience": "everyone",
        "languages": ["en"],
        "max_chats_per_peer": "2",
        "is_public": "on",
        "is_active": "on",
        "phone_1_label": "Call or text",
        "phone_1_number": "(207) 555-0100",
        "phone_1_public": "on",
    }
    data.update(overrides)
    return data


@time_machine.travel(EVENING, tick=False)
def test_list_shows_status_now_for_every_role_with_view(harbor: Any, line: Line, login_as: Any) -> None:
    for role in ("admin", "coordinator", "supervisor", "peer"):
        page = login_as(harbor.user(role)).get(url("line_list", harbor))
        assert page.status_code == 200, role
        assert "Evening Line" in page.content.decode() and "Open now until 10 p.m." in page.content.decode()
    assert login_as(harbor.user("funder")).get(url("line_list", harbor)).status_code == 403
    peer_page = login_as(harbor.user("peer")).get(url("line_list", harbor)).content.decode()
    assert url("line_create", harbor) not in peer_page


def test_list_query_count_does_not_grow_with_lines(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = login_as(harbor.user("coordinator"))
    first = make_line(harbor, "Line One")
    make_closure(first, date(2030, 1, 1))
    client.get(url("line_list", harbor))
    with django_assert_max_num_queries(12) as few:
        client.get(url("line_list", harbor))
    for n in range(5):
        made = make_line(harbor, f"Line {n + 2}")
        make_closure(made, date(2030, 1, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("line_list", harbor)).status_code == 200


def test_create_a_line_then_its_hours(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    assert client.get(url("line_create", harbor)).status_code == 200
    response = client.post(url("line_create", harbor), line_post())
    with scopes_disabled():
        line = Line.objects.get(organisation=harbor.organisation)
    assert response.status_code == 302 and response["Location"] == url("line_hours", harbor, line.pk)
    assert line.phone_numbers == [{"label": "Call or text", "number": "+12075550100", "public": True}]
    hours = {"d0_1_opens": "18:00", "d0_1_closes": "22:00", "d4_1_opens": "20:00", "d4_1_closes": "02:00"}
    hours["d4_1_overnight"] = "on"
    assert client.get(url("line_hours", harbor, line.pk)).status_code == 200
    response = client.post(url("line_hours", harbor, line.pk), hours)
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.hours == [
        {"day": 0, "opens": "18:00", "closes": "22:00", "overnight": False},
        {"day": 4, "opens": "20:00", "closes": "02:00", "overnight": True},
    ]
    again = client.get(url("line_hours", harbor, line.pk)).content.decode()
    assert 'value="20:00"' in again and 'value="02:00"' in again


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"name": ""}, "This field is required"),
        ({"phone_1_number": "call me"}, "not a phone number we can use"),
        ({"phone_1_number": "", "chat_enabled": ""}, "a way to reach the line"),
        ({"languages": ["xx"]}, "Select a valid choice"),
        ({"slug": "Bad Slug"}, "lower-case letters"),
        ({"max_chats_per_peer": "9"}, "less than or equal to 5"),
    ],
)
def test_bad_line_form_input_is_a_clear_400_and_writes_nothing(
    harbor: Any, login_as: Any, overrides: dict[str, Any], words: str
) -> None:
    response = login_as(harbor.user("coordinator")).post(url("line_create", harbor), line_post(**overrides))
    assert response.status_code == 400
    assert words in response.content.decode()
    with scopes_disabled():
        assert not Line.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"d1_1_opens": "22:00", "d1_1_closes": "18:00"}, "Tuesday: the line closes before it opens"),
        ({"d1_1_opens": "09:00", "d1_1_closes": "13:00", "d1_2_opens": "12:00", "d1_2_closes": "14:00"}, "overlaps"),
        ({"d1_1_opens": "09:00"}, "enter both the opening and the closing time"),
        ({"d1_1_opens": "nine", "d1_1_closes": "10:00"}, "Enter a valid time"),
    ],
)
def test_bad_hours_are_a_clear_400_and_keep_the_old_hours(
    harbor: Any, line: Line, login_as: Any, data: dict[str, str], words: str
) -> None:
    before = list(line.hours)
    response = login_as(harbor.user("admin")).post(url("line_hours", harbor, line.pk), data)
    assert response.status_code == 400
    assert words in response.content.decode()
    line.refresh_from_db()
    assert line.hours == before


def test_edit_a_line(harbor: Any, line: Line, login_as: Any) -> None:
    client = login_as(harbor.user("admin"))
    form = client.get(url("line_edit", harbor, line.pk)).content.decode()
    assert 'value="+12075550100"' in form
    response = client.post(url("line_edit", harbor, line.pk), line_post(name="Late Line", chat_enabled="on"))
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.name == "Late Line" and line.chat_enabled


def test_closures_added_shown_and_removed(harbor: Any, line: Line, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    assert client.get(url("closure_add", harbor, line.pk)).status_code == 200
    response = client.post(url("closure_add", harbor, line.pk), {"reason": "Thanksgiving", "starts_on": "2030-11-28"})
    assert response.status_code == 302
    with scopes_disabled():
        closure = LineClosure.objects.get(line=line)
    detail = client.get(url("line_detail", harbor, line.pk)).content.decode()
    assert "Thanksgiving" in detail and "Thursday 28 November 2030" in detail
    remove = url("closure_remove", harbor, line.pk, closure.pk)
    assert client.get(remove).status_code == 405  # a GET never writes
    assert client.post(remove).status_code == 302
    with scopes_disabled():
        assert not LineClosure.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"reason": "", "starts_on": "2030-11-28"}, "This field is required"),
        ({"reason": "Training", "starts_on": "2030-11-28", "ends_on": "2030-11-27"}, "on or after the first day"),
        ({"reason": "Training", "starts_on": "2030-11-28", "start_time": "18:00"}, "both the time it closes"),
        ({"reason": "Training", "starts_on": "soon"}, "Enter a valid date"),
    ],
)
def test_bad_closures_are_a_clear_400(harbor: Any, line: Line, login_as: Any, data: dict[str, str], words: str) -> None:
    response = login_as(harbor.user("admin")).post(url("closure_add", harbor, line.pk), data)
    assert response.status_code == 400 and words in response.content.decode()
    with scopes_disabled():
        assert not LineClosure.objects.exists()


def test_peers_see_but_do_not_change(harbor: Any, line: Line, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    assert client.get(url("line_detail", harbor, line.pk)).status_code == 200
    for name in ("line_edit", "line_hours", "closure_add"):
        assert client.get(url(name, harbor, line.pk)).status_code == 403
    assert client.get(url("line_create", harbor)).status_code == 403


def test_outsider_gets_404_for_every_line_page(harbor: Any, line: Line, outsider: Any, login_as: Any) -> None:
    closure = make_closure(line, date(2030, 1, 1))
    client = login_as(outsider)
    for name in ("line_detail", "line_edit", "line_hours", "closure_add"):
        assert client.get(url(name, harbor, line.pk)).status_code == 404
        own_prefix = reverse(f"warmline:{name}", args=["riverbend", line.pk])
        assert client.get(own_prefix).status_code == 404
    assert client.post(reverse("warmline:closure_remove", args=["riverbend", line.pk, closure.pk])).status_code == 404
    with scopes_disabled():
        assert LineClosure.objects.filter(pk=closure.pk).exists()


def test_navigation_has_the_warm_line_for_those_who_may_view(harbor: Any, login_as: Any) -> None:
    assert url("line_list", harbor) in login_as(harbor.user("peer")).get("/app/harbor/").content.decode()
    assert url("line_list", harbor) not in login_as(harbor.user("funder")).get("/app/harbor/").content.decode()


def test_hours_form_keeps_every_period_of_a_busy_day(harbor: Any, login_as: Any) -> None:
    busy = [
        {"day": 0, "opens": opens, "closes": closes, "overnight": False}
        for opens, closes in (("08:00", "10:00"), ("12:00", "14:00"), ("18:00", "22:00"))
    ]
    line = make_line(harbor, "Busy Line", hours=busy)
    client = login_as(harbor.user("admin"))
    form = client.get(url("line_hours", harbor, line.pk)).content.decode()
    assert 'name="d0_3_opens"' in form and 'value="18:00"' in form
    data = {f"d0_{n}_{edge}": p[edge] for n, p in enumerate(busy, start=1) for edge in ("opens", "closes")}
    assert client.post(url("line_hours", harbor, line.pk), data).status_code == 302
    line.refresh_from_db()
    assert line.hours == busy
