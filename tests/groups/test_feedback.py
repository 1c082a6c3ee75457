"""Anonymous feedback through the session's signed link, the staff summary, and the day-before
reminders (``alongside groups remind``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.groups import registration as reg
from alongside.groups import running
from alongside.groups.models import Session, SessionFeedback
from alongside.groups.vocab import GroupFormat, Joining
from tests.groups.helpers import make_group, make_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def session(harbor: Any) -> Iterator[Session]:
    """Yesterday's session of a registration group."""
    with tenant_scope(harbor.organisation):
        group = make_group(harbor, "Feedback Circle", joining=Joining.REGISTRATION, capacity=5)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        yield Session.objects.create(
            organisation=harbor.organisation, group=group, starts_at=start, ends_at=start + timedelta(hours=1)
        )


def url(session: Session) -> str:
    return reverse("groups:feedback", args=[running.feedback_token(session)])


def test_anonymous_feedback_once_per_browser(session: Session) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    page = client.get(url(session))
    assert page.status_code == 200 and "anonymous" in page.content.decode()
    response = client.post(url(session), {"rating": "4", "felt_safe": "yes", "comment": "Felt heard"})
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    again = client.post(url(session), {"rating": "1"})
    assert "Thank you" in again.content.decode()
    with scopes_disabled():
        feedback = SessionFeedback.objects.get()
    assert (feedback.rating, feedback.felt_safe, feedback.comment) == (4, True, "Felt heard")
    event = AuditEvent.objects.get(action="session_feedback.create")
    assert event.actor_id is None
    assert "203.0.113.9" not in json.dumps([str(v) for v in SessionFeedback.__dict__.values()])


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rating": "0"},
        {"rating": "6"},
        {"rating": "x"},
        {"rating": "3", "felt_safe": "maybe"},
        {"rating": "3", "comment": "x" * 1001},
    ],
)
def test_feedback_bad_input(session: Session, data: dict[str, str]) -> None:
    assert Client().post(url(session), data).status_code == 400
    with scopes_disabled():
        assert not SessionFeedback.objects.exists()


def test_forged_expired_and_cancelled_links_are_closed(session: Session, riverbend: Any) -> None:
    forged = signing.dumps({"o": str(riverbend.organisation.pk), "s": str(session.pk)}, salt="other")
    assert Client().get(reverse("groups:feedback", args=[forged])).status_code == 404
    wrong_org = signing.dumps({"o": str(riverbend.organisation.pk), "s": str(session.pk)}, salt=running.FEEDBACK_SALT)
    assert Client().get(reverse("groups:feedback", args=[wrong_org])).status_code == 404
    with scopes_disabled():
        Session.objects.filter(pk=session.pk).update(
            starts_at=session.starts_at - timedelta(days=9), ends_at=session.ends_at - timedelta(days=9)
        )
    assert Client().get(url(session)).status_code == 404


def test_staff_summary_averages_and_audited_comments(session: Session, harbor: Any, login_as: Any) -> None:
    with tenant_scope(harbor.organisation):
        running.feedback_submit(session=session, rating=5, felt_safe=True, comment="Kind people")
        running.feedback_submit(session=session, rating=2, felt_safe=False, comment="")
        running.feedback_submit(session=session, rating=4, felt_safe=None, comment="")
    page = reverse("groups:feedback_summary", args=[harbor.organisation.slug, session.group_id])
    html = login_as(harbor.user("coordinator")).get(page).content.decode()
    assert "3.7" in html and "Kind people" in html and "1 yes, 1 no" in html
    assert AuditEvent.objects.filter(action="session_feedback.view").count() == 1
    assert login_as(harbor.user("peer")).get(page).status_code == 403


def test_a_comment_is_screened_the_person_sees_the_crisis_options_and_staff_see_the_tier(
    session: Session, harbor: Any, login_as: Any
) -> None:
    urgent = Client(REMOTE_ADDR="203.0.113.10").post(
        url(session), {"rating": "2", "comment": "I have the pills ready and I'm going to take them all tonight"}
    )
    assert "Please reach out for help now" in urgent.content.decode() and "988" in urgent.content.decode()
    calm = Client(REMOTE_ADDR="203.0.113.11").post(url(session), {"rating": "5", "comment": "Felt heard"})
    assert "Please reach out for help now" not in calm.content.decode()
    Client(REMOTE_ADDR="203.0.113.12").post(url(session), {"rating": "3", "comment": "some days I just want to die"})
    with scopes_disabled():
        tiers = sorted(SessionFeedback.objects.values_list("screening_tier", flat=True))
    assert tiers == ["", "check_in", "urgent"]
    page = reverse("groups:feedback_summary", args=[harbor.organisation.slug, session.group_id])
    html = login_as(harbor.user("coordinator")).get(page).content.decode()
    assert "Urgent" in html and "Check in" in html and "the person was shown the crisis options" in html


# --- Reminders -----------------------------------------------------------------------------------


def test_remind_once_the_day_before_with_the_link_for_registered_people(
    harbor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_scope(harbor.organisation):
        group = make_group(
            harbor,
            "Remind Circle",
            joining=Joining.REGISTRATION,
            capacity=1,
            format=GroupFormat.ONLINE,
            site=None,
            online_url="https://video.example.org/room",
        )
        make_schedule(group)  # Tuesdays 18:00
        reg.register_public(group=group, first_name="Ana", email="ana@example.org")
        reg.register_public(group=group, first_name="Wai", email="wai@example.org")  # waitlisted
    # Monday 20:00 local: Tuesday's session is within 24 hours.
    from zoneinfo import ZoneInfo

    now = datetime(2026, 3, 2, 20, 0, tzinfo=ZoneInfo(group.timezone)).isoformat()
    out = StringIO()
    call_command("groups", "remind", "--now", now, "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["emails"] == 1
    assert mail.outbox == []
    for _ in range(2):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("groups", "remind", "--now", now, stdout=out)
    assert json.loads(out.getvalue())["sessions"] == 0  # the second run sends nothing
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    body = mail.outbox[0].body
    assert "https://video.example.org/room" in body and "18:00" in body and group.timezone in body
    with scopes_disabled():
        assert Session.objects.filter(group=group, reminded_at__isnull=False).count() == 1
