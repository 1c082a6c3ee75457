"""Shift services: patterns and DST, sign-up limits, who may be on shifts, swaps, the supervisor on
duty and the on-shift status (alongside/warmline/rota.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.people.models import PeerProfile, PeerStatus
from alongside.warmline import rota
from alongside.warmline.models import (
    AssignmentHow,
    AssignmentState,
    DutyStatus,
    OnShiftStatus,
    Shift,
    ShiftAssignment,
    ShiftSwap,
    SwapState,
)
from tests.conftest import Tenant
from tests.warmline.shifts.helpers import NOW, at, make_line, make_shift

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def _actions(tenant: Tenant) -> list[str]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(organisation_id=tenant.organisation.pk)
            .order_by("id")
            .values_list("action", flat=True)
        )


def _pattern(harbor: Tenant, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "acting_user": harbor.user("coordinator"),
        "line": make_line(harbor),
        "rrule": "FREQ=WEEKLY;BYDAY=MO,WE",
        "start_date": date(2030, 3, 4),
        "start_time": time(9, 0),
        "duration_minutes": 240,
        "min_peers": 1,
        "max_peers": 2,
    }
    values.update(fields)
    with tenant_scope(harbor.organisation):
        return rota.pattern_create(**values)


# --- Patterns ------------------------------------------------------------------------------------


def test_pattern_keeps_wall_clock_time_across_dst(harbor: Tenant) -> None:
    pattern = _pattern(harbor)
    with tenant_scope(harbor.organisation):
        starts = list(Shift.objects.filter(pattern=pattern).order_by("starts_at").values_list("starts_at", flat=True))
    # 9 am New York: 14:00 UTC before 10 March 2030, 13:00 UTC after.
    assert starts[0] == datetime(2030, 3, 4, 14, tzinfo=UTC)
    assert starts[1] == datetime(2030, 3, 6, 14, tzinfo=UTC)
    assert starts[2] == datetime(2030, 3, 11, 13, tzinfo=UTC)
    assert len(starts) == 16  # eight weeks, two days a week
    assert "shift_pattern.create" in _actions(harbor)


def test_materialise_is_idempotent_and_respects_the_end(harbor: Tenant) -> None:
    pattern = _pattern(harbor, until=date(2030, 3, 13))
    with tenant_scope(harbor.organisation):
        assert Shift.objects.filter(pattern=pattern).count() == 4
        made = rota.shifts_materialise(
            acting_user=None, organisation=harbor.organisation, start=NOW, end=NOW + timedelta(weeks=20)
        )
        assert made == 0
        assert Shift.objects.filter(pattern=pattern).count() == 4


def test_pattern_end_cancels_later_shifts(harbor: Tenant) -> None:
    pattern = _pattern(harbor)
    with tenant_scope(harbor.organisation):
        rota.pattern_end(acting_user=harbor.user("coordinator"), pattern=pattern, last_day=date(2030, 3, 10))
        live = Shift.objects.filter(pattern=pattern, cancelled=False).count()
    assert live == 2
    assert _actions(harbor)[-1] == "shift_pattern.end"


@pytest.mark.parametrize(
    ("fields", "key", "words"),
    [
        ({"rrule": "FREQ=DAILY"}, "rrule", "Only weekly"),
        ({"rrule": ""}, "rrule", "how often"),
        ({"min_peers": 3, "max_peers": 2}, "min_peers", "cannot be more"),
        ({"max_peers": 0, "min_peers": 0}, "max_peers", "at least one"),
        ({"duration_minutes": 5}, "duration_minutes", "15 minutes"),
        ({"until": date(2030, 3, 1)}, "until", "before the first day"),
    ],
)
def test_bad_patterns_are_refused_and_write_nothing(
    harbor: Tenant, fields: dict[str, Any], key: str, words: str
) -> None:
    before = len(_actions(harbor))
    with pytest.raises(ValidationError) as caught:
        _pattern(harbor, **fields)
    assert words in " ".join(caught.value.message_dict[key])
    assert len(_actions(harbor)) == before
    with tenant_scope(harbor.organisation):
        assert not Shift.objects.exists()


# --- Sign-up and assignment ------------------------------------------------------------------------


def test_signup_fills_places_up_to_the_most(harbor: Tenant) -> None:
    shift = make_shift(harbor, max_peers=1)
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=harbor.user("peer"), shift=shift)
        assert assignment.how == AssignmentHow.SIGNED_UP
        with pytest.raises(ValidationError, match="full"):
            rota.shift_signup(acting_user=harbor.user("supervisor"), shift=shift)
        with pytest.raises(ValidationError, match="already on this shift"):
            rota.shift_assign(acting_user=harbor.user("coordinator"), shift=shift, user=harbor.user("peer"))
        assert rota.assigned_count(shift) == 1
    assert _actions(harbor)[-1] == "shift.signed_up"


@pytest.mark.parametrize("role", ["referrer", "funder", "coordinator", "admin"])
def test_only_peers_and_supervisors_take_shifts(harbor: Tenant, role: str) -> None:
    shift = make_shift(harbor)
    with tenant_scope(harbor.organisation), pytest.raises(ValidationError, match="Only active peer supporters"):
        rota.shift_signup(acting_user=harbor.user(role), shift=shift)


def test_peer_on_leave_or_removed_cannot_take_shifts(harbor: Tenant) -> None:
    shift = make_shift(harbor)
    peer = harbor.user("peer")
    with tenant_scope(harbor.organisation):
        PeerProfile.objects.create(organisation=harbor.organisation, user=peer, status=PeerStatus.ON_LEAVE)
        with pytest.raises(ValidationError, match="Only active peer supporters"):
            rota.shift_signup(acting_user=peer, shift=shift)
        peer.is_active = False
        peer.save()
        assert not rota.may_take_shifts(peer, harbor.organisation)


def test_outsider_cannot_be_assigned(harbor: Tenant, riverbend: Tenant) -> None:
    shift = make_shift(harbor)
    with tenant_scope(harbor.organisation), pytest.raises(ValidationError):
        rota.shift_assign(acting_user=harbor.user("coordinator"), shift=shift, user=riverbend.user("peer"))


def test_no_signup_for_started_or_cancelled_shifts(harbor: Tenant) -> None:
    started = make_shift(harbor, starts_at=NOW - timedelta(hours=1))
    later = make_shift(harbor)
    with tenant_scope(harbor.organisation):
        with pytest.raises(ValidationError, match="already started"):
            rota.shift_signup(acting_user=harbor.user("peer"), shift=started)
        rota.shift_cancel(acting_user=harbor.user("coordinator"), shift=later)
        with pytest.raises(ValidationError, match="cancelled"):
            rota.shift_signup(acting_user=harbor.user("peer"), shift=later)
        with pytest.raises(ValidationError, match="already cancelled"):
            rota.shift_cancel(acting_user=harbor.user("coordinator"), shift=later)


def test_unassign_frees_the_place_and_withdraws_offers(harbor: Tenant) -> None:
    shift = make_shift(harbor, max_peers=1)
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_assign(acting_user=harbor.user("coordinator"), shift=shift, user=harbor.user("peer"))
        swap = rota.swap_request(acting_user=harbor.user("peer"), assignment=assignment)
        rota.shift_unassign(acting_user=harbor.user("coordinator"), assignment=assignment)
        swap.refresh_from_db()
        assert swap.state == SwapState.WITHDRAWN
        rota.shift_signup(acting_user=harbor.user("supervisor"), shift=shift)
        with pytest.raises(ValidationError, match="no longer on the shift"):
            rota.shift_unassign(acting_user=harbor.user("coordinator"), assignment=assignment)


def test_supervisor_must_hold_a_supervising_role(harbor: Tenant) -> None:
    shift = make_shift(harbor)
    with tenant_scope(harbor.organisation):
        with pytest.raises(ValidationError) as caught:
            rota.supervisor_set(acting_user=harbor.user("coordinator"), shift=shift, supervisor=harbor.user("peer"))
        assert "supervisor" in caught.value.message_dict
        rota.supervisor_set(acting_user=harbor.user("coordinator"), shift=shift, supervisor=harbor.user("supervisor"))
        shift.refresh_from_db()
        assert shift.supervisor == harbor.user("supervisor")
        rota.supervisor_set(acting_user=harbor.user("coordinator"), shift=shift, supervisor=None)
        shift.refresh_from_db()
        assert shift.supervisor is None


def test_one_off_shift_bad_times(harbor: Tenant) -> None:
    with pytest.raises(ValidationError, match="end after"):
        make_shift(harbor, hours=0)
    with pytest.raises(ValidationError, match="at most 24 hours"):
        make_shift(harbor, hours=25)
    with tenant_scope(harbor.organisation):
        assert not Shift.objects.exists()


# --- Swaps -----------------------------------------------------------------------------------------


def _second_peer(harbor: Tenant) -> Any:
    with scopes_disabled():
        user = account_services.user_create(acting_user=None, email="peer2@harbor.test", password="x" * 12)
        account_services.membership_grant(acting_user=None, organisation=harbor.organisation, user=user, role="peer")
    return user


def test_swap_lifecycle_open_offer(harbor: Tenant) -> None:
    shift = make_shift(harbor)
    peer, other = harbor.user("peer"), _second_peer(harbor)
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=peer, shift=shift)
        swap = rota.swap_request(acting_user=peer, assignment=assignment)
        with pytest.raises(ValidationError, match="already offered"):
            rota.swap_request(acting_user=peer, assignment=assignment)
        with pytest.raises(ValidationError, match="own offer"):
            rota.swap_accept(acting_user=peer, swap=swap)
        with pytest.raises(ValidationError, match="offered"):
            rota.swap_approve(acting_user=harbor.user("coordinator"), swap=swap)
        rota.swap_accept(acting_user=other, swap=swap)
        rota.swap_approve(acting_user=harbor.user("coordinator"), swap=swap)
        swap.refresh_from_db()
        assert swap.state == SwapState.APPROVED
        on = dict(ShiftAssignment.objects.filter(shift=shift).values_list("user_id", "state"))
        assert on == {peer.pk: AssignmentState.SWAPPED, other.pk: AssignmentState.ACTIVE}
        with pytest.raises(ValidationError, match="approved"):
            rota.swap_withdraw(acting_user=peer, swap=swap)
    assert _actions(harbor)[-4:] == ["shift_swap.request", "shift_swap.accept", "shift_swap.approve", "shift.swap"]


def test_swap_to_a_named_peer(harbor: Tenant) -> None:
    shift = make_shift(harbor)
    peer, other = harbor.user("peer"), _second_peer(harbor)
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=peer, shift=shift)
        with pytest.raises(ValidationError):
            rota.swap_request(acting_user=peer, assignment=assignment, offered_to=harbor.user("referrer"))
        with pytest.raises(ValidationError, match="someone else"):
            rota.swap_request(acting_user=peer, assignment=assignment, offered_to=peer)
        swap = rota.swap_request(acting_user=peer, assignment=assignment, offered_to=other)
        with pytest.raises(ValidationError, match="someone else"):
            rota.swap_accept(acting_user=harbor.user("supervisor"), swap=swap)
        with pytest.raises(ValidationError, match="Only the person it was offered to"):
            rota.swap_decline(acting_user=harbor.user("supervisor"), swap=swap)
        rota.swap_decline(acting_user=other, swap=swap)
        swap.refresh_from_db()
        assert swap.state == SwapState.DECLINED
        with pytest.raises(ValidationError):
            rota.swap_accept(acting_user=other, swap=swap)


def test_swap_withdraw_and_coordinator_decline(harbor: Tenant) -> None:
    shift = make_shift(harbor)
    peer = harbor.user("peer")
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=peer, shift=shift)
        swap = rota.swap_request(acting_user=peer, assignment=assignment)
        with pytest.raises(ValidationError, match="Only the person who offered"):
            rota.swap_withdraw(acting_user=harbor.user("supervisor"), swap=swap)
        rota.swap_withdraw(acting_user=peer, swap=swap)
        again = rota.swap_request(acting_user=peer, assignment=assignment)
        rota.swap_accept(acting_user=harbor.user("supervisor"), swap=again)
        rota.swap_decline(acting_user=harbor.user("coordinator"), swap=again, as_coordinator=True)
        assert list(ShiftSwap.objects.order_by("created_at").values_list("state", flat=True)) == [
            SwapState.WITHDRAWN,
            SwapState.DECLINED,
        ]
        # The place stayed with the person who offered it.
        assert rota.assigned_count(shift) == 1


def test_only_own_assignment_can_be_offered(harbor: Tenant) -> None:
    shift = make_shift(harbor)
    with tenant_scope(harbor.organisation):
        assignment = rota.shift_signup(acting_user=harbor.user("peer"), shift=shift)
        with pytest.raises(ValidationError, match="only offer a shift you are on"):
            rota.swap_request(acting_user=harbor.user("supervisor"), assignment=assignment)


# --- On-shift status -------------------------------------------------------------------------------


def test_status_only_while_on_shift(harbor: Tenant) -> None:
    shift = make_shift(harbor, starts_at=NOW + timedelta(hours=1))
    peer = harbor.user("peer")
    with tenant_scope(harbor.organisation):
        rota.shift_signup(acting_user=peer, shift=shift)
        with pytest.raises(ValidationError, match="only while you are on a shift"):
            rota.status_set(acting_user=peer, organisation=harbor.organisation, status=DutyStatus.BUSY)
        with at(NOW + timedelta(hours=2)):
            assert rota.status_of(peer, harbor.organisation, NOW + timedelta(hours=2)) == DutyStatus.AVAILABLE
            rota.status_set(acting_user=peer, organisation=harbor.organisation, status=DutyStatus.BREAK)
            assert rota.status_of(peer, harbor.organisation, NOW + timedelta(hours=2)) == DutyStatus.BREAK
            with pytest.raises(ValidationError):
                rota.status_set(acting_user=peer, organisation=harbor.organisation, status="asleep")
        row = OnShiftStatus.objects.get(user=peer)
        assert row.shift == shift and row.changed_at == NOW + timedelta(hours=2)
        with at(NOW + timedelta(hours=6)), pytest.raises(ValidationError):
            rota.status_set(acting_user=peer, organisation=harbor.organisation, status=DutyStatus.AVAILABLE)
    assert _actions(harbor)[-1] == "shift.status_set"


def test_supervisor_on_duty_may_set_status(harbor: Tenant) -> None:
    make_shift(harbor, starts_at=NOW - timedelta(hours=1), supervisor=harbor.user("supervisor"))
    with tenant_scope(harbor.organisation):
        row = rota.status_set(
            acting_user=harbor.user("supervisor"), organisation=harbor.organisation, status=DutyStatus.BUSY
        )
    assert row.status == DutyStatus.BUSY


# --- Coverage --------------------------------------------------------------------------------------


def test_coverage_flags_gaps(harbor: Tenant, django_assert_max_num_queries: Any) -> None:
    line = make_line(harbor)
    boss = harbor.user("supervisor")
    full = make_shift(harbor, line, min_peers=1, supervisor=boss)
    short = make_shift(harbor, line, starts_at=NOW + timedelta(days=2), min_peers=2, supervisor=boss)
    alone = make_shift(harbor, line, starts_at=NOW + timedelta(days=3), min_peers=0)
    for extra in range(5):
        make_shift(harbor, line, starts_at=NOW + timedelta(days=4, hours=extra), min_peers=0, supervisor=boss)
    with tenant_scope(harbor.organisation):
        rota.shift_signup(acting_user=harbor.user("peer"), shift=full)
        rota.shift_signup(acting_user=harbor.user("peer"), shift=short)
        with django_assert_max_num_queries(2):
            covers = rota.coverage(harbor.organisation, NOW, NOW + timedelta(days=7), line=line)
            flags = {c.shift.pk: (c.under_min, c.no_supervisor, c.gap, c.missing) for c in covers}
        assert flags[full.pk] == (False, False, False, 0)
        assert flags[short.pk] == (True, False, True, 1)
        assert flags[alone.pk] == (False, True, True, 0)
        assert [c.shift.pk for c in rota.gaps(harbor.organisation, NOW, NOW + timedelta(days=7))] == [
            short.pk,
            alone.pk,
        ]
