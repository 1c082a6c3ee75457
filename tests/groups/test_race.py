"""Two people can never take the last place (PostgreSQL: real row locks and real threads).

Each thread counts the places and then waits (up to a second) for the other at a barrier before
writing. Without the group lock both count one free place and both get it; with it, the second
thread cannot even count until the first has committed, so the barrier times out and exactly one
registration gets the place."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from django.db import connection, connections

from alongside.core.tenancy import tenant_scope
from alongside.groups import registration as reg
from alongside.groups.models import Registration, RegistrationStatus
from alongside.groups.vocab import Joining
from tests.groups.helpers import make_group

pytestmark = [
    pytest.mark.usefixtures("committing_db"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_people_racing_for_the_last_place(harbor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with tenant_scope(harbor.organisation):
        group = make_group(harbor, "Last Seat", joining=Joining.REGISTRATION, capacity=2)
        reg.register_public(group=group, first_name="First", email="first@example.org")
    barrier = threading.Barrier(2)
    counted = reg.registered_count

    def count_then_wait(g: Any) -> int:
        n = counted(g)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1.5)
        return n

    monkeypatch.setattr(reg, "registered_count", count_then_wait)
    results: list[str] = []
    errors: list[BaseException] = []

    def register(name: str) -> None:
        try:
            with tenant_scope(harbor.organisation):
                result = reg.register_public(group=group, first_name=name, email=f"{name}@example.org")
                results.append(str(result.registration.status))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(name,)) for name in ("ana", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(results) == [RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED]
    with tenant_scope(harbor.organisation):
        assert Registration.objects.filter(group=group, status=RegistrationStatus.REGISTERED).count() == 2
