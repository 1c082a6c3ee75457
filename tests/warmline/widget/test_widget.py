"""The embeddable widget: the public status JSON (P1 fields only, open / chat available / closed
with the next opening, any origin may read it, no cookies, cached 30 s, 404 for hidden, out of
service or unknown lines), the script itself, and the snippet on the line's staff page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.accounts.models import Organisation
from alongside.warmline import shifts
from alongside.warmline.models import Line
from tests.warmline.lines.helpers import make_line

pytestmark = pytest.mark.django_db

EVENING = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # Tuesday 24 November, 19:00 in New York
MORNING = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday, 9:00 in New York
FIELDS = {
    "line",
    "organisation",
    "open",
    "chat_enabled",
    "chat_available",
    "status",
    "next_opening",
    "closes_at",
    "line_url",
    "chat_url",
    "crisis",
    "texts",
}


def status_url(line: Line) -> str:
    return reverse("warmline:line_status", args=[line.organisation.slug, line.slug])


@pytest.fixture
def line(harbor: Any) -> Line:
    return make_line(
        harbor,
        chat_enabled=True,
        phone_numbers=[{"label": "Back line", "number": "+12075550199", "public": False}],
        description="Someone to talk to",
    )


@pytest.fixture
def peer_free(monkeypatch: pytest.MonkeyPatch, harbor: Any) -> None:
    monkeypatch.setattr(shifts, "available_peers", lambda line, at: [harbor.user("peer")])


@time_machine.travel(EVENING, tick=False)
def test_open_with_a_peer_free_says_chat_now(line: Line, peer_free: None) -> None:
    client = Client()
    response = client.get(status_url(line), HTTP_ORIGIN="https://example.org")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=30"
    assert not response.cookies  # no session, no CSRF cookie, no language cookie
    data = response.json()
    assert set(data) == FIELDS
    assert (data["open"], data["chat_enabled"], data["chat_available"]) == (True, True, True)
    assert data["status"] == "Open now until 10 p.m." and data["next_opening"] is None
    assert data["closes_at"] == "2026-11-25T03:00:00+00:00"
    assert data["chat_url"] == "http://testserver" + reverse("warmline:chat_start", args=["harbor", line.slug])
    assert data["line_url"] == "http://testserver" + reverse("warmline:public_line", args=["harbor", line.slug])
    assert "not a crisis line" in data["texts"]["not_crisis"] and "988" in data["texts"]["not_crisis"]
    assert data["texts"]["chat"] == "Chat with a peer"


@time_machine.travel(EVENING, tick=False)
def test_open_with_nobody_free_is_open_but_no_chat(line: Line, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shifts, "available_peers", lambda line, at: [])
    data = Client().get(status_url(line)).json()
    assert (data["open"], data["chat_available"]) == (True, False)


@time_machine.travel(MORNING, tick=False)
def test_closed_gives_the_next_opening(line: Line, peer_free: None) -> None:
    data = Client().get(status_url(line)).json()
    assert (data["open"], data["chat_available"]) == (False, False)
    assert data["next_opening"] == "2026-11-24T23:00:00+00:00"  # 6 p.m. in New York
    assert data["status"].startswith("Opens") and data["closes_at"] is None


@time_machine.travel(EVENING, tick=False)
def test_a_line_without_chat_has_no_chat_link(harbor: Any, peer_free: None) -> None:
    data = Client().get(status_url(make_line(harbor, "Phone Line", chat_enabled=False))).json()
    assert (data["chat_enabled"], data["chat_available"], data["chat_url"]) == (False, False, "")


@time_machine.travel(EVENING, tick=False)
def test_only_public_facts(line: Line, peer_free: None, harbor: Any) -> None:
    text = Client().get(status_url(line)).content.decode()
    for private in ("+12075550199", "Back line", harbor.user("peer").email, str(line.pk), "Peer Harbor"):
        assert private not in text


@pytest.mark.parametrize("change", ["hidden", "inactive", "organisation", "unknown"])
def test_hidden_inactive_or_unknown_lines_are_404(line: Line, change: str) -> None:
    url = status_url(line)
    with scopes_disabled():
        hide(line, change)
    if change == "unknown":
        url = reverse("warmline:line_status", args=["harbor", "no-such-line"])
    response = Client().get(url)
    assert response.status_code == 404 and response.json() == {"error": "not_found"}
    assert response["Access-Control-Allow-Origin"] == "*" and not response.cookies


def hide(line: Line, change: str) -> None:
    if change == "hidden":
        Line.objects.filter(pk=line.pk).update(is_public=False)
    elif change == "inactive":
        Line.objects.filter(pk=line.pk).update(is_active=False)
    elif change == "organisation":
        Organisation.objects.filter(pk=line.organisation_id).update(is_active=False)


def test_only_get(line: Line) -> None:
    assert Client().post(status_url(line)).status_code == 405


def test_the_script_is_served_and_needs_no_frame_or_cookie() -> None:
    found = finders.find("alongside/js/widget.js")
    assert found
    with open(found, encoding="utf-8") as script:  # noqa: PTH123
        text = script.read()
    assert "status.json" in text and 'credentials: "omit"' in text and "data-line" in text
    assert "iframe" not in text.replace("no iframe", "") and "document.cookie" not in text
    assert 'target = "_blank"' in text and "noopener" in text


def test_the_staff_line_page_shows_the_snippet(line: Line, harbor: Any, login_as: Any) -> None:
    page = login_as(harbor.user("coordinator")).get(
        reverse("warmline:line_detail", args=[harbor.organisation.slug, line.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/alongside/js/widget.js" in html
    assert f'data-line="harbor/{line.slug}" async' in html
