"""The live-chat gaps: presence (a visitor who closes the tab leaves the queue, by the sweep command
and lazily when the queue is read; an active chat only tells its peer "The person may have left"),
the flood limit on visitor messages (service, polling and socket, nothing written), and one
``chat.view`` audit row per peer socket connection (not per frame)."""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.asgi import application
from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat, consumers
from alongside.warmline.models import Conversation, ConversationState, Message
from tests.warmline.chat.helpers import fresh, make_line, start
from tests.warmline.chat.sockets import Socket

NOW = datetime(2030, 3, 5, 15, 0, tzinfo=UTC)
ORIGIN = (b"origin", b"http://localhost")
TIMEOUT = 3


@pytest.fixture
def line(harbor: Any, world: Any) -> Any:
    world.put_on_shift(harbor.user("peer"), harbor.user("supervisor"))
    return make_line(harbor)


def started_at(line: Any, when: datetime, seen: datetime | None = None) -> chat.ChatStart:
    with time_machine.travel(when, tick=False):
        begun = start(line)
    if seen is not None:
        with tenant_scope(line.organisation):
            chat.visitor_seen(conversation=fresh(begun.conversation), now=seen)
    return begun


def state(conversation: Conversation) -> str:
    return fresh(conversation).state


def sweep(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("warmline", "sweep-chats", *args, stdout=out)
    return json.loads(out.getvalue())


def claim(t: Any, conversation: Conversation, when: datetime) -> None:
    with time_machine.travel(when, tick=False), tenant_scope(t.organisation):
        chat.chat_claim(acting_user=t.user("peer"), conversation=fresh(conversation))


# --- Presence and the sweep ------------------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_abandons_only_waiting_chats_whose_visitor_left(harbor: Any, line: Any) -> None:
    window = timedelta(minutes=chat.resume_minutes())
    gone = started_at(line, NOW - timedelta(minutes=30), seen=NOW - window - timedelta(seconds=1)).conversation
    here = started_at(line, NOW - timedelta(minutes=30), seen=NOW - window + timedelta(seconds=1)).conversation
    never_opened = started_at(line, NOW - chat.NEVER_SEEN - timedelta(minutes=1)).conversation
    just_started = started_at(line, NOW - timedelta(minutes=30)).conversation  # page not open yet: grace
    active = started_at(line, NOW - timedelta(minutes=40), seen=NOW - timedelta(minutes=39)).conversation
    claim(harbor, active, NOW - timedelta(minutes=39))
    away = started_at(line, NOW - timedelta(minutes=30), seen=NOW - timedelta(minutes=29)).conversation
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False), tenant_scope(harbor.organisation):
        chat.visitor_step_away(conversation=fresh(away))  # its link works until NOW + 5 minutes
    expired_away = started_at(line, NOW - timedelta(minutes=30), seen=NOW - timedelta(minutes=29)).conversation
    with time_machine.travel(NOW - timedelta(minutes=11), tick=False), tenant_scope(harbor.organisation):
        chat.visitor_step_away(conversation=fresh(expired_away))

    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    assert sweep("--now", NOW.isoformat(), "--dry-run") == {"abandoned": 3, "dry_run": True, "now": NOW.isoformat()}
    assert state(gone) == ConversationState.WAITING
    assert AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() == before

    assert sweep("--now", NOW.isoformat(), "--org", "harbor")["abandoned"] == 3
    assert [state(c) for c in (gone, never_opened, expired_away)] == [ConversationState.ABANDONED] * 3
    assert [state(c) for c in (here, just_started, away)] == [ConversationState.WAITING] * 3
    assert state(active) == ConversationState.ACTIVE  # never closed automatically
    left = fresh(gone)
    assert left.closed_at == NOW and left.purge_after is not None and left.closed_by is None
    with scopes_disabled():
        assert Message.objects.filter(conversation=gone).order_by("-seq").first().event == "left"  # type: ignore[union-attr]
    events = AuditEvent.objects.filter(id__gt=before)
    assert sorted((e.action, e.actor_id, e.object_id) for e in events) == sorted(
        ("chat.abandon", None, str(c.pk)) for c in (gone, never_opened, expired_away)
    )
    assert sweep("--now", NOW.isoformat())["abandoned"] == 0  # nothing left to do


@pytest.mark.django_db
def test_sweep_command_refuses_bad_input(harbor: Any) -> None:
    with pytest.raises(CommandError, match="No active organisation has the slug 'nowhere'"):
        sweep("--org", "nowhere")
    with pytest.raises(CommandError, match="--now must be an ISO 8601"):
        sweep("--now", "soon")


@pytest.mark.django_db
def test_reading_the_queue_sweeps_on_the_way_and_a_stale_chat_never_blocks_it(harbor: Any, line: Any) -> None:
    gone = started_at(line, NOW - timedelta(minutes=30), seen=NOW - timedelta(minutes=20)).conversation
    here = started_at(line, NOW - timedelta(minutes=2), seen=NOW - timedelta(minutes=1)).conversation
    with time_machine.travel(NOW, tick=False), tenant_scope(harbor.organisation):
        assert chat.queue_position(fresh(here)) == 1  # the stale chat is not ahead
        assert [c.pk for c in chat.queue(None, harbor.organisation)] == [here.pk]
    assert state(gone) == ConversationState.ABANDONED


@pytest.mark.django_db
def test_a_gone_visitors_chat_cannot_be_claimed(harbor: Any, line: Any) -> None:
    from django.core.exceptions import ValidationError

    gone = started_at(line, NOW - timedelta(minutes=30), seen=NOW - timedelta(minutes=20)).conversation
    with pytest.raises(ValidationError, match="seems to have left"):
        claim(harbor, gone, NOW)
    assert state(gone) == ConversationState.WAITING


@pytest.mark.django_db
def test_presence_is_throttled_and_ignores_ended_chats(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    with tenant_scope(harbor.organisation):
        chat.visitor_seen(conversation=fresh(conversation), now=NOW)
        chat.visitor_seen(conversation=fresh(conversation), now=NOW + timedelta(seconds=5))
        assert fresh(conversation).visitor_seen_at == NOW  # within SEEN_EVERY: no write
        chat.visitor_seen(conversation=fresh(conversation), now=NOW + timedelta(seconds=20))
        assert fresh(conversation).visitor_seen_at == NOW + timedelta(seconds=20)
        chat.visitor_leave(conversation=fresh(conversation))
        chat.visitor_seen(conversation=fresh(conversation), now=NOW + timedelta(minutes=5))
    assert fresh(conversation).visitor_seen_at == NOW + timedelta(seconds=20)


def visitor_client(started: chat.ChatStart) -> Client:
    client = Client()
    client.cookies[consumers.VISITOR_COOKIE] = f"{started.conversation.pk}.{started.secret}"
    return client


def visitor_url(name: str, conversation: Any) -> str:
    c = fresh(conversation)
    return reverse(f"warmline:{name}", args=[c.organisation.slug, c.line.slug, c.pk])


@pytest.mark.django_db
def test_the_page_and_the_poll_say_the_visitor_is_here(harbor: Any, line: Any) -> None:
    started = start(line)
    client = visitor_client(started)
    assert fresh(started.conversation).visitor_seen_at is None
    with time_machine.travel(NOW, tick=False):
        assert client.get(visitor_url("chat_conversation", started.conversation)).status_code == 200
    assert fresh(started.conversation).visitor_seen_at == NOW
    later = NOW + timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        assert client.get(visitor_url("chat_visitor_messages", started.conversation)).status_code == 200
    assert fresh(started.conversation).visitor_seen_at == later


@pytest.mark.django_db
def test_the_peer_sees_the_person_may_have_left(harbor: Any, line: Any, login_as: Any) -> None:
    started = started_at(line, NOW - timedelta(minutes=1), seen=NOW - timedelta(minutes=1))
    claim(harbor, started.conversation, NOW)
    url = reverse("warmline:chat_peer_messages", args=[harbor.organisation.slug, started.conversation.pk])
    page = reverse("warmline:chat_peer", args=[harbor.organisation.slug, started.conversation.pk])
    with time_machine.travel(NOW + timedelta(minutes=2), tick=True):
        client = login_as(harbor.user("peer"))  # a session of that moment
        data = client.get(url).json()
        assert (data["visitor_gone"], data["notice"]) == (False, "")
        assert "may have left" not in client.get(page).content.decode()
    with time_machine.travel(NOW + timedelta(minutes=12), tick=True):
        data = client.get(url).json()
        assert data["visitor_gone"] is True and "The person may have left" in data["notice"]
        assert "The person may have left" in client.get(page).content.decode()
        with tenant_scope(harbor.organisation):
            chat.chats_sweep(organisation=harbor.organisation)
    assert state(started.conversation) == ConversationState.ACTIVE  # the peer closes it themself


# --- The flood limit -------------------------------------------------------------------------------


def visitor_send(conversation: Conversation, client_id: str, when: datetime) -> tuple[Any, bool]:
    with time_machine.travel(when, tick=False), tenant_scope(conversation.organisation):
        return chat.message_send(conversation=fresh(conversation), sender="visitor", client_id=client_id, body="hi")


@pytest.mark.django_db
def test_flood_limit_refuses_the_31st_message_in_a_minute_and_writes_nothing(line: Any) -> None:
    conversation = start(line).conversation
    for n in range(30):
        visitor_send(conversation, f"m{n}", NOW + timedelta(seconds=n))
    last_seq = fresh(conversation).last_seq
    with pytest.raises(chat.ChatFlood) as refused:
        visitor_send(conversation, "m30", NOW + timedelta(seconds=40))
    assert refused.value.retry_after == 20  # the oldest of the 30 leaves the window at NOW + 60 s
    assert "sending messages very quickly" in refused.value.message_dict["body"][0]
    assert fresh(conversation).last_seq == last_seq
    with scopes_disabled():
        assert not Message.objects.filter(conversation=conversation, client_id="m30").exists()
    # A resend of a stored message is not a new message: acknowledged as before.
    message, created = visitor_send(conversation, "m5", NOW + timedelta(seconds=41))
    assert created is False and message.client_id == "m5"
    # A minute on, the window has room again.
    assert visitor_send(conversation, "m30", NOW + timedelta(seconds=61))[1] is True


@pytest.mark.django_db
def test_flood_limit_does_not_apply_to_the_peer(harbor: Any, line: Any, settings: Any) -> None:
    settings.WARMLINE_CHAT_FLOOD_PER_MINUTE = 2
    conversation = started_at(line, NOW, seen=NOW).conversation
    claim(harbor, conversation, NOW)
    with time_machine.travel(NOW, tick=False), tenant_scope(harbor.organisation):
        for n in range(4):
            chat.message_send(
                conversation=fresh(conversation),
                sender="peer",
                client_id=f"p{n}",
                body="hello",
                acting_user=harbor.user("peer"),
            )


@pytest.mark.django_db
def test_flood_over_polling_is_a_clear_429(line: Any, settings: Any) -> None:
    settings.WARMLINE_CHAT_FLOOD_PER_MINUTE = 2
    started = start(line)
    client = visitor_client(started)
    url = visitor_url("chat_visitor_send", started.conversation)
    with time_machine.travel(NOW, tick=False):
        for n in range(2):
            body = json.dumps({"client_id": f"c{n}", "body": "hello"})
            assert client.post(url, data=body, content_type="application/json").status_code == 200
        body = json.dumps({"client_id": "c2", "body": "hello"})
        response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 429 and response["Retry-After"] == "60"
    data = response.json()
    assert (data["type"], data["code"], data["retry_after"]) == ("error", "flood", 60)
    assert "sending messages very quickly" in data["errors"]["body"][0]
    with scopes_disabled():
        assert not Message.objects.filter(conversation=started.conversation, client_id="c2").exists()


# --- Sockets: flood error frame, presence, the peer's audit row ----------------------------------


def run(body: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(body)()


def visitor_socket(started: chat.ChatStart) -> Socket:
    cookie = f"{consumers.VISITOR_COOKIE}={started.conversation.pk}.{started.secret}".encode()
    return Socket(application, f"/ws/chat/{started.conversation.pk}/", headers=[ORIGIN, (b"cookie", cookie)])


async def receive_until(socket: Socket, kind: str) -> dict[str, Any]:
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == kind:
            return frame


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committing_db")
def test_socket_flood_error_frame_and_ping_presence(line: Any, settings: Any) -> None:
    settings.WARMLINE_CHAT_FLOOD_PER_MINUTE = 1
    started = start(line)
    socket = visitor_socket(started)

    async def body() -> None:
        assert (await socket.connect())[0]
        await socket.send_json_to({"type": "ping"})
        assert (await receive_until(socket, "pong")) == {"type": "pong"}
        await socket.send_json_to({"type": "send", "client_id": "a", "body": "one"})
        assert (await receive_until(socket, "ack"))["client_id"] == "a"
        await socket.send_json_to({"type": "send", "client_id": "b", "body": "two"})
        error = await receive_until(socket, "error")
        assert (error["client_id"], error["code"]) == ("b", "flood")
        assert 1 <= error["retry_after"] <= 60 and "very quickly" in error["errors"]["body"][0]
        await socket.disconnect()

    run(body)
    assert fresh(started.conversation).visitor_seen_at is not None  # the socket said they are here
    with scopes_disabled():
        assert not Message.objects.filter(conversation=started.conversation, client_id="b").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committing_db")
def test_peer_socket_writes_one_view_row_per_connection(harbor: Any, line: Any, login_as: Any) -> None:
    started = start(line)
    with tenant_scope(harbor.organisation):
        chat.chat_claim(acting_user=harbor.user("peer"), conversation=fresh(started.conversation))
    client = login_as(harbor.user("peer"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
    path = f"/ws/warmline/{harbor.organisation.slug}/chat/{started.conversation.pk}/"

    def views() -> list[Any]:
        return list(
            AuditEvent.objects.filter(action="chat.view", object_id=str(started.conversation.pk)).values_list(
                "actor_id", flat=True
            )
        )

    async def connection() -> None:
        socket = Socket(application, path, headers=[ORIGIN, (b"cookie", cookie)])
        assert (await socket.connect())[0]
        for n in range(3):
            await socket.send_json_to({"type": "sync", "after": 0})
            await receive_until(socket, "synced")
            await socket.send_json_to({"type": "send", "client_id": f"p{n}", "body": "hello"})
            await receive_until(socket, "ack")
        await socket.disconnect()

    run(connection)
    assert views() == [harbor.user("peer").pk]  # six frames, one row
    run(connection)
    assert views() == [harbor.user("peer").pk] * 2
