"""The interface other parts call (alongside/warmline/shifts.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alongside.core.tenancy import tenant_scope
from alongside.warmline import rota
from alongside.warmline.models import DutyStatus
from alongside.warmline.shifts import available_peers, is_on_shift, peers_on_shift, supervisors_on_duty
from tests.conftest import Tenant
from tests.warmline.shifts.helpers import NOW, at, make_line, make_shift

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def running(harbor: Tenant) -> Any:
    """A shift on the Evening Line from 11:00 to 15:00 UTC with the peer on it and the supervisor on duty."""
    line = make_line(harbor)
    shift = make_shift(harbor, line, starts_at=NOW + timedelta(hours=1) - timedelta(hours=2), supervisor=None)
    with tenant_scope(harbor.organisation):
        rota.shift_assign(
            acting_user=harbor.user("coordinator"), shift=shift, user=harbor.user("peer"), now=NOW - timedelta(days=1)
        )
        rota.supervisor_set(acting_user=harbor.user("coordinator"), shift=shift, supervisor=harbor.user("supervisor"))
    return line, shift


def test_who_is_on_shift(harbor: Tenant, running: Any) -> None:
    line, shift = running
    peer, boss = harbor.user("peer"), harbor.user("supervisor")
    # No tenant scope needed by the caller.
    assert peers_on_shift(line, NOW) == [peer, boss]
    assert supervisors_on_duty(line, NOW) == [boss]
    assert is_on_shift(peer, line, NOW) and is_on_shift(boss, line, NOW)
    assert not is_on_shift(harbor.user("coordinator"), line, NOW)
    assert available_peers(line, NOW) == [peer, boss]
    # Before and after the shift, and on another line: nobody.
    for moment in (shift.starts_at - timedelta(seconds=1), shift.ends_at):
        assert peers_on_shift(line, moment) == []
        assert supervisors_on_duty(line, moment) == []
        assert not is_on_shift(peer, line, moment)
    other = make_line(harbor, "Day Line")
    assert peers_on_shift(other, NOW) == [] and available_peers(other, NOW) == []


def test_available_follows_status(harbor: Tenant, running: Any) -> None:
    line, _shift = running
    peer, boss = harbor.user("peer"), harbor.user("supervisor")
    with tenant_scope(harbor.organisation):
        rota.status_set(acting_user=peer, organisation=harbor.organisation, status=DutyStatus.BREAK)
    assert available_peers(line, NOW) == [boss]
    assert peers_on_shift(line, NOW) == [peer, boss]
    with tenant_scope(harbor.organisation):
        rota.status_set(acting_user=peer, organisation=harbor.organisation, status=DutyStatus.AVAILABLE)
    assert available_peers(line, NOW) == [peer, boss]


def test_status_from_an_earlier_shift_does_not_carry_over(harbor: Tenant, running: Any) -> None:
    line, shift = running
    peer = harbor.user("peer")
    with tenant_scope(harbor.organisation):
        rota.status_set(acting_user=peer, organisation=harbor.organisation, status=DutyStatus.SIGNED_OFF)
    later = make_shift(harbor, line, starts_at=NOW + timedelta(days=1))
    with tenant_scope(harbor.organisation):
        rota.shift_signup(acting_user=peer, shift=later)
    with at(later.starts_at + timedelta(minutes=5)):
        assert peer in available_peers(line, later.starts_at + timedelta(minutes=5))


def test_cancelled_shift_counts_for_nobody(harbor: Tenant, running: Any) -> None:
    line, shift = running
    with tenant_scope(harbor.organisation):
        rota.shift_cancel(acting_user=harbor.user("coordinator"), shift=shift)
    assert peers_on_shift(line, NOW) == []
    assert not is_on_shift(harbor.user("peer"), line, NOW)


def test_other_organisation_line_sees_nothing_of_harbor(harbor: Tenant, riverbend: Tenant, running: Any) -> None:
    theirs = make_line(riverbend)
    assert peers_on_shift(theirs, NOW) == []
    assert not is_on_shift(harbor.user("peer"), theirs, NOW)
