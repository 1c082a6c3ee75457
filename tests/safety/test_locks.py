"""A double click under real concurrency (PostgreSQL): two identical "raise" requests from the same
person at the same moment make one concern and one alert.

Commits for real (threads use their own connections); as in tests/matching/test_locks.py the audit
table's append-only triggers are lifted just for pytest-django's flush and put back afterwards."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections
from django_scopes import scopes_disabled

from alongside.safety import services
from alongside.safety.models import Escalation, EscalationAlert
from tests.safety.helpers import SUMMARY

pytestmark = [
    pytest.mark.usefixtures("committing_db"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises writers)"
    ),
]


def test_two_simultaneous_identical_raises_make_one_concern(harbor, monkeypatch):
    real_steps = services.current_steps

    def slow_steps(organisation: Any) -> Any:
        # Widen the window between the duplicate check and the insert: without the lock on the
        # reporter's row both requests would find no earlier concern.
        steps = real_steps(organisation)
        time.sleep(0.3)
        return steps

    monkeypatch.setattr(services, "current_steps", slow_steps)
    barrier = threading.Barrier(2)
    made: list[Any] = []

    def click() -> None:
        try:
            with scopes_disabled():
                barrier.wait()
                made.append(
                    services.escalation_raise(
                        acting_user=harbor.user("peer"),
                        organisation=harbor.organisation,
                        source="other",
                        summary=SUMMARY,
                    ).pk
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 2 and made[0] == made[1]
    with scopes_disabled():
        assert Escalation.objects.count() == 1
        assert EscalationAlert.objects.count() == 1
