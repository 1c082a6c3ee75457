"""Shift pages: the rota and its gaps, one shift, patterns and one-off shifts, swaps, My shifts,
the status form and the calendar feed; permissions and bad input (nothing written)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import icalendar
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.warmline import calendars_shifts, rota
from alongside.warmline.models import (
    DutyStatus,
    OnShiftStatus,
    Shift,
    ShiftAssignment,
    ShiftPattern,
    ShiftSwap,
    SwapState,
)
from tests.conftest import Tenant
from tests.warmline.shifts.helpers import NOW, make_line, make_shift

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def url(name: str, *args: Any, org: str = "harbor") -> str:
    return reverse(f"warmline:{name}", args=[org, *args])


def _audit_count(tenant: Tenant) -> int:
    with scopes_disabled():
        return AuditEvent.objects.filter(organisation_id=tenant.organisation.pk).count()


# --- The rota ------------------------------------------------------------------------------------


def test_rota_shows_the_week_and_its_gaps(harbor: Tenant, login_as: Any, django_assert_max_num_queries: Any) -> None:
    line = make_line(harbor)
    boss = harbor.user("supervisor")
    make_shift(harbor, line, min_peers=2, supervisor=boss)
    client = login_as(harbor.user("peer"))
    client.get(url("shift_rota"))  # warm the session and caches
    with django_assert_max_num_queries(20):
        response = client.get(url("shift_rota"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Coverage gap:" in text and "needs 2 more peers" in text
    for extra in range(6):
        make_shift(harbor, line, starts_at=NOW + timedelta(days=2, hours=extra), min_peers=0)
    with django_assert_max_num_queries(20):
        response = client.get(url("shift_rota"))
    text = response.content.decode()
    assert text.count("no supervisor on duty") == 6
    assert "7 shifts this week have a coverage gap." in text


def test_rota_filters_by_line_and_week(harbor: Tenant, login_as: Any) -> None:
    make_shift(harbor, make_line(harbor, "Day Line"))
    evening = make_line(harbor, "Evening Line")
    client = login_as(harbor.user("peer"))
    response = client.get(url("shift_rota"), {"line": str(evening.pk)})
    assert "Day Line ·" not in response.content.decode()
    response = client.get(url("shift_rota"), {"week": "2030-03-11"})
    assert "Day Line ·" not in response.content.decode()
    response = client.get(url("shift_rota"), {"week": "not a date", "line": "nope"})
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


def test_rota_only_reads_and_the_hourly_command_makes_pattern_weeks(harbor: Tenant, login_as: Any) -> None:
    with tenant_scope(harbor.organisation):
        pattern = rota.pattern_create(
            acting_user=harbor.user("coordinator"),
            line=make_line(harbor),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            start_date=NOW.date(),
            start_time=NOW.time().replace(hour=18),
            duration_minutes=120,
            min_peers=1,
            max_peers=2,
        )
        assert Shift.objects.filter(pattern=pattern).count() == 8
    response = login_as(harbor.user("peer")).get(url("shift_rota"), {"week": "2030-06-03"})
    assert response.status_code == 200
    assert "not scheduled yet after" in response.content.decode()
    with tenant_scope(harbor.organisation):
        assert Shift.objects.filter(pattern=pattern).count() == 8  # a GET writes nothing
    # The hourly command keeps eight weeks ahead: a week later, one more Monday.
    out = io.StringIO()
    later = (NOW + timedelta(weeks=1)).isoformat()
    call_command("warmline", "materialise-shifts", "--now", later, "--dry-run", stdout=out)
    assert json.loads(out.getvalue()) == {"shifts": 1, "dry_run": True, "now": later}
    call_command("warmline", "materialise-shifts", "--now", later, stdout=io.StringIO())
    call_command("warmline", "materialise-shifts", "--now", later, stdout=io.StringIO())  # idempotent
    with tenant_scope(harbor.organisation):
        assert Shift.objects.filter(pattern=pattern).count() == 9


@pytest.mark.parametrize("role", ["referrer", "funder"])
def test_rota_needs_warmline_view(harbor: Tenant, login_as: Any, role: str) -> None:
    assert login_as(harbor.user(role)).get(url("shift_rota")).status_code == 403


@pytest.mark.parametrize("name", ["pattern_list", "pattern_create", "shift_create", "swap_list"])
def test_peers_cannot_manage(harbor: Tenant, login_as: Any, name: str) -> None:
    assert login_as(harbor.user("peer")).get(url(name)).status_code == 403


# --- One shift -----------------------------------------------------------------------------------


def test_peer_signs_up_from_the_page(harbor: Tenant, login_as: Any) -> None:
    shift = make_shift(harbor, max_peers=1)
    client = login_as(harbor.user("peer"))
    assert "Sign up for this shift" in client.get(url("shift_detail", shift.pk)).content.decode()
    response = client.post(url("shift_signup", shift.pk))
    assert response.status_code == 302
    other = login_as(harbor.user("supervisor")).post(url("shift_signup", shift.pk))
    assert other.status_code == 400
    assert "This shift is full (1 peers)." in other.content.decode()
    with tenant_scope(harbor.organisation):
        assert rota.assigned_count(shift) == 1


def test_coordinator_assigns_sets_supervisor_unassigns_cancels(harbor: Tenant, login_as: Any) -> None:
    shift = make_shift(harbor)
    client = login_as(harbor.user("coordinator"))
    page = client.get(url("shift_detail", shift.pk)).content.decode()
    assert "Put on the shift" in page
    assert client.post(url("shift_assign", shift.pk), {"user": str(harbor.user("peer").pk)}).status_code == 302
    assert (
        client.post(url("shift_supervisor", shift.pk), {"supervisor": str(harbor.user("supervisor").pk)}).status_code
        == 302
    )
    with tenant_scope(harbor.organisation):
        assignment = ShiftAssignment.objects.get(shift=shift)
    assert client.post(url("shift_unassign", shift.pk), {"assignment": str(assignment.pk)}).status_code == 302
    assert client.post(url("shift_cancel", shift.pk)).status_code == 302
    shift.refresh_from_db()
    assert shift.cancelled and shift.supervisor == harbor.user("supervisor")
    with tenant_scope(harbor.organisation):
        assert rota.assigned_count(shift) == 0


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("shift_assign", {"user": "not-an-id"}, "Select a valid choice"),
        ("shift_assign", {}, "This field is required"),
        ("shift_supervisor", {"supervisor": "peer"}, "Select a valid choice"),
        (
            "shift_unassign",
            {"assignment": "00000000-0000-0000-0000-000000000000"},
            "Choose a person who is on this shift",
        ),
        ("shift_unassign", {}, "Choose a person who is on this shift"),
    ],
)
def test_shift_forms_bad_input(harbor: Tenant, login_as: Any, name: str, data: dict[str, str], words: str) -> None:
    shift = make_shift(harbor)
    before = _audit_count(harbor)
    response = login_as(harbor.user("coordinator")).post(url(name, shift.pk), data)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert _audit_count(harbor) == before


def test_assigning_someone_who_cannot_take_shifts(harbor: Tenant, login_as: Any) -> None:
    shift = make_shift(harbor)
    response = login_as(harbor.user("coordinator")).post(
        url("shift_assign", shift.pk), {"user": str(harbor.user("referrer").pk)}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_peer_cannot_manage_a_shift(harbor: Tenant, login_as: Any) -> None:
    shift = make_shift(harbor)
    client = login_as(harbor.user("peer"))
    for name in ("shift_assign", "shift_unassign", "shift_supervisor", "shift_cancel"):
        assert client.post(url(name, shift.pk)).status_code == 403


# --- Patterns and one-off shifts --------------------------------------------------------------------


def _pattern_data(harbor: Tenant, **changes: Any) -> dict[str, Any]:
    data = {
        "line": str(make_line(harbor).pk),
        "days": ["MO", "TH"],
        "every": "1",
        "start_time": "18:00",
        "duration_minutes": "240",
        "start_date": "2030-03-04",
        "until": "",
        "min_peers": "1",
        "max_peers": "3",
    }
    data.update(changes)
    return data


def test_coordinator_adds_and_ends_a_pattern(harbor: Tenant, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    assert client.get(url("pattern_create")).status_code == 200
    response = client.post(url("pattern_create"), _pattern_data(harbor, every="2"))
    assert response.status_code == 302
    with tenant_scope(harbor.organisation):
        pattern = ShiftPattern.objects.get()
    assert pattern.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"
    listing = client.get(url("pattern_list")).content.decode()
    assert "Monday, Thursday at 18:00 for 240 minutes" in listing
    assert client.post(url("pattern_end", pattern.pk), {"last_day": "2030-03-20"}).status_code == 302
    pattern.refresh_from_db()
    assert str(pattern.until) == "2030-03-20"
    bad = client.post(url("pattern_end", pattern.pk), {"last_day": "2030-01-01"})
    assert bad.status_code == 400 and "before the pattern" in bad.content.decode()


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"days": []}, "This field is required"),
        ({"days": ["XX"]}, "Select a valid choice"),
        ({"min_peers": "4", "max_peers": "3"}, "cannot be more than the most peers"),
        ({"max_peers": "0"}, "greater than or equal to 1"),
        ({"start_time": "25:00"}, "Enter a valid time"),
        ({"until": "2030-03-01"}, "before the first day"),
        ({"every": "9"}, "Select a valid choice"),
        ({"line": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice"),
    ],
)
def test_pattern_form_bad_input(harbor: Tenant, login_as: Any, changes: dict[str, Any], words: str) -> None:
    before = _audit_count(harbor)
    response = login_as(harbor.user("coordinator")).post(url("pattern_create"), _pattern_data(harbor, **changes))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert _audit_count(harbor) == before


def test_one_off_shift_form(harbor: Tenant, login_as: Any) -> None:
    line = make_line(harbor)
    client = login_as(harbor.user("coordinator"))
    data = {
        "line": str(line.pk),
        "day": "2030-03-12",
        "start_time": "09:00",
        "duration_minutes": "180",
        "min_peers": "1",
        "max_peers": "2",
        "supervisor": str(harbor.user("supervisor").pk),
    }
    assert client.post(url("shift_create"), data).status_code == 302
    with tenant_scope(harbor.organisation):
        shift = Shift.objects.get()
    assert shift.starts_at.isoformat() == "2030-03-12T13:00:00+00:00"  # 9 am New York, daylight time
    assert shift.supervisor == harbor.user("supervisor")
    before = _audit_count(harbor)
    bad = client.post(url("shift_create"), {**data, "supervisor": str(harbor.user("peer").pk), "duration_minutes": "5"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Select a valid choice" in text and "greater than or equal to 15" in text
    assert _audit_count(harbor) == before


# --- Swaps and My shifts ------------------------------------------------------------------------------


def test_swap_through_the_pages(harbor: Tenant, login_as: Any) -> None:
    shift = make_shift(harbor)
    peer, boss = harbor.user("peer"), harbor.user("supervisor")
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=peer, shift=shift)
    mine = login_as(peer)
    page = mine.get(url("my_shifts"))
    assert page["Cache-Control"].startswith("no-store")
    assert "Offer a swap" in page.content.decode()
    assert mine.get(url("swap_offer", assignment.pk)).status_code == 200
    bad = mine.post(url("swap_offer", assignment.pk), {"offered_to": "nobody"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    assert mine.post(url("swap_offer", assignment.pk), {"offered_to": ""}).status_code == 302
    with tenant_scope(harbor.organisation):
        swap = ShiftSwap.objects.get()
    taker = login_as(boss)
    assert "Shifts offered for a swap" in taker.get(url("my_shifts")).content.decode()
    assert taker.post(url("swap_accept", swap.pk)).status_code == 302
    again = taker.post(url("swap_accept", swap.pk))
    assert again.status_code == 400 and "cannot be done now" in again.content.decode()
    coordinator = login_as(harbor.user("coordinator"))
    assert "Approve" in coordinator.get(url("swap_list")).content.decode()
    assert coordinator.post(url("swap_approve", swap.pk)).status_code == 302
    swap.refresh_from_db()
    assert swap.state == SwapState.APPROVED
    assert taker.post(url("swap_approve", swap.pk)).status_code == 403


def test_someone_elses_assignment_looks_missing(harbor: Tenant, login_as: Any) -> None:
    shift = make_shift(harbor)
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=harbor.user("peer"), shift=shift)
    assert login_as(harbor.user("supervisor")).get(url("swap_offer", assignment.pk)).status_code == 404


def test_named_swap_is_hidden_from_others(harbor: Tenant, login_as: Any) -> None:
    shift = make_shift(harbor)
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=harbor.user("peer"), shift=shift)
        swap = rota.swap_request(
            acting_user=harbor.user("peer"), assignment=assignment, offered_to=harbor.user("supervisor")
        )
    # Another peer, not in this swap, gets the same 404 as for a missing swap.
    with scopes_disabled():
        other = account_services.user_create(acting_user=None, email="peer9@harbor.test", password="x" * 12)
        account_services.membership_grant(acting_user=None, organisation=harbor.organisation, user=other, role="peer")
    assert login_as(other).post(url("swap_accept", swap.pk)).status_code == 404


def test_status_form_while_on_shift(harbor: Tenant, login_as: Any) -> None:
    peer = harbor.user("peer")
    shift = make_shift(harbor, starts_at=NOW - timedelta(minutes=30))
    with tenant_scope(harbor.organisation):
        rota.shift_assign(acting_user=harbor.user("coordinator"), shift=shift, user=peer, now=NOW - timedelta(days=1))
    client = login_as(peer)
    page = client.get(url("my_shifts")).content.decode()
    assert "On shift now: Evening Line" in page and "Set my status" in page
    assert client.post(url("shift_status"), {"status": "busy"}).status_code == 302
    with tenant_scope(harbor.organisation):
        assert OnShiftStatus.objects.get(user=peer).status == DutyStatus.BUSY
    bad = client.post(url("shift_status"), {"status": "asleep"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()


def test_status_refused_when_not_on_shift(harbor: Tenant, login_as: Any) -> None:
    before = _audit_count(harbor)
    response = login_as(harbor.user("peer")).post(url("shift_status"), {"status": "busy"})
    assert response.status_code == 400
    assert "only while you are on a shift" in response.content.decode()
    assert _audit_count(harbor) == before


def test_my_shifts_lists_open_shifts_and_query_budget(
    harbor: Tenant, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    line = make_line(harbor)
    for day in range(1, 6):
        make_shift(harbor, line, starts_at=NOW + timedelta(days=day))
    client = login_as(harbor.user("peer"))
    client.get(url("my_shifts"))
    with django_assert_max_num_queries(20):
        response = client.get(url("my_shifts"))
    assert response.content.decode().count(">Sign up<") == 5


# --- Calendar --------------------------------------------------------------------------------------


def test_calendar_feed(harbor: Tenant, login_as: Any) -> None:
    peer = harbor.user("peer")
    kept = make_shift(harbor)
    dropped = make_shift(harbor, starts_at=NOW + timedelta(days=2))
    supervised = make_shift(harbor, starts_at=NOW + timedelta(days=3), supervisor=harbor.user("supervisor"))
    with tenant_scope(harbor.organisation):
        rota.shift_signup(acting_user=peer, shift=kept)
        rota.shift_signup(acting_user=peer, shift=dropped)
        rota.shift_cancel(acting_user=harbor.user("coordinator"), shift=dropped)
    page = login_as(peer).get(url("my_shifts")).content.decode()
    assert "Download my shifts (.ics)" in page
    token = calendars_shifts.shift_token(peer, harbor.organisation)
    assert token in page
    response = login_as(peer).get(reverse("warmline:shift_calendar", args=[token]))
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"warmline-shift-{kept.pk}", f"warmline-shift-{dropped.pk}"}
    assert str(events[f"warmline-shift-{dropped.pk}"]["STATUS"]) == "CANCELLED"
    assert str(events[f"warmline-shift-{kept.pk}"]["STATUS"]) == "CONFIRMED"
    assert events[f"warmline-shift-{kept.pk}"].decoded("DTSTART") == kept.starts_at
    assert events[f"warmline-shift-{kept.pk}"].decoded("DTEND") == kept.ends_at
    assert str(events[f"warmline-shift-{kept.pk}"]["SUMMARY"]) == "Shift: Evening Line"
    # The supervisor's feed has the shift they supervise.
    boss_token = calendars_shifts.shift_token(harbor.user("supervisor"), harbor.organisation)
    boss = icalendar.Calendar.from_ical(Client().get(reverse("warmline:shift_calendar", args=[boss_token])).content)
    assert [str(e["UID"]).split("@")[0] for e in boss.walk("VEVENT")] == [f"warmline-shift-{supervised.pk}"]


def test_calendar_token_stops_working(harbor: Tenant) -> None:
    peer = harbor.user("peer")
    token = calendars_shifts.shift_token(peer, harbor.organisation)
    assert Client().get(reverse("warmline:shift_calendar", args=[token])).status_code == 200
    assert Client().get(reverse("warmline:shift_calendar", args=[token + "x"])).status_code == 404
    assert Client().get(reverse("warmline:shift_calendar", args=["garbage"])).status_code == 404
    referrer_token = calendars_shifts.shift_token(harbor.user("referrer"), harbor.organisation)
    assert Client().get(reverse("warmline:shift_calendar", args=[referrer_token])).status_code == 404
    peer.set_password("another long password")
    peer.save()
    assert Client().get(reverse("warmline:shift_calendar", args=[token])).status_code == 404


def test_approving_a_swap_nobody_took(harbor: Tenant, login_as: Any) -> None:
    shift = make_shift(harbor)
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=harbor.user("peer"), shift=shift)
        swap = rota.swap_request(acting_user=harbor.user("peer"), assignment=assignment)
    before = _audit_count(harbor)
    response = login_as(harbor.user("coordinator")).post(url("swap_approve", swap.pk))
    assert response.status_code == 400
    assert "This swap is offered; that cannot be done now." in response.content.decode()
    assert _audit_count(harbor) == before
    swap.refresh_from_db()
    assert swap.state == SwapState.OFFERED
