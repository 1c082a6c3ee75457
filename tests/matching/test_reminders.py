"""``alongside mentorship remind`` (matching/reminders.py): one reminder a day ahead, to the peer
supporter and to the person only with an email, safe to email and consent; what the email says and
never says; the invite attached; idempotent, moved and cancelled sessions; dry run; bad input."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.matching import mentorship, services
from alongside.matching.models import Match, NextSession
from alongside.people import services as people_services
from alongside.people.models import Consent
from tests.matching.test_mentorship import active, parse_ics

pytestmark = pytest.mark.django_db

PLACE = "Harbor Wellness Center, room 2"
GOAL = "Sleep before midnight"


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def remind(capture: Any, *args: str) -> dict[str, Any]:
    """Run the command; emails go out after each commit (run here when the block ends)."""
    out = StringIO()
    with capture(execute=True):
        call_command("mentorship", "remind", *args, stdout=out)
    return json.loads(out.getvalue())


def counts(data: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return (
        data["reminded"],
        data["people"],
        data["peers"],
        data["skipped_no_consent"],
        data["skipped_not_safe"],
    )


def person_reachable(tenant: Any, match: Match, *, email: str = "robin@example.org", safe: bool | None = True) -> None:
    coordinator = tenant.user("coordinator")
    people_services.participant_update(
        acting_user=coordinator, participant=match.participant, email=email, safe_to_email=safe
    )
    people_services.consent_grant(
        acting_user=coordinator,
        participant=match.participant,
        purpose="contact_email",
        given_by="self",
        method="e_signature",
        signature="Robin",
    )


def soon(tenant: Any, match: Match, *, hours: float = 3, mode: str = "in_person", place: str = PLACE) -> NextSession:
    return mentorship.next_session_set(
        acting_user=tenant.user("peer"),
        match=match,
        starts_at=timezone.now() + timedelta(hours=hours),
        duration_minutes=45,
        mode=mode,
        location=place,
    )


def sent_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address]]


def test_the_peer_and_the_person_get_one_reminder_with_the_invite(harbor, django_capture_on_commit_callbacks):
    match = active(harbor, "Robin Quintana")
    mentorship.plan_update(acting_user=None, match=match, goals=GOAL, version=0)
    person_reachable(harbor, match)
    ns = soon(harbor, match)
    data = remind(django_capture_on_commit_callbacks)
    assert counts(data) == (1, 1, 1, 0, 0) and data["dry_run"] is False
    peer_mail = sent_to(harbor.user("peer").email)
    person_mail = sent_to("robin@example.org")
    assert len(peer_mail) == len(person_mail) == 1 and len(mail.outbox) == 2
    local = timezone.localtime(ns.starts_at, ZoneInfo(harbor.organisation.timezone))
    with translation.override("en"):
        when = date_format(local, "l j F Y, H:i")
    for message in (peer_mail[0], person_mail[0]):
        assert message.subject == "Reminder: peer support session"
        assert PLACE not in message.subject
        body = message.body
        assert when in body and harbor.organisation.timezone in body
        assert "45 minutes" in body and "In person" in body and PLACE in body
        # Never who, why, lived experience or notes.
        for secret in ("Robin", "Quintana", "Alcohol", GOAL, match.program.name):
            assert secret not in body, secret
        [(filename, invite, mimetype)] = message.attachments
        assert filename.endswith(".ics") and mimetype == "text/calendar"
        values = dict(parse_ics(invite))
        assert values["METHOD"] == "PUBLISH" and values["UID"].startswith(str(ns.uid))
        assert "Robin" not in invite
    assert f"/app/harbor/mentorships/{match.pk}/" in peer_mail[0].body
    assert "/app/" not in person_mail[0].body
    assert "This is not a crisis service." in person_mail[0].body and "988" in person_mail[0].body
    ns.refresh_from_db()
    assert ns.reminded_at is not None
    rows = AuditEvent.objects.filter(object_id=str(ns.pk), action__startswith="next_session.remind")
    assert sorted(rows.values_list("action", "actor_role", "actor_id")) == [
        ("next_session.remind_peer", "system", None),
        ("next_session.remind_person", "system", None),
    ]
    # Idempotent: the next hourly run sends nothing more.
    again = remind(django_capture_on_commit_callbacks)
    assert counts(again) == (0, 0, 0, 0, 0) and len(mail.outbox) == 2


def test_moving_to_another_time_reminds_again_but_a_new_place_does_not(harbor, django_capture_on_commit_callbacks):
    match = active(harbor)
    ns = soon(harbor, match, hours=5)
    assert counts(remind(django_capture_on_commit_callbacks)) == (1, 0, 1, 0, 0)
    ns.refresh_from_db()
    reminded = ns.reminded_at
    assert reminded is not None
    # Same time, another place: already reminded of this time.
    mentorship.next_session_set(
        acting_user=harbor.user("peer"), match=match, starts_at=ns.starts_at, duration_minutes=30, mode="phone"
    )
    ns.refresh_from_db()
    assert ns.reminded_at == reminded and ns.sequence == 1
    assert counts(remind(django_capture_on_commit_callbacks)) == (0, 0, 0, 0, 0)
    # Another time: reminded again, with the same calendar event moved.
    mentorship.next_session_set(
        acting_user=harbor.user("peer"),
        match=match,
        starts_at=ns.starts_at + timedelta(hours=2),
        duration_minutes=30,
        mode="phone",
    )
    ns.refresh_from_db()
    assert ns.reminded_at is None and ns.sequence == 2
    assert counts(remind(django_capture_on_commit_callbacks)) == (1, 0, 1, 0, 0)
    assert len(mail.outbox) == 2
    assert dict(parse_ics(mail.outbox[-1].attachments[0][1]))["SEQUENCE"] == "2"


def test_only_sessions_within_a_day_that_are_not_cancelled(harbor, django_capture_on_commit_callbacks):
    later = active(harbor, "Later")
    soon(harbor, later, hours=30)
    cancelled = active(harbor, "Cancelled")
    soon(harbor, cancelled, hours=2)
    mentorship.next_session_cancel(acting_user=harbor.user("peer"), match=cancelled)
    paused = active(harbor, "Paused")
    soon(harbor, paused, hours=2)
    services.match_pause(acting_user=harbor.user("peer"), match=paused, reason="person_asked")  # cancels it
    assert counts(remind(django_capture_on_commit_callbacks)) == (0, 0, 0, 0, 0)
    # A session set on purpose while paused is reminded.
    soon(harbor, paused, hours=4)
    assert counts(remind(django_capture_on_commit_callbacks)) == (1, 0, 1, 0, 0)
    mail.outbox.clear()
    # Seven hours on, the later one is within a day; the cancelled one never is.
    moment = (timezone.now() + timedelta(hours=7)).isoformat()
    assert counts(remind(django_capture_on_commit_callbacks, "--now", moment)) == (1, 0, 1, 0, 0)
    assert len(mail.outbox) == 1
    assert NextSession.objects.get(match=cancelled).reminded_at is None
    # An ended mentorship's session is never reminded, even if it was somehow left uncancelled.
    NextSession.objects.filter(match=cancelled).update(cancelled_at=None)
    Match.objects.filter(pk=cancelled.pk).update(status="closed", closed_reason="goals_met")
    assert counts(remind(django_capture_on_commit_callbacks)) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("consent", (1, 1, 1, 0, 0)),
        ("no_consent", (1, 0, 1, 1, 0)),
        ("consent_withdrawn", (1, 0, 1, 1, 0)),
        ("unsafe", (1, 0, 1, 0, 1)),
        ("not_asked", (1, 0, 1, 0, 1)),
        ("no_email", (1, 0, 1, 0, 0)),
    ],
)
def test_the_person_is_emailed_only_with_an_email_safety_and_consent(
    harbor, django_capture_on_commit_callbacks, setup, expected
):
    match = active(harbor)
    coordinator = harbor.user("coordinator")
    if setup == "no_consent":
        people_services.participant_update(
            acting_user=coordinator, participant=match.participant, email="robin@example.org", safe_to_email=True
        )
    elif setup == "no_email":
        person_reachable(harbor, match, email="")
    else:
        safe = {"unsafe": False, "not_asked": None}.get(setup, True)
        person_reachable(harbor, match, safe=safe)
        if setup == "consent_withdrawn":
            consent = Consent.objects.get(participant=match.participant, purpose="contact_email")
            people_services.consent_withdraw(acting_user=coordinator, consent=consent)
    soon(harbor, match)
    assert counts(remind(django_capture_on_commit_callbacks)) == expected
    assert len(sent_to("robin@example.org")) == expected[1]
    assert len(sent_to(harbor.user("peer").email)) == 1


def test_a_dry_run_counts_and_sends_and_writes_nothing(harbor, django_capture_on_commit_callbacks):
    match = active(harbor)
    person_reachable(harbor, match)
    ns = soon(harbor, match)
    last_audit = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    data = remind(django_capture_on_commit_callbacks, "--dry-run", "--org", "harbor")
    assert counts(data) == (1, 1, 1, 0, 0) and data["dry_run"] is True
    assert mail.outbox == []
    ns.refresh_from_db()
    assert ns.reminded_at is None
    assert AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() == last_audit
    assert counts(remind(django_capture_on_commit_callbacks)) == (1, 1, 1, 0, 0)  # the real run still sends


def test_org_limits_the_run_and_the_reminder_is_in_the_persons_language(
    harbor, riverbend, django_capture_on_commit_callbacks
):
    here = active(harbor)
    there = active(riverbend)
    people_services.participant_update(
        acting_user=riverbend.user("coordinator"), participant=there.participant, languages=["es"]
    )
    person_reachable(riverbend, there, email="sky@example.org")
    soon(harbor, here)
    ns = soon(riverbend, there, mode="phone", place="")
    assert counts(remind(django_capture_on_commit_callbacks, "--org", "riverbend")) == (1, 1, 1, 0, 0)
    [spanish] = sent_to("sky@example.org")
    local = timezone.localtime(ns.starts_at, ZoneInfo(riverbend.organisation.timezone))
    with translation.override("es"):
        assert date_format(local, "l j F Y, H:i") in spanish.body
    assert "Where" not in spanish.body  # no place was given
    assert NextSession.objects.get(match=here).reminded_at is None


def test_a_failed_email_is_logged_without_the_address_and_the_others_still_go(
    harbor, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    first = active(harbor, "First")
    second = active(harbor, "Second")
    person_reachable(harbor, first, email="first@example.org")
    soon(harbor, first, hours=2)
    soon(harbor, second, hours=3)
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send

    def send(self: Any, fail_silently: bool = False) -> int:
        if self.to == ["first@example.org"]:
            raise OSError("refused: first@example.org")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", send)
    with caplog.at_level(logging.ERROR, logger="alongside.matching.reminders"):
        data = remind(django_capture_on_commit_callbacks)
    assert counts(data) == (2, 1, 2, 0, 0)
    assert len(mail.outbox) == 2 and sent_to("first@example.org") == []
    assert "session reminder not sent" in caplog.text and "OSError" in caplog.text
    assert "first@example.org" not in caplog.text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--now", "tomorrow at nine"], "--now must be an ISO 8601 date and time"),
        (["--now", "2026-13-01T09:00"], "--now must be an ISO 8601 date and time"),
        (["--org", "nowhere"], "No active organisation has the slug 'nowhere'"),
    ],
)
def test_bad_input_says_what_is_wrong_and_sends_nothing(harbor, django_capture_on_commit_callbacks, args, words):
    match = active(harbor)
    soon(harbor, match)
    with pytest.raises(CommandError) as exc, django_capture_on_commit_callbacks(execute=True):
        call_command("mentorship", "remind", *args, stdout=StringIO())
    assert words in str(exc.value)
    assert mail.outbox == []
    assert NextSession.objects.get(match=match).reminded_at is None
