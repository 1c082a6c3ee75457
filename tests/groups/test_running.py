"""Running a session: the roster (who runs it, one idempotent POST, notes encrypted and audited),
a safety concern from the roster, counts with exact numbers, and the attendance letter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.groups import counts, letters, running
from alongside.groups import registration as reg
from alongside.groups.models import Attendance, Session
from alongside.groups.schedules import occurrences
from alongside.groups.vocab import Joining
from tests.groups.helpers import make_group, make_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(harbor: Any) -> Iterator[dict[str, Any]]:
    with tenant_scope(harbor.organisation):
        group = make_group(harbor, "Roster Circle", joining=Joining.REGISTRATION, capacity=10)
        make_schedule(group)  # Tuesdays 18:00 from 6 January 2026
        people = [
            reg.register_public(group=group, first_name=n, email=f"{n}@example.org") for n in ("Ana", "Ben", "Cy")
        ]
        found = occurrences(group, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
        yield {"t": harbor, "group": group, "people": [p.registration for p in people], "keys": [o.key for o in found]}


def roster_url(t: Any, group: Any, key: str, suffix: str = "") -> str:
    return reverse(f"groups:roster{suffix}", args=[t.organisation.slug, group.pk, key])


def test_roster_is_for_the_groups_facilitators_and_coordinators(setup: Any, login_as: Any, outsider: Any) -> None:
    t, group, key = setup["t"], setup["group"], setup["keys"][0]
    url = roster_url(t, group, key)
    for role, expected in [("peer", 200), ("coordinator", 200), ("admin", 200), ("supervisor", 404), ("funder", 403)]:
        assert login_as(t.user(role)).get(url).status_code == expected, role
    assert login_as(outsider).get(url).status_code == 404
    assert login_as(t.user("peer")).get(roster_url(t, group, "nonsense_key")).status_code == 404
    html = login_as(t.user("peer")).get(url).content.decode()
    assert "Ana" in html and "<svg" in html and "/directory/feedback/" in html


def test_saving_is_one_idempotent_re_editable_post(setup: Any, login_as: Any) -> None:
    t, group, key = setup["t"], setup["group"], setup["keys"][0]
    ana, ben, _cy = setup["people"]
    client = login_as(t.user("peer"))
    data = {"present": [str(ana.pk), str(ben.pk)], "dropin_headcount": "4", "topics": ["grief"], "notes": "Quiet night"}
    for _ in range(2):
        response = client.post(roster_url(t, group, key), data)
        assert response.status_code == 302
    with scopes_disabled():
        session = Session.objects.get(group=group)
        assert Attendance.objects.filter(session=session, present=True).count() == 2
        assert session.dropin_headcount == 4 and session.topics_discussed == ["grief"]
    # Re-edit under the session's own key: Ben was not there after all.
    client.post(roster_url(t, group, str(session.pk)), {**data, "present": [str(ana.pk)]})
    with scopes_disabled():
        assert list(
            Attendance.objects.filter(session=session, present=True).values_list("registration", flat=True)
        ) == [ana.pk]
        with connection.cursor() as cursor:
            cursor.execute("SELECT notes FROM groups_session")
            assert "Quiet night" not in cursor.fetchone()[0]
    before = AuditEvent.objects.filter(action="session.notes_view").count()
    assert "Quiet night" in client.get(roster_url(t, group, str(session.pk))).content.decode()
    assert AuditEvent.objects.filter(action="session.notes_view").count() == before + 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"dropin_headcount": "-1"}, "dropin_headcount"),
        ({"dropin_headcount": "1001"}, "dropin_headcount"),
        ({"dropin_headcount": "many"}, "dropin_headcount"),
        ({"topics": ["astrology"]}, "topics"),
        ({"notes": "x" * 4001}, "notes"),
        ({"present": ["00000000-0000-0000-0000-000000000000"]}, "present"),
    ],
)
def test_roster_bad_input_writes_nothing(setup: Any, login_as: Any, data: dict[str, Any], field: str) -> None:
    t, group, key = setup["t"], setup["group"], setup["keys"][0]
    response = login_as(t.user("peer")).post(roster_url(t, group, key), data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    with scopes_disabled():
        assert not Attendance.objects.exists()
        assert not Session.objects.filter(attendance_taken_at__isnull=False).exists()


def test_safety_concern_from_the_roster_starts_an_escalation(setup: Any, login_as: Any) -> None:
    from alongside.safety.models import Escalation

    t, group, key = setup["t"], setup["group"], setup["keys"][0]
    client = login_as(t.user("peer"))
    assert client.post(roster_url(t, group, key, "_safety"), {"summary": ""}).status_code == 400
    response = client.post(roster_url(t, group, key, "_safety"), {"summary": "Someone spoke of ending their life."})
    assert response.status_code == 302
    with scopes_disabled():
        escalation = Escalation.objects.get()
        assert escalation.source == "group_session"
        # The facilitator goes straight to the protocol: crisis options, checklist, outcome.
        assert response["Location"] == f"/app/{t.organisation.slug}/safety/{escalation.pk}/"
        assert escalation.group_session_id == Session.objects.get(group=group).pk


def _take(t: Any, group: Any, key: str, present: list[Any], dropin: int | None) -> Session:
    session = running.session_for(group=group, key=key)
    return running.attendance_save(
        acting_user=t.user("peer"),
        session=session,
        present_ids=[str(r.pk) for r in present],
        dropin_headcount=dropin,
        topics=[],
        notes="",
    )


def test_counts_exact_numbers_in_a_fixed_number_of_queries(setup: Any, django_assert_num_queries: Any) -> None:
    t, group, keys = setup["t"], setup["group"], setup["keys"]
    ana, ben, cy = setup["people"]
    _take(t, group, keys[0], [ana, ben], 3)
    _take(t, group, keys[1], [ana], None)
    _take(t, group, keys[2], [ana, cy], 2)
    running.session_for(group=group, key=keys[3])  # a row, but no attendance taken: not held
    with django_assert_num_queries(2):
        result = counts.group_counts(group, date(2026, 1, 1), date(2026, 1, 31))
    assert result == counts.GroupCounts(
        sessions_held=3, attendance=10, registered_present=5, dropin=5, unique_attendees=3, returning_attendees=1
    )
    only_first = counts.group_counts(group, date(2026, 1, 6), date(2026, 1, 6))
    assert (only_first.sessions_held, only_first.attendance, only_first.returning_attendees) == (1, 5, 0)


def test_counts_page(setup: Any, login_as: Any) -> None:
    t, group = setup["t"], setup["group"]
    url = reverse("groups:group_counts", args=[t.organisation.slug, group.pk])
    client = login_as(t.user("coordinator"))
    assert client.get(url, {"start": "2026-01-01", "end": "2026-01-31"}).status_code == 200
    assert client.get(url, {"start": "2026-02-01", "end": "2026-01-01"}).status_code == 400
    assert client.get(url, {"start": "nope", "end": "2026-01-01"}).status_code == 400


def test_attendance_letter(setup: Any, login_as: Any) -> None:
    t, group, keys = setup["t"], setup["group"], setup["keys"]
    ana, ben, _cy = setup["people"]
    _take(t, group, keys[0], [ana], None)
    _take(t, group, keys[2], [ana], None)
    facts = letters.attendance_facts(ana)
    assert facts.sessions == 2
    pdf = letters.attendance_letter(acting_user=t.user("coordinator"), registration=ana)
    assert pdf.startswith(b"%PDF")
    url = reverse("groups:registration_letter", args=[t.organisation.slug, group.pk, ana.pk])
    response = login_as(t.user("coordinator")).post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert login_as(t.user("peer")).post(url).status_code == 403
    # Nobody came: no letter.
    none = reverse("groups:registration_letter", args=[t.organisation.slug, group.pk, ben.pk])
    assert login_as(t.user("coordinator")).post(none).status_code == 302
    assert AuditEvent.objects.filter(action="registration.attendance_letter").count() == 2


def test_roster_page_queries_do_not_grow_with_the_group(setup: Any, login_as: Any) -> None:
    from django.test.utils import CaptureQueriesContext

    t, group, key = setup["t"], setup["group"], setup["keys"][0]
    client = login_as(t.user("peer"))
    client.get(roster_url(t, group, key))  # materialise the session row first

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(roster_url(t, group, key)).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    with tenant_scope(t.organisation):
        for name in ("Dee", "Eli", "Fay", "Gus"):
            reg.register_public(group=group, first_name=name, email=f"{name}@example.org")
    assert queries() == before
