"""The board socket: supervisors only, "changed" when the queue moves, a crisis alert with the
conversation's id and no words, and it closes once the supervisor's sessions end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings

from alongside.accounts.services import sessions_end_all
from alongside.asgi import application
from alongside.warmline import consumers
from tests.warmline.chat.helpers import FLAG_WORD, make_line, start
from tests.warmline.chat.sockets import Socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committing_db")]

ORIGIN = (b"origin", b"http://localhost")
TIMEOUT = 3


def run(body: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(body)()


def board_socket(client: Any, t: Any) -> Socket:
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}".encode()
    return Socket(application, f"/ws/warmline/{t.organisation.slug}/board/", headers=[ORIGIN, (b"cookie", cookie)])


@pytest.fixture
def line(harbor: Any, world: Any) -> Any:
    world.put_on_shift(harbor.user("peer"), harbor.user("supervisor"))
    return make_line(harbor)


async def receive_until(socket: Socket, kind: str) -> dict[str, Any]:
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == kind:
            return frame


def test_board_socket_changed_and_alert_without_words(harbor: Any, line: Any, login_as: Any) -> None:
    board = board_socket(login_as(harbor.user("supervisor")), harbor)

    async def body() -> None:
        assert (await board.connect())[0]
        started = await database_sync_to_async(start)(line, first_line=f"private words {FLAG_WORD}")
        alert = await receive_until(board, "alert")
        assert alert["conversation"] == str(started.conversation.pk) and alert["line"] == str(line.pk)
        assert "private words" not in str(alert) and FLAG_WORD not in str(alert)
        assert (await receive_until(board, "changed")) == {"type": "changed"}
        await board.disconnect()

    run(body)


@pytest.mark.parametrize("role", ["peer", "funder"])
def test_board_socket_refuses_people_who_do_not_supervise(harbor: Any, line: Any, login_as: Any, role: str) -> None:
    board = board_socket(login_as(harbor.user(role)), harbor)

    async def body() -> None:
        assert (await board.connect()) == (False, consumers.CLOSE_FORBIDDEN)

    run(body)


def test_board_socket_of_another_organisation_is_refused(harbor: Any, riverbend: Any, login_as: Any) -> None:
    board = board_socket(login_as(riverbend.user("supervisor")), harbor)

    async def body() -> None:
        assert (await board.connect()) == (False, consumers.CLOSE_FORBIDDEN)

    run(body)


def test_board_socket_closes_when_sessions_end(harbor: Any, line: Any, login_as: Any) -> None:
    board = board_socket(login_as(harbor.user("supervisor")), harbor)

    async def body() -> None:
        assert (await board.connect())[0]
        await database_sync_to_async(sessions_end_all)(user=harbor.user("supervisor"))
        await board.send_json_to({"type": "refresh"})
        closed = await board.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": consumers.CLOSE_SESSION_ENDED}

    run(body)
