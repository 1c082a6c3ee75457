"""Cancelling the next session (matching/mentorship.py ``next_session_cancel`` and the automatic
cancel when a mentorship pauses or ends): the row stays, marked, with one more SEQUENCE; its
calendar file becomes the RFC 5546 cancellation (same UID); a session set afterwards is a new
event; who may cancel; the staff page's button and download; the person's page and download."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.matching import mentorship, services
from alongside.matching.models import Match, NextSession
from alongside.people import rights
from tests.matching.helpers import make_peer
from tests.matching.test_mentorship import active, parse_ics
from tests.matching.test_person_pages import ME, assert_private, matched, me

pytestmark = pytest.mark.django_db

PLACE = "Harbor Wellness Center, room 2"


def events(obj: Any) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(object_id=str(obj.pk)).order_by("id").values_list("action", "actor_role"))


def upcoming(tenant: Any, match: Match, *, hours: int = 48) -> NextSession:
    return mentorship.next_session_set(
        acting_user=tenant.user("peer"),
        match=match,
        starts_at=timezone.now() + timedelta(hours=hours),
        duration_minutes=60,
        mode="in_person",
        location=PLACE,
    )


def ics_values(ns: NextSession) -> dict[str, str]:
    return dict(parse_ics(mentorship.next_session_ics(ns)))


# --- The service ---------------------------------------------------------------------------------


def test_cancelling_keeps_the_row_marks_it_and_tells_calendars(harbor):
    with scopes_disabled():
        match = active(harbor)
        ns = upcoming(harbor, match)
        published = ics_values(ns)
        cancelled = mentorship.next_session_cancel(acting_user=harbor.user("peer"), match=match)
        assert cancelled.pk == ns.pk and cancelled.uid == ns.uid
        assert cancelled.cancelled_at is not None and cancelled.cancelled_by == harbor.user("peer")
        assert cancelled.sequence == 1
        assert events(ns)[-1] == ("next_session.cancel", "peer")
        # Not upcoming any more; its cancellation is downloadable until it would have ended.
        assert mentorship.next_session_of(match) is None
        assert mentorship.cancelled_session_of(match) == cancelled
        assert mentorship.cancelled_session_of(match, now=cancelled.ends_at) is None
        values = ics_values(cancelled)
    assert published["METHOD"] == "PUBLISH" and published["STATUS"] == "CONFIRMED"
    assert values["METHOD"] == "CANCEL" and values["STATUS"] == "CANCELLED"
    assert values["UID"] == published["UID"]
    assert int(values["SEQUENCE"]) == int(published["SEQUENCE"]) + 1
    assert values["DTSTART"] == published["DTSTART"] and values["DTEND"] == published["DTEND"]
    assert values["SUMMARY"] == "Peer support session"


def test_a_session_set_after_a_cancel_is_a_new_event(harbor):
    with scopes_disabled():
        match = active(harbor)
        first = upcoming(harbor, match)
        mentorship.next_session_cancel(acting_user=harbor.user("coordinator"), match=match)
        NextSession.objects.filter(pk=first.pk).update(reminded_at=timezone.now())
        again = upcoming(harbor, match, hours=72)
        assert again.pk == first.pk  # one row per mentorship
        assert again.uid != first.uid and again.sequence == 0
        assert again.cancelled_at is None and again.cancelled_by is None and again.reminded_at is None
        assert mentorship.next_session_of(match) == again and mentorship.cancelled_session_of(match) is None
        assert ics_values(again)["METHOD"] == "PUBLISH"


@pytest.mark.parametrize(
    ("step", "role"),
    [
        (lambda t, m: services.match_pause(acting_user=t.user("peer"), match=m, reason="person_asked"), "peer"),
        (lambda t, m: services.match_pause(acting_user=None, match=m, reason="person_asked"), "participant"),
        (
            lambda t, m: mentorship.mentorship_close(
                acting_user=t.user("coordinator"), match=m, reason="goals_met", worked_on="Steady now."
            ),
            "coordinator",
        ),
        (lambda t, m: services.match_change_peer(acting_user=None, match=m), "participant"),
    ],
    ids=["pause", "pause-by-the-person", "close", "a-different-peer"],
)
def test_pausing_or_ending_cancels_the_upcoming_session(harbor, step, role):
    with scopes_disabled():
        match = active(harbor)
        ns = upcoming(harbor, match)
        step(harbor, match)
        ns.refresh_from_db()
        assert ns.is_cancelled and ns.sequence == 1
        assert events(ns)[-1] == ("next_session.cancel", role)
        assert mentorship.cancelled_session_of(match) == ns


def test_a_session_that_already_happened_is_not_cancelled_by_closing(harbor):
    with scopes_disabled():
        match = active(harbor)
        ns = upcoming(harbor, match)
        NextSession.objects.filter(pk=ns.pk).update(starts_at=timezone.now() - timedelta(hours=3))
        services.match_pause(acting_user=harbor.user("peer"), match=match, reason="peer_unavailable")
        ns.refresh_from_db()
        assert not ns.is_cancelled and ns.sequence == 0
        assert "next_session.cancel" not in [action for action, _role in events(ns)]


def test_who_may_cancel_and_when(harbor):
    with scopes_disabled():
        match = active(harbor)
        with pytest.raises(ValidationError) as nothing:
            mentorship.next_session_cancel(acting_user=harbor.user("peer"), match=match)
        assert "no upcoming session" in nothing.value.messages[0]
        ns = upcoming(harbor, match)
        other_peer = make_peer(harbor, "Alex")
        for someone in (None, other_peer, harbor.user("supervisor")):
            with pytest.raises(ValidationError) as refused:
                mentorship.next_session_cancel(acting_user=someone, match=match)  # type: ignore[arg-type]
            assert "Only the person's peer supporter, or a coordinator" in refused.value.messages[0]
        mentorship.next_session_cancel(acting_user=harbor.user("admin"), match=match)
        with pytest.raises(ValidationError) as twice:
            mentorship.next_session_cancel(acting_user=harbor.user("peer"), match=match)
        assert "already cancelled" in twice.value.messages[0]
        ns.refresh_from_db()
        assert ns.sequence == 1  # the refused attempts changed nothing
        assert [a for a, _r in events(ns)].count("next_session.cancel") == 1


def test_a_restricted_record_or_an_ended_mentorship_takes_no_cancel(harbor):
    with scopes_disabled():
        match = active(harbor)
        ns = upcoming(harbor, match)
        participant = match.participant
        participant.erasure_requested_at = timezone.now()
        participant.save(update_fields=["erasure_requested_at"])
        with pytest.raises(ValidationError) as restricted:
            mentorship.next_session_cancel(acting_user=harbor.user("peer"), match=match)
        assert "restricted" in restricted.value.messages[0]
        ns.refresh_from_db()
        assert not ns.is_cancelled
        Match.objects.filter(pk=match.pk).update(status="closed", closed_reason="goals_met")
        with pytest.raises(ValidationError) as ended:
            mentorship.next_session_cancel(acting_user=harbor.user("peer"), match=match)
        assert "only while the mentorship is going on" in ended.value.messages[0]


# --- The staff page ------------------------------------------------------------------------------


def url(match: Match, suffix: str = "") -> str:
    return f"/app/{match.organisation.slug}/mentorships/{match.pk}/{suffix}"


def test_the_staff_page_cancels_and_offers_the_cancellation(harbor, login_as):
    with scopes_disabled():
        match = active(harbor, "Robin")
        ns = upcoming(harbor, match)
    client = login_as(harbor.user("peer"))
    page = client.get(url(match)).content.decode()
    assert "Cancel this session" in page and "Cancel this session? Robin will see on their page" in page
    assert url(match, "next-session/cancel/") in page
    assert client.get(url(match, "next-session/cancel/")).status_code == 405  # a POST only
    done = client.post(url(match, "next-session/cancel/"))
    assert done.status_code == 302 and done["Location"] == url(match)
    page = client.get(url(match)).content.decode()
    assert "The session is cancelled. Please let Robin know." in page
    assert "This session was cancelled." in page and "Download the cancellation for your calendar" in page
    assert "Yes, cancel this session" not in page and "Set the next session" in page
    ics = client.get(url(match, "next-session.ics"))
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    values = dict(parse_ics(ics.content.decode()))
    assert values["METHOD"] == "CANCEL" and values["UID"].startswith(str(ns.uid))
    with scopes_disabled():
        assert events(ns)[-1] == ("next_session.download", "peer")
    again = client.post(url(match, "next-session/cancel/"))
    assert again.status_code == 400 and "This session is already cancelled." in again.content.decode()


def test_only_those_who_work_on_it_may_cancel_from_the_page(harbor, riverbend, login_as):
    with scopes_disabled():
        match = active(harbor)
        ns = upcoming(harbor, match)
        other_peer = make_peer(harbor, "Alex")
    assert login_as(harbor.user("supervisor")).post(url(match, "next-session/cancel/")).status_code == 403
    assert "Cancel this session" not in login_as(harbor.user("supervisor")).get(url(match)).content.decode()
    assert login_as(other_peer).post(url(match, "next-session/cancel/")).status_code == 404
    assert login_as(riverbend.user("admin")).post(url(match, "next-session/cancel/")).status_code == 404
    missing = url(match, "next-session/cancel/").replace(str(match.pk), "not-a-uuid")
    assert login_as(harbor.user("peer")).post(missing).status_code == 404
    with scopes_disabled():
        ns.refresh_from_db()
        assert not ns.is_cancelled


def test_the_cancellation_stays_downloadable_after_closing_until_its_time(harbor, login_as):
    with scopes_disabled():
        match = active(harbor)
        ns = upcoming(harbor, match)
    client = login_as(harbor.user("peer"))
    assert client.post(url(match, "close/"), {"reason": "goals_met", "worked_on": "Steady."}).status_code == 302
    page = client.get(url(match)).content.decode()
    assert "This session was cancelled." in page and "No next session is set." not in page
    assert dict(parse_ics(client.get(url(match, "next-session.ics")).content.decode()))["METHOD"] == "CANCEL"
    with scopes_disabled():
        NextSession.objects.filter(pk=ns.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    assert client.get(url(match, "next-session.ics")).status_code == 404
    assert "This session was cancelled." not in client.get(url(match)).content.decode()


# --- The person's pages --------------------------------------------------------------------------


def test_the_person_sees_the_cancel_and_downloads_it(harbor):
    person, match = matched(harbor)
    with scopes_disabled():
        ns = upcoming(harbor, match)
        services.match_pause(acting_user=harbor.user("peer"), match=match, reason="peer_unavailable")
    client = me(harbor, person)
    response = client.get(f"{ME}{match.pk}/")
    assert response.status_code == 200
    assert_private(response)
    text = response.content.decode()
    assert "This session was cancelled." in text and "Download the cancellation for your calendar" in text
    assert "Add it to your calendar" not in text
    ics = client.get(f"{ME}{match.pk}/next-session.ics")
    assert ics.status_code == 200 and "no-store" in ics["Cache-Control"]
    values = dict(parse_ics(ics.content.decode()))
    assert values["METHOD"] == "CANCEL" and values["STATUS"] == "CANCELLED" and values["SEQUENCE"] == "1"
    assert "Robin" not in ics.content.decode()
    with scopes_disabled():
        assert events(ns)[-1] == ("next_session.download", "participant")
        # Their access history says what happened, in words.
        words = [e.what for e in rights.access_history(person)]
    assert "Cancelled your next session" in words


def test_after_closing_the_person_finds_the_cancellation_with_their_summary(harbor, riverbend):
    person, match = matched(harbor)
    with scopes_disabled():
        upcoming(harbor, match)
        mentorship.mentorship_close(
            acting_user=harbor.user("peer"), match=match, reason="goals_met", worked_on="You found your feet."
        )
    client = me(harbor, person)
    summary = client.get(f"{ME}{match.pk}/summary/").content.decode()
    assert "This session was cancelled." in summary and f"{ME}{match.pk}/next-session.ics" in summary
    assert dict(parse_ics(client.get(f"{ME}{match.pk}/next-session.ics").content.decode()))["METHOD"] == "CANCEL"
    # Someone else's mentorship, or a malformed id, looks missing.
    other_person, other_match = matched(riverbend, "Sky")
    assert client.get(f"{ME}{other_match.pk}/next-session.ics").status_code == 404
    assert client.get(f"{ME}not-a-uuid/next-session.ics").status_code == 404
