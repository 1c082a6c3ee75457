"""The chat sockets, through the real ASGI application (origin check, cookies, sessions): ack only
after commit, broadcast to the other side, sync after a reconnect returns exactly what was missed,
a duplicate client id acked twice with one stored message, nobody opens a conversation that is not
theirs, screening sends crisis options to the visitor and an alert to supervisors, and a staff
socket stops when the person's sessions end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from alongside.accounts.services import sessions_end_all
from alongside.asgi import application
from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat, consumers
from alongside.warmline.models import Message
from tests.warmline.chat.helpers import FLAG_WORD, fresh, make_line, start
from tests.warmline.chat.sockets import Socket as WebsocketCommunicator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committing_db")]

ORIGIN = (b"origin", b"http://localhost")
TIMEOUT = 3


def run(body: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(body)()


def visitor_socket(
    started: chat.ChatStart, conversation_id: Any = None, secret: str | None = None
) -> WebsocketCommunicator:
    cid = conversation_id or started.conversation.pk
    cookie = f"{consumers.VISITOR_COOKIE}={cid}.{secret if secret is not None else started.secret}".encode()
    return WebsocketCommunicator(application, f"/ws/chat/{cid}/", headers=[ORIGIN, (b"cookie", cookie)])


def staff_socket(client: Any, path: str) -> WebsocketCommunicator:
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}".encode()
    return WebsocketCommunicator(application, path, headers=[ORIGIN, (b"cookie", cookie)])


def peer_path(t: Any, conversation: Any) -> str:
    return f"/ws/warmline/{t.organisation.slug}/chat/{conversation.pk}/"


async def receive_until(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == kind:
            return frame


@pytest.fixture
def line(harbor: Any, world: Any) -> Any:
    world.put_on_shift(harbor.user("peer"), harbor.user("supervisor"))
    return make_line(harbor)


def claimed(t: Any, line: Any) -> chat.ChatStart:
    started = start(line)
    with tenant_scope(t.organisation):
        chat.chat_claim(acting_user=t.user("peer"), conversation=fresh(started.conversation))
    return started


def test_ack_only_after_commit_and_broadcast_to_the_peer(
    harbor: Any, line: Any, login_as: Any, monkeypatch: Any
) -> None:
    started = claimed(harbor, line)
    seen: list[tuple[str, bool]] = []
    original = consumers.VisitorChatConsumer.send_json

    def spy(self: Any, content: Any, close: bool = False) -> None:
        seen.append((content.get("type"), connection.in_atomic_block))
        original(self, content, close)

    monkeypatch.setattr(consumers.VisitorChatConsumer, "send_json", spy)
    peer = staff_socket(login_as(harbor.user("peer")), peer_path(harbor, started.conversation))
    visitor = visitor_socket(started)

    async def body() -> None:
        assert (await peer.connect())[0]
        assert (await visitor.connect())[0]
        assert (await peer.receive_json_from(timeout=TIMEOUT))["type"] == "state"
        await visitor.send_json_to({"type": "send", "client_id": "v-1", "body": "hello there"})
        ack = await receive_until(visitor, "ack")
        assert ack == {"type": "ack", "client_id": "v-1", "seq": 3}
        got = await receive_until(peer, "message")
        assert (got["seq"], got["sender"], got["body"]) == (3, "visitor", "hello there")
        await peer.send_json_to({"type": "send", "client_id": "p-1", "body": "I'm here"})
        assert (await receive_until(peer, "ack"))["seq"] == 4
        echo = await receive_until(visitor, "message")  # each side gets its own messages too (by seq)
        assert (echo["seq"], echo["sender"]) == (3, "visitor")
        mine = await receive_until(visitor, "message")
        assert (mine["seq"], mine["sender"]) == (4, "peer")
        await visitor.send_json_to({"type": "typing"})
        assert await receive_until(peer, "typing") == {"type": "typing", "who": "visitor"}
        await peer.disconnect()
        await visitor.disconnect()

    run(body)
    assert ("ack", False) in seen  # sent outside any transaction: the message was committed first


def test_duplicate_client_id_acked_twice_one_message(line: Any) -> None:
    started = start(line)
    visitor = visitor_socket(started)

    async def body() -> None:
        assert (await visitor.connect())[0]
        for _ in range(2):
            await visitor.send_json_to({"type": "send", "client_id": "same", "body": "hello"})
            assert (await receive_until(visitor, "ack"))["seq"] == 2
        await visitor.disconnect()

    run(body)
    with scopes_disabled():
        assert Message.objects.filter(conversation=started.conversation, client_id="same").count() == 1


def test_sync_after_reconnect_returns_exactly_the_missed_messages(harbor: Any, line: Any) -> None:
    started = claimed(harbor, line)  # seq 1 queued, 2 joined
    for n in range(3):  # the visitor is offline while the peer writes 3, 4, 5
        with tenant_scope(harbor.organisation):
            chat.message_send(
                conversation=fresh(started.conversation),
                sender="peer",
                client_id=f"p{n}",
                body=f"m{n}",
                acting_user=harbor.user("peer"),
            )
    visitor = visitor_socket(started)

    async def body() -> None:
        assert (await visitor.connect())[0]
        state = await visitor.receive_json_from(timeout=TIMEOUT)
        assert state["last_seq"] == 5
        await visitor.send_json_to({"type": "sync", "after": 2})
        got = [await visitor.receive_json_from(timeout=TIMEOUT) for _ in range(4)]
        assert [m.get("seq") for m in got[:3]] == [3, 4, 5]
        assert [m["body"] for m in got[:3]] == ["m0", "m1", "m2"]
        assert got[3] == {"type": "synced", "last_seq": 5, "state": "active"}
        await visitor.send_json_to({"type": "sync", "after": "x"})
        assert (await visitor.receive_json_from(timeout=TIMEOUT))["type"] == "error"
        await visitor.send_json_to({"type": "send", "client_id": "bad id!", "body": "x"})
        error = await visitor.receive_json_from(timeout=TIMEOUT)
        assert error["type"] == "error" and "client_id" in error["errors"]
        await visitor.disconnect()

    run(body)


def test_visitor_cannot_open_another_conversation(line: Any) -> None:
    mine, theirs = start(line), start(line)

    async def body() -> None:
        # My secret with their id, their id with no secret, a made-up secret: all refused.
        for socket in [
            visitor_socket(mine, conversation_id=theirs.conversation.pk),
            visitor_socket(theirs, secret=""),
            visitor_socket(theirs, secret="not-the-secret"),
        ]:
            connected, _code = await socket.connect()
            assert not connected

    run(body)


def test_wrong_origin_refused(line: Any) -> None:
    started = start(line)
    cookie = f"{consumers.VISITOR_COOKIE}={started.conversation.pk}.{started.secret}".encode()
    socket = WebsocketCommunicator(
        application,
        f"/ws/chat/{started.conversation.pk}/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)],
    )

    async def body() -> None:
        assert not (await socket.connect())[0]

    run(body)


def test_staff_sockets_refused_to_outsiders_non_holders_and_anonymous(
    harbor: Any, riverbend: Any, line: Any, login_as: Any
) -> None:
    started = claimed(harbor, line)
    path = peer_path(harbor, started.conversation)
    sockets = [
        staff_socket(login_as(riverbend.user("peer")), path),
        staff_socket(
            login_as(riverbend.user("admin")),
            f"/ws/warmline/{riverbend.organisation.slug}/chat/{started.conversation.pk}/",
        ),
        staff_socket(login_as(harbor.user("supervisor")), path),  # not the holder
        staff_socket(login_as(harbor.user("funder")), f"/ws/warmline/{harbor.organisation.slug}/queue/"),
        staff_socket(login_as(riverbend.user("peer")), f"/ws/warmline/{harbor.organisation.slug}/queue/"),
        WebsocketCommunicator(application, path, headers=[ORIGIN]),
    ]

    async def body() -> None:
        for socket in sockets:
            assert not (await socket.connect())[0]

    run(body)


def test_flag_sends_crisis_options_to_the_visitor_and_an_alert_to_supervisors(
    harbor: Any, line: Any, login_as: Any
) -> None:
    started = claimed(harbor, line)
    visitor = visitor_socket(started)
    peer = staff_socket(login_as(harbor.user("peer")), peer_path(harbor, started.conversation))
    board = staff_socket(login_as(harbor.user("supervisor")), f"/ws/warmline/{harbor.organisation.slug}/queue/")

    async def body() -> None:
        for socket in (visitor, peer, board):
            assert (await socket.connect())[0]
        assert (await board.receive_json_from(timeout=TIMEOUT))["type"] == "queue"
        await visitor.send_json_to({"type": "send", "client_id": "v-1", "body": f"I feel {FLAG_WORD}"})
        crisis = await receive_until(visitor, "crisis")
        assert [o["value"] for o in crisis["options"]] == ["988", "https://988lifeline.org/chat", "911"]
        peer_crisis = await receive_until(peer, "crisis")
        assert peer_crisis["rules"] == [FLAG_WORD] and peer_crisis["checklist"]
        alert = await receive_until(board, "alert")
        assert alert["conversation"] == str(started.conversation.pk) and alert["rules"] == [FLAG_WORD]
        for socket in (visitor, peer, board):
            await socket.disconnect()

    run(body)


def test_queue_socket_updates_when_someone_joins(harbor: Any, line: Any, login_as: Any) -> None:
    board = staff_socket(login_as(harbor.user("peer")), f"/ws/warmline/{harbor.organisation.slug}/queue/")

    async def body() -> None:
        assert (await board.connect())[0]
        assert (await board.receive_json_from(timeout=TIMEOUT)) == {"type": "queue", "items": []}
        from channels.db import database_sync_to_async

        started = await database_sync_to_async(start)(line, first_line="private words")
        update = await receive_until(board, "queue")
        assert [item["id"] for item in update["items"]] == [str(started.conversation.pk)]
        assert "private words" not in str(update)
        await board.disconnect()

    run(body)


def test_staff_socket_closes_when_sessions_end(harbor: Any, line: Any, login_as: Any) -> None:
    started = claimed(harbor, line)
    peer = staff_socket(login_as(harbor.user("peer")), peer_path(harbor, started.conversation))

    async def body() -> None:
        assert (await peer.connect())[0]
        await peer.receive_json_from(timeout=TIMEOUT)
        from channels.db import database_sync_to_async

        await database_sync_to_async(sessions_end_all)(user=harbor.user("peer"))
        await peer.send_json_to({"type": "send", "client_id": "p-1", "body": "still here?"})
        closed = await peer.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": consumers.CLOSE_SESSION_ENDED}

    run(body)
    with scopes_disabled():
        assert not Message.objects.filter(client_id="p-1").exists()


def test_transfer_moves_the_socket_and_close_reaches_the_visitor(
    harbor: Any, line: Any, login_as: Any, world: Any
) -> None:
    started = claimed(harbor, line)
    visitor = visitor_socket(started)
    old = staff_socket(login_as(harbor.user("peer")), peer_path(harbor, started.conversation))
    new = staff_socket(login_as(harbor.user("supervisor")), peer_path(harbor, started.conversation))

    async def body() -> None:
        from channels.db import database_sync_to_async

        assert (await visitor.connect())[0]
        assert (await old.connect())[0]

        def transfer() -> None:
            with tenant_scope(harbor.organisation):
                chat.chat_transfer(
                    acting_user=harbor.user("peer"),
                    conversation=fresh(started.conversation),
                    to_user=harbor.user("supervisor"),
                )

        await database_sync_to_async(transfer)()
        assert await receive_until(old, "transferred") == {"type": "transferred"}
        assert (await new.connect())[0]

        def close() -> None:
            with tenant_scope(harbor.organisation):
                chat.chat_close(
                    acting_user=harbor.user("supervisor"),
                    conversation=fresh(started.conversation),
                    closing_message="Bye",
                )

        await database_sync_to_async(close)()
        assert (await receive_until(visitor, "state"))["state"] in ("active", "closed")
        assert await receive_until(visitor, "closed") == {"type": "closed"}
        for socket in (visitor, new):
            await socket.disconnect()

    run(body)


def test_the_visitor_sees_their_place_move_up(harbor: Any, line: Any) -> None:
    ahead, mine = start(line), start(line)
    visitor = visitor_socket(mine)

    async def body() -> None:
        from channels.db import database_sync_to_async

        assert (await visitor.connect())[0]
        assert (await receive_until(visitor, "queue"))["position"] == 2

        def someone_is_answered() -> None:
            with tenant_scope(harbor.organisation):
                chat.chat_claim(acting_user=harbor.user("peer"), conversation=fresh(ahead.conversation))

        await database_sync_to_async(someone_is_answered)()
        update = await receive_until(visitor, "queue")
        assert update["position"] == 1 and update["wait_minutes"] is None
        await visitor.disconnect()

    run(body)


def test_unknown_frames_get_a_clear_error(line: Any) -> None:
    started = start(line)
    visitor = visitor_socket(started)

    async def body() -> None:
        assert (await visitor.connect())[0]
        await visitor.send_json_to({"type": "shout"})
        error = await receive_until(visitor, "error")
        assert error["errors"] == {"type": ["Unknown message type."]}
        await visitor.send_json_to([1, 2])
        assert (await receive_until(visitor, "error"))["errors"]["type"]
        await visitor.send_input({"type": "websocket.receive", "text": "{not json"})
        assert (await receive_until(visitor, "error"))["errors"]["type"]
        await visitor.disconnect()

    run(body)
