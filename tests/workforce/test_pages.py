"""The wellbeing pages: who reaches them, the "How are you doing?" form (saved, and bad input
refused with a specific error and nothing written), one's own check-ins with notes (a logged read,
paged, nobody else's), stopping sharing, the supervisor's team page (their team's shared capacity
only, each shown check-in logged), the navigation, and the person's suggestions page unchanged by
a peer's signal."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.people import rights
from alongside.workforce.models import WellbeingCheckIn
from tests.conftest import ROLES
from tests.matching.helpers import make_peer, make_person, make_request
from tests.workforce.helpers import checkin, staff

pytestmark = pytest.mark.django_db

NOTE = "Slept badly after the Tuesday call"


def url(name: str, tenant: Any, *args: Any) -> str:
    return reverse(f"workforce:{name}", args=[tenant.organisation.slug, *args])


def actions_since(mark: int) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("action", "object_id"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def count() -> int:
    with scopes_disabled():
        return WellbeingCheckIn.objects.count()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_wellbeing_pages(harbor, login_as, role):
    client = login_as(harbor.user(role))
    staff_role = role in ("admin", "coordinator", "supervisor", "peer")
    assert client.get(url("wellbeing", harbor)).status_code == (200 if staff_role else 403)
    assert client.get(url("wellbeing_team", harbor)).status_code == (200 if role == "supervisor" else 403)
    home = client.get(f"/app/{harbor.organisation.slug}/").content.decode()
    assert (url("wellbeing", harbor) in home) == staff_role
    assert (url("wellbeing_team", harbor) in home) == (role == "supervisor")


def test_the_page_explains_who_sees_what_with_self_care_and_the_full_crisis_notice(harbor, login_as):
    client = login_as(harbor.user("peer"))
    mark = last_id()
    response = client.get(url("wellbeing", harbor))
    text = response.content.decode()
    assert "<h1>How are you doing?</h1>" in text
    assert "Who sees what" in text and "only you. Not your supervisor" in text
    assert "for 14 days, your supervisor sees that answer" in text
    assert "Looking after yourself" in text
    assert "This is not a crisis service." in text and "crisis-notice--compact" not in text
    assert "no-store" in response["Cache-Control"]
    assert "You have not checked in yet." in text
    assert actions_since(mark) == []  # nothing P3 shown, nothing to log


def test_checking_in_saves_it_privately_and_the_writer_sees_it_with_the_note(harbor, login_as):
    client = login_as(harbor.user("peer"))
    response = client.post(url("wellbeing", harbor), {"capacity": "full", "mood": "2", "note": NOTE})
    assert response.status_code == 302 and response["Location"] == url("wellbeing", harbor)
    with scopes_disabled():
        made = WellbeingCheckIn.objects.get()
    assert (made.user, made.capacity, made.mood, made.note, made.shared) == (
        harbor.user("peer"),
        "full",
        2,
        NOTE,
        False,
    )
    mark = last_id()
    text = client.get(url("wellbeing", harbor)).content.decode()
    assert "Only you can see it." in text
    assert NOTE in text and "I&#x27;m about full" in text and "Struggling a bit" in text
    assert "No: only you see it" in text and "Stop sharing" not in text
    assert actions_since(mark) == [("wellbeing_checkin.view_own", str(harbor.user("peer").pk))]


def test_sharing_is_said_back_and_can_be_stopped_by_the_writer_only(harbor, login_as):
    client = login_as(harbor.user("peer"))
    client.post(url("wellbeing", harbor), {"capacity": "stretched", "shared": "on"})
    with scopes_disabled():
        made = WellbeingCheckIn.objects.get()
    assert made.shared
    text = client.get(url("wellbeing", harbor)).content.decode()
    assert "Yes: the room you have, with your supervisor and matching" in text
    stop = url("checkin_stop_sharing", harbor, made.pk)
    assert stop in text
    # Someone else (even their supervisor, or an admin) gets the same 404 as for a missing one.
    for other in ("supervisor", "admin"):
        assert login_as(harbor.user(other)).post(stop).status_code == 404
    assert login_as(harbor.user("referrer")).post(stop).status_code == 403
    made.refresh_from_db()
    assert made.shared
    assert client.get(stop).status_code == 405
    response = client.post(stop)
    assert response.status_code == 302
    made.refresh_from_db()
    assert not made.shared
    assert "no longer shared" in client.get(url("wellbeing", harbor)).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose how much room you have"),
        ({"capacity": "exhausted"}, "Choose how much room you have"),
        ({"capacity": "room", "mood": "9"}, "Choose one of the five answers, or leave it out."),
        ({"capacity": "room", "note": "x" * 2001}, "Keep the note to 2000 characters or fewer."),
    ],
    ids=["no capacity", "unknown capacity", "mood 9", "long note"],
)
def test_bad_input_is_refused_with_a_specific_error_and_nothing_is_written(harbor, login_as, data, error):
    client = login_as(harbor.user("peer"))
    mark = last_id()
    response = client.post(url("wellbeing", harbor), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert 'class="form-errors"' in text and error in text
    assert count() == 0 and actions_since(mark) == []


def test_the_history_is_the_writers_own_and_paged(harbor, login_as):
    peer, colleague = harbor.user("peer"), harbor.user("coordinator")
    for n in range(11):
        checkin(harbor, peer, "room", days_ago=n + 1, note=f"Own note {n:02d}")
    checkin(harbor, colleague, "stretched", shared=True, note="The coordinator's own note")
    client = login_as(peer)
    first = client.get(url("wellbeing", harbor)).content.decode()
    assert "Own note 00" in first and "Own note 09" in first and "Own note 10" not in first
    assert "Page 1 of 2" in first
    assert "coordinator&#x27;s own note" not in first
    second = client.get(url("wellbeing", harbor) + "?page=2").content.decode()
    assert "Own note 10" in second and "Own note 00" not in second


def test_the_supervisor_sees_their_teams_shared_capacity_and_nothing_else(harbor, login_as):
    peer = harbor.user("peer")  # supervised by harbor's supervisor
    stranger = staff(harbor, "Uma")
    shown = checkin(harbor, peer, "stretched", shared=True, days_ago=2, mood=1, note=NOTE)
    checkin(harbor, peer, "room", shared=False, days_ago=1, mood=5, note="A private second note")
    checkin(harbor, stranger, "full", shared=True, note="Uma's note")
    client = login_as(harbor.user("supervisor"))
    mark = last_id()
    response = client.get(url("wellbeing_team", harbor))
    assert response.status_code == 200
    text = response.content.decode()
    assert peer.display_name in text
    assert "I’m stretched" in text or "I&#x27;m stretched" in text
    assert "Shared 2\xa0days ago" in text
    for hidden in (NOTE, "private second note", "Having a really hard time", "Really good", "Uma", "about full"):
        assert hidden not in text, hidden
    assert actions_since(mark) == [("wellbeing_checkin.view_shared", str(shown.pk))]


def test_the_team_page_says_when_nothing_was_shared_and_logs_nothing(harbor, login_as):
    checkin(harbor, harbor.user("peer"), "stretched", shared=False, note=NOTE)
    client = login_as(harbor.user("supervisor"))
    mark = last_id()
    text = client.get(url("wellbeing_team", harbor)).content.decode()
    assert "Nothing shared in the last 14 days." in text and "please don" not in text
    assert actions_since(mark) == []


def test_the_persons_suggestions_read_the_same_when_a_peer_is_stretched(harbor):
    """The person's own page (/me/mentorship/): a stretched peer comes later, with the same words,
    and nothing about wellbeing is said."""
    with scopes_disabled():
        ana = make_peer(harbor, "Ana")
        make_peer(harbor, "Ben")
        person = make_person(harbor, "Robin")
        make_request(harbor, person)
        _link, token = rights.access_link_create(acting_user=harbor.user("coordinator"), participant=person)
    client = Client()
    client.post(f"/me/start/{token}/")

    def cards() -> list[str]:
        text = client.get("/me/mentorship/").content.decode()
        return [part.split("</li>")[0] for part in text.split('<li class="card suggestion">')[1:]]

    before = cards()
    checkin(harbor, ana, "stretched", shared=True)
    after = cards()
    assert len(before) == len(after) == 2
    assert "Ana" in after[1] and "Ben" in after[0]
    assert sorted(before) == sorted(after)  # each card reads exactly as before
    for card in after:
        assert "stretch" not in card.lower() and "wellbeing" not in card.lower()
