"""Chat delivery under faults, with real servers (GitHub issue 6; SECURITY.md, "a chat message is
acknowledged only after it is committed"): two uvicorn processes on the test's PostgreSQL database
and a private Redis channel layer, the visitor on one and the peer supporter on the other, each
side a client that behaves like ``chat.js`` (outbox resent on reconnect, ``sync`` after the last
seq, repeats dropped by seq).

(a) Redis is killed mid-conversation and started again; (b) the visitor's server is killed with
SIGKILL and started again. In both, every acknowledged message ends up in both transcripts exactly
once, under the seq it was acknowledged with, numbered without gaps and in the order each side
wrote. A database restart is not tested here: it would interrupt everyone else's work on the
machine's one PostgreSQL server.

PostgreSQL only (the server processes must share the test database, which SQLite's in-memory test
database cannot); skipped when ``redis-server`` or the ``websockets`` library for uvicorn is missing,
unless ``ALONGSIDE_REQUIRE_REDIS=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat, consumers
from alongside.warmline.models import Message
from tests.warmline.chat.helpers import fresh, make_line, start
from tests.warmline.chat.servers import (
    ChatClient,
    PrivateRedis,
    Server,
    check_delivery,
    running,
    server_env,
    until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committing_db")]

WAIT = 15  # seconds: a deadline for each step, not a sleep


def _missing() -> str:
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (DATABASE_URL): the servers share the test database"
    if shutil.which("redis-server") is None:
        return "needs redis-server"
    if importlib.util.find_spec("websockets") is None:
        return "needs the websockets library (test extras) for uvicorn"
    return ""


@pytest.fixture
def need_servers(db: Any) -> None:
    reason = _missing()
    if reason and os.environ.get("ALONGSIDE_REQUIRE_REDIS") == "1" and connection.vendor == "postgresql":
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class Rig:
    redis: PrivateRedis
    servers: list[Server]
    visitor_path: str
    visitor_headers: dict[str, str]
    peer_path: str
    peer_headers: dict[str, str]


@pytest.fixture
def rig(need_servers: None, harbor: Any, world: Any, login_as: Any) -> Iterator[Rig]:
    """A claimed conversation, two servers (visitor on the first, peer on the second), one Redis."""
    peer = harbor.user("peer")
    world.put_on_shift(peer)
    line = make_line(harbor)
    started = start(line)
    with tenant_scope(harbor.organisation):
        chat.chat_claim(acting_user=peer, conversation=fresh(started.conversation))
    session = login_as(peer).cookies[settings.SESSION_COOKIE_NAME].value
    redis = PrivateRedis()
    var_dir = tempfile.mkdtemp(prefix="alongside-faults-")
    env = server_env(
        database_url=database_url(),
        redis_url=redis.url(0),
        secret_key=settings.SECRET_KEY,
        encryption_keys=",".join(settings.ENCRYPTION_KEYS),
        var_dir=var_dir,
    )
    servers = [Server(env, log_dir=var_dir), Server(env, log_dir=var_dir)]
    conversation_id = started.conversation.pk
    with running(servers, redis):
        yield Rig(
            redis,
            servers,
            f"/ws/chat/{conversation_id}/",
            {"Cookie": f"{consumers.VISITOR_COOKIE}={conversation_id}.{started.secret}"},
            f"/ws/warmline/{harbor.organisation.slug}/chat/{conversation_id}/",
            {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        )
    shutil.rmtree(var_dir, ignore_errors=True)


def clients(rig: Rig, session: Any) -> tuple[ChatClient, ChatClient]:
    a, b = rig.servers
    visitor = ChatClient(
        [a.ws_url(rig.visitor_path), b.ws_url(rig.visitor_path)],
        rig.visitor_headers | {"Origin": a.origin},
        session,
        name="visitor",
    )
    peer = ChatClient(
        [b.ws_url(rig.peer_path), a.ws_url(rig.peer_path)],
        rig.peer_headers | {"Origin": b.origin},
        session,
        name="peer",
    )
    return visitor, peer


async def talk(visitor: ChatClient, peer: ChatClient, tag: str, n: int) -> None:
    """Each side writes ``n`` messages, alternately, without waiting for acknowledgements."""
    for i in range(n):
        await visitor.send(f"v-{tag}-{i}", f"visitor {tag} {i}")
        await peer.send(f"p-{tag}-{i}", f"peer {tag} {i}")


async def settled(visitor: ChatClient, peer: ChatClient) -> None:
    """Until both outboxes are empty and both sides hold every acknowledged message."""

    def done() -> bool:
        if visitor.outbox or peer.outbox:
            return False
        seqs = set(visitor.acked.values()) | set(peer.acked.values())
        return seqs <= set(visitor.messages) and seqs <= set(peer.messages)

    deadline = asyncio.get_running_loop().time() + WAIT
    while not done():
        assert asyncio.get_running_loop().time() < deadline, "not settled in time"
        for side in (visitor, peer):
            await side.sync()  # as the script does after a gap; a repeat is dropped by seq
        await asyncio.sleep(0.1)


def stored(rig: Rig) -> list[str]:
    with scopes_disabled():
        return list(Message.objects.order_by("seq").values_list("client_id", flat=True))


def written(side: ChatClient) -> int:
    return sum(1 for m in side.messages.values() if m.sender != "system")


def test_redis_killed_mid_conversation_and_started_again(rig: Rig) -> None:
    import aiohttp

    async def scenario() -> tuple[ChatClient, ChatClient]:
        async with aiohttp.ClientSession() as session:
            visitor, peer = clients(rig, session)
            visitor.start()
            peer.start()
            await until(lambda: visitor.connected and peer.connected, WAIT, "both sides connected")
            await talk(visitor, peer, "before", 5)
            await settled(visitor, peer)

            rig.redis.stop()
            await talk(visitor, peer, "down", 5)
            # Whatever the servers did with these (stored and acked, or a dropped socket), nothing
            # is lost: wait until each was acknowledged or the socket went away with it unacked.
            await until(lambda: all(not s.outbox or not s.connected for s in (visitor, peer)), WAIT, "sends answered")
            rig.redis.start()
            await talk(visitor, peer, "after", 5)
            await settled(visitor, peer)
            await visitor.close()
            await peer.close()
            return visitor, peer

    visitor, peer = asyncio.run(scenario())
    assert check_delivery(visitor, peer) == []
    assert written(visitor) == 30  # 15 each (plus the system's "waiting" and "joined")
    ids = stored(rig)
    assert len(ids) == len(set(ids)) == len(visitor.messages)


def test_visitors_server_killed_mid_conversation(rig: Rig) -> None:
    import aiohttp

    async def scenario() -> tuple[ChatClient, ChatClient]:
        async with aiohttp.ClientSession() as session:
            visitor, peer = clients(rig, session)
            visitor.start()
            peer.start()
            await until(lambda: visitor.connected and peer.connected, WAIT, "both sides connected")
            await talk(visitor, peer, "before", 5)
            await settled(visitor, peer)

            await talk(visitor, peer, "crash", 5)  # some of the visitor's are in flight when it dies
            rig.servers[0].kill()
            await talk(visitor, peer, "down", 5)  # the visitor reconnects to the other server
            await until(lambda: visitor.connects >= 2 and visitor.connected, WAIT, "the visitor reconnected")
            rig.servers[0].start()
            await talk(visitor, peer, "after", 5)
            await settled(visitor, peer)
            await visitor.close()
            await peer.close()
            return visitor, peer

    visitor, peer = asyncio.run(scenario())
    assert check_delivery(visitor, peer) == []
    assert visitor.connects >= 2
    assert written(visitor) == 40
    ids = stored(rig)
    assert len(ids) == len(set(ids)) == len(visitor.messages)
