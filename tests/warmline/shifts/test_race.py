"""Two peers can never take the last place on a shift (PostgreSQL: real row locks and threads).

Each thread counts the places and then waits (up to a second and a half) for the other at a
barrier before writing. Without the shift lock both would count one free place and both get it;
with it, the second cannot count until the first has committed, so exactly one gets the place."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.core.tenancy import tenant_scope
from alongside.warmline import rota
from alongside.warmline.models import AssignmentState, ShiftAssignment
from tests.warmline.shifts.helpers import make_line

pytestmark = [
    pytest.mark.usefixtures("committing_db"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_peers_racing_for_the_last_place(harbor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with scopes_disabled():
        second = account_services.user_create(acting_user=None, email="peer2@harbor.test", password="x" * 12)
        account_services.membership_grant(acting_user=None, organisation=harbor.organisation, user=second, role="peer")
    start = timezone.now() + timedelta(days=1)
    with tenant_scope(harbor.organisation):
        shift = rota.shift_create(
            acting_user=harbor.user("coordinator"),
            line=make_line(harbor),
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            min_peers=1,
            max_peers=1,
        )
    barrier = threading.Barrier(2)
    counted = rota.assigned_count

    def count_then_wait(s: Any) -> int:
        n = counted(s)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1.5)
        return n

    monkeypatch.setattr(rota, "assigned_count", count_then_wait)
    results: list[str] = []
    errors: list[BaseException] = []

    def sign_up(user: Any) -> None:
        try:
            with tenant_scope(harbor.organisation):
                rota.shift_signup(acting_user=user, shift=shift)
                results.append("placed")
        except ValidationError:
            results.append("full")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(user,)) for user in (harbor.user("peer"), second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(results) == ["full", "placed"]
    with tenant_scope(harbor.organisation):
        assert ShiftAssignment.objects.filter(shift=shift, state=AssignmentState.ACTIVE).count() == 1
