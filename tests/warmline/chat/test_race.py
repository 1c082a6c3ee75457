"""Two peers can never claim the same chat, and one peer never exceeds the line's limit
(PostgreSQL: real row locks and real threads; skipped on SQLite, as tests/groups/test_race.py).

Each claiming thread waits (up to a second) at a barrier after it has taken its locks and counted
the chats it holds. Without the locks both would pass the state check and both would claim; with
them, the second thread cannot even read the conversation until the first has committed."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat
from alongside.warmline.models import ConversationState
from tests.warmline.chat.helpers import fresh, make_line, start

pytestmark = [
    pytest.mark.usefixtures("committing_db"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _race(
    monkeypatch: pytest.MonkeyPatch, organisation: Any, claims: list[tuple[Any, Any]]
) -> tuple[list[Any], list[Any]]:
    barrier = threading.Barrier(len(claims))
    counted = chat.active_count

    def count_then_wait(user: Any, organisation_id: Any) -> int:
        n = counted(user, organisation_id)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1.0)
        return n

    monkeypatch.setattr(chat, "active_count", count_then_wait)
    won: list[Any] = []
    refused: list[Any] = []
    errors: list[BaseException] = []

    def claim(user: Any, conversation: Any) -> None:
        try:
            with tenant_scope(organisation):
                chat.chat_claim(acting_user=user, conversation=fresh(conversation))
                won.append((user.pk, conversation.pk))
        except ValidationError:
            refused.append((user.pk, conversation.pk))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=pair) for pair in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return won, refused


def test_two_peers_racing_for_one_chat(harbor: Any, world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world.put_on_shift(harbor.user("peer"), harbor.user("supervisor"))
    line = make_line(harbor)
    conversation = start(line).conversation
    won, refused = _race(
        monkeypatch,
        harbor.organisation,
        [(harbor.user("peer"), conversation), (harbor.user("supervisor"), conversation)],
    )
    assert len(won) == 1 and len(refused) == 1
    claimed = fresh(conversation)
    assert claimed.state == ConversationState.ACTIVE and claimed.peer_id == won[0][0]


def test_one_peer_racing_for_two_chats_over_the_limit(harbor: Any, world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world.put_on_shift(harbor.user("peer"))
    line = make_line(harbor, max_chats_per_peer=1)
    first, second = start(line).conversation, start(line).conversation
    peer = harbor.user("peer")
    won, refused = _race(monkeypatch, harbor.organisation, [(peer, first), (peer, second)])
    assert len(won) == 1 and len(refused) == 1
