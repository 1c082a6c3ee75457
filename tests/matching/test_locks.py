"""Row locks under real concurrency (PostgreSQL): two coordinators race for a peer's last place.

These tests commit for real (threads use their own connections), so pytest-django empties the
database with a flush afterwards. The audit table refuses DELETE and TRUNCATE by trigger; as in
tests/browser/conftest.py the triggers are lifted just for the flush and put back when the module
is done."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django_scopes import scopes_disabled

from alongside.matching import selectors, services
from alongside.matching.models import Match, MatchRequest
from tests.matching.helpers import make_peer, make_person, make_request

pytestmark = [
    pytest.mark.usefixtures("committing_db"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises writers)"
    ),
]


def test_two_coordinators_cannot_fill_the_same_last_place(harbor, monkeypatch):
    real_room = selectors.peer_room

    def slow_room(profile: Any) -> Any:
        # Widen the window between counting the room and writing the proposal: without the
        # profile lock both coordinators would count one free place.
        room = real_room(profile)
        time.sleep(0.3)
        return room

    monkeypatch.setattr(selectors, "peer_room", slow_room)
    with scopes_disabled():
        ana = make_peer(harbor, "Ana", caseload_limit=1)
        requests = [make_request(harbor, make_person(harbor, name)) for name in ("Lee", "Max")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def propose(request: MatchRequest) -> None:
        try:
            with scopes_disabled():
                barrier.wait()
                services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=ana)
            outcomes.append("proposed")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=propose, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["proposed", "refused"]
    with scopes_disabled():
        assert Match.objects.filter(peer=ana, status="proposed").count() == 1
