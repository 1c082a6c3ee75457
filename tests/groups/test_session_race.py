"""``session_for`` when two requests make the same session row at once (PostgreSQL: real threads).

Both threads look for the row, find none, and wait for each other before inserting: the unique
constraint lets one insert win, and the other reads the winner's row. Both get the same session
and there is one row."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection, connections

from alongside.core.tenancy import tenant_scope
from alongside.groups import services
from alongside.groups.models import Session
from alongside.groups.schedules import occurrences
from tests.groups.helpers import make_group, make_schedule

pytestmark = [
    pytest.mark.usefixtures("committing_db"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL"),
]


def test_two_requests_make_one_session_row(harbor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with tenant_scope(harbor.organisation):
        group = make_group(harbor, "Race Circle")
        make_schedule(group, start_date=date(2030, 1, 1))
        key = occurrences(group, datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 8, tzinfo=UTC))[0].key
    barrier = threading.Barrier(2)
    expand = services.rules.rule_starts

    def expand_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = expand(*args, **kwargs)  # after the lookup that found no row, before the insert
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return found

    monkeypatch.setattr(services.rules, "rule_starts", expand_then_wait)
    results: list[Any] = []
    errors: list[BaseException] = []

    def make() -> None:
        try:
            with tenant_scope(harbor.organisation):
                results.append(services.session_for(group=group, key=key).pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=make) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]
    assert not barrier.broken  # both really looked before either inserted
    with tenant_scope(harbor.organisation):
        assert Session.objects.filter(group=group).count() == 1
