"""The chat pages and the polling fallback: the pre-chat form (bad input, unavailable reasons),
the visitor's conversation by their cookie only, idempotent polling sends, messages by seq, step
away and the resume link, leaving and feedback; the peer console, claim, transfer and close; query
budgets on the lists."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat, consumers
from alongside.warmline.models import Conversation, ConversationState, Message
from tests.warmline.chat.helpers import FLAG_WORD, fresh, make_line, start

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def line(harbor: Any, world: Any) -> Any:
    world.put_on_shift(harbor.user("peer"), harbor.user("supervisor"))
    return make_line(harbor)


def start_url(line: Any) -> str:
    return reverse("warmline:chat_start", args=[line.organisation.slug, line.slug])


def visitor_url(name: str, conversation: Any) -> str:
    c = fresh(conversation)
    return reverse(f"warmline:{name}", args=[c.organisation.slug, c.line.slug, c.pk])


def visitor_client(started: chat.ChatStart) -> Client:
    client = Client()
    client.cookies[consumers.VISITOR_COOKIE] = f"{started.conversation.pk}.{started.secret}"
    return client


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


# --- The pre-chat page -----------------------------------------------------------------------------


def test_start_page_shows_terms_and_crisis_options_then_starts(line: Any) -> None:
    client = Client()
    page = client.get(start_url(line))
    text = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "not a crisis" in text and "988" in text and "911" in text
    response = client.post(start_url(line), {"alias": "Sam", "first_line": "A hard day", "terms": "on"})
    with scopes_disabled():
        conversation = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"] == visitor_url("chat_conversation", conversation)
    cookie = response.cookies[consumers.VISITOR_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "A hard day" not in page.content.decode()  # not echoed back to the page
    assert "You are number 1 in the queue." in page.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_line": "hi"}, "tick the box"),
        ({"first_line": "", "terms": "on"}, "what is on your mind"),
        ({"first_line": "x" * 301, "terms": "on"}, "at most 300"),
        ({"alias": "a" * 61, "first_line": "hi", "terms": "on"}, "at most 60"),
    ],
)
def test_start_bad_input(line: Any, data: dict[str, Any], message: str) -> None:
    response = Client().post(start_url(line), data)
    assert response.status_code == 400 and message in response.content.decode()
    with scopes_disabled():
        assert not Conversation.objects.exists()


def test_unavailable_page_gives_hours_alternatives_and_crisis_options(harbor: Any, line: Any, world: Any) -> None:
    world.open = False
    text = Client().get(start_url(line)).content.decode()
    assert "The line is closed" in text and "988" in text
    response = Client().post(start_url(line), {"first_line": "hi", "terms": "on"})
    assert "Chat is not available" in response.content.decode()
    world.open = True
    world.available.clear()
    assert "every peer supporter is with someone" in Client().get(start_url(line)).content.decode()
    off = make_line(harbor, slug="quiet", chat_enabled=False)
    assert "does not offer chat" in Client().get(start_url(off)).content.decode()
    with scopes_disabled():
        assert not Conversation.objects.exists()


def test_unknown_or_private_line_is_404(harbor: Any, line: Any) -> None:
    hidden = make_line(harbor, slug="hidden", is_public=False)
    assert Client().get(start_url(hidden)).status_code == 404
    assert Client().get(reverse("warmline:chat_start", args=["nowhere", "talk"])).status_code == 404


# --- The visitor's conversation and polling ---------------------------------------------------------


def test_polling_send_is_idempotent_and_messages_come_by_seq(line: Any) -> None:
    started = start(line)
    client = visitor_client(started)
    url = visitor_url("chat_visitor_send", started.conversation)
    first = post_json(client, url, {"client_id": "abc-1", "body": "hello"})
    again = post_json(client, url, {"client_id": "abc-1", "body": "hello"})
    assert first.json() == again.json() == {"type": "ack", "client_id": "abc-1", "seq": 2}
    with scopes_disabled():
        assert Message.objects.filter(client_id="abc-1").count() == 1
    data = client.get(visitor_url("chat_visitor_messages", started.conversation) + "?after=1").json()
    assert [m["seq"] for m in data["messages"]] == [2] and data["messages"][0]["body"] == "hello"
    assert data["state"] == "waiting" and data["position"] == 1 and data["wait_minutes"] is None
    assert data["crisis_options"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"client_id": "", "body": "x"}, "client_id"),
        ({"client_id": "ok", "body": ""}, "body"),
        ({"client_id": "ok", "body": "x" * 2001}, "body"),
        ({"client_id": "has space", "body": "x"}, "client_id"),
        ([1, 2], "__all__"),
        ("not json", "__all__"),
    ],
)
def test_polling_send_bad_input(line: Any, payload: Any, field: str) -> None:
    started = start(line)
    client = visitor_client(started)
    url = visitor_url("chat_visitor_send", started.conversation)
    if payload == "not json":
        response = client.post(url, data="{nope", content_type="application/json")
    else:
        response = post_json(client, url, payload)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert fresh(started.conversation).last_seq == 1


def test_messages_bad_after(line: Any) -> None:
    started = start(line)
    response = visitor_client(started).get(visitor_url("chat_visitor_messages", started.conversation) + "?after=x")
    assert response.status_code == 400 and "after" in response.json()["errors"]


def test_polling_flag_reports_crisis_options(line: Any) -> None:
    started = start(line)
    client = visitor_client(started)
    post_json(client, visitor_url("chat_visitor_send", started.conversation), {"client_id": "f1", "body": FLAG_WORD})
    data = client.get(visitor_url("chat_visitor_messages", started.conversation)).json()
    assert [o["value"] for o in data["crisis_options"]] == ["988", "https://988lifeline.org/chat", "911"]
    assert "crisis" in [m["event"] for m in data["messages"]]
    assert (
        "Help is available right now"
        in client.get(visitor_url("chat_conversation", started.conversation)).content.decode()
    )


def test_a_visitor_reaches_only_their_own_conversation(harbor: Any, riverbend: Any, line: Any) -> None:
    mine, theirs = start(line), start(line)
    client = visitor_client(mine)
    for name in ("chat_conversation", "chat_visitor_messages"):
        assert client.get(visitor_url(name, theirs.conversation)).status_code == 404
        assert Client().get(visitor_url(name, mine.conversation)).status_code == 404
    assert (
        post_json(
            client, visitor_url("chat_visitor_send", theirs.conversation), {"client_id": "x", "body": "y"}
        ).status_code
        == 404
    )
    for name in ("chat_step_away", "chat_leave", "chat_feedback"):
        assert client.post(visitor_url(name, theirs.conversation)).status_code == 404
    # The right secret under another organisation's or line's address is missing too.
    other_line = make_line(riverbend)
    wrong = reverse(
        "warmline:chat_conversation", args=[riverbend.organisation.slug, other_line.slug, mine.conversation.pk]
    )
    assert client.get(wrong).status_code == 404
    assert fresh(theirs.conversation).last_seq == 1


def test_no_script_send_redirects_back(line: Any) -> None:
    started = start(line)
    client = visitor_client(started)
    response = client.post(visitor_url("chat_visitor_send", started.conversation), {"client_id": "form1", "body": "hi"})
    assert response.status_code == 302
    assert "hi" in client.get(response["Location"]).content.decode()


def test_step_away_gives_a_resume_link_that_expires(line: Any) -> None:
    started = start(line)
    client = visitor_client(started)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        page = client.post(visitor_url("chat_step_away", started.conversation))
    assert page.status_code == 200
    link = reverse(
        "warmline:chat_resume", args=[line.organisation.slug, line.slug, started.conversation.pk, started.secret]
    )
    assert link in page.content.decode()
    with time_machine.travel(now + timedelta(minutes=5), tick=False):
        back = Client().get(link)
        assert back.status_code == 302 and back.cookies[consumers.VISITOR_COOKIE].value.endswith(started.secret)
    assert fresh(started.conversation).resume_until is None
    with time_machine.travel(now + timedelta(minutes=6), tick=False):
        client.post(visitor_url("chat_step_away", started.conversation))
    with time_machine.travel(now + timedelta(minutes=20), tick=False):
        assert Client().get(link).status_code == 410
        assert client.get(visitor_url("chat_conversation", started.conversation)).status_code == 410
    assert fresh(started.conversation).state == ConversationState.ABANDONED
    assert Client().get(link.replace(started.secret, "wrong")).status_code == 404


def test_leave_then_feedback_once(harbor: Any, line: Any) -> None:
    started = start(line)
    client = visitor_client(started)
    with tenant_scope(line.organisation):
        chat.chat_claim(acting_user=harbor.user("peer"), conversation=fresh(started.conversation))
    assert client.post(visitor_url("chat_leave", started.conversation)).status_code == 302
    assert fresh(started.conversation).state == ConversationState.CLOSED
    url = visitor_url("chat_feedback", started.conversation)
    bad = client.post(url, {"rating": "9", "comment": "x"})
    assert bad.status_code == 400 and "from 1 to 5" in bad.content.decode()
    assert client.post(url, {"rating": "5", "comment": "Kind"}).status_code == 200
    again = client.post(url, {"rating": "4"})
    assert again.status_code == 400 and "your feedback is in" in again.content.decode()
    assert fresh(started.conversation).feedback_rating == 5


# --- Staff -------------------------------------------------------------------------------------------


def staff_url(name: str, t: Any, conversation: Any = None) -> str:
    args = [t.organisation.slug] + ([conversation.pk] if conversation is not None else [])
    return reverse(f"warmline:{name}", args=args)


def test_console_lists_the_queue_flagged_first_within_a_query_budget(
    harbor: Any, line: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        start(line, first_line=f"words {n}")
    start(line, first_line=f"urgent {FLAG_WORD}")
    client = login_as(harbor.user("peer"))
    with django_assert_max_num_queries(15):  # 12 today, whatever the queue length
        page = client.get(staff_url("chat_console", harbor))
    text = page.content.decode()
    assert page.status_code == 200 and text.index("urgent") < text.index("words 0")
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="chat.queue_view", actor_id=harbor.user("peer").pk).count() == 1
    assert login_as(harbor.user("funder")).get(staff_url("chat_console", harbor)).status_code == 403


def test_claim_then_talk_then_close_by_the_pages(harbor: Any, line: Any, login_as: Any) -> None:
    started = start(line)
    peer = login_as(harbor.user("peer"))
    claimed = peer.post(staff_url("chat_claim", harbor, started.conversation))
    assert claimed.status_code == 302 and claimed["Location"] == staff_url("chat_peer", harbor, started.conversation)
    page = peer.get(claimed["Location"])
    assert page.status_code == 200 and "Rough week" in page.content.decode()
    ack = post_json(peer, staff_url("chat_peer_send", harbor, started.conversation), {"client_id": "p1", "body": "Hi"})
    assert ack.json() == {"type": "ack", "client_id": "p1", "seq": 3}
    data = peer.get(staff_url("chat_peer_messages", harbor, started.conversation) + "?after=2").json()
    assert [m["body"] for m in data["messages"]] == ["Hi"] and data["holder"] is True
    bad = peer.post(staff_url("chat_close", harbor, started.conversation), {"closing_message": "x" * 2001})
    assert bad.status_code == 302 and fresh(started.conversation).state == ConversationState.ACTIVE
    done = peer.post(staff_url("chat_close", harbor, started.conversation), {"closing_message": "Take care"})
    assert done.status_code == 302 and fresh(started.conversation).state == ConversationState.CLOSED


def test_second_claim_is_refused_with_a_message(harbor: Any, line: Any, login_as: Any) -> None:
    started = start(line)
    login_as(harbor.user("peer")).post(staff_url("chat_claim", harbor, started.conversation))
    other = login_as(harbor.user("supervisor"))
    response = other.post(staff_url("chat_claim", harbor, started.conversation), follow=True)
    assert "no longer waiting" in response.content.decode()
    assert fresh(started.conversation).peer == harbor.user("peer")


def test_another_peer_cannot_read_a_held_conversation(harbor: Any, line: Any, login_as: Any, world: Any) -> None:
    started = start(line)
    with tenant_scope(line.organisation):
        chat.chat_claim(acting_user=harbor.user("supervisor"), conversation=fresh(started.conversation))
    peer = login_as(harbor.user("peer"))
    for name in ("chat_peer", "chat_peer_messages"):
        assert peer.get(staff_url(name, harbor, started.conversation)).status_code == 404
    assert (
        post_json(
            peer, staff_url("chat_peer_send", harbor, started.conversation), {"client_id": "z", "body": "x"}
        ).status_code
        == 404
    )


def test_transfer_by_the_page_and_bad_choice(harbor: Any, line: Any, login_as: Any, monkeypatch: Any) -> None:
    from alongside.warmline import shifts

    monkeypatch.setattr(shifts, "peers_on_shift", lambda line, at: [harbor.user("peer"), harbor.user("supervisor")])
    started = start(line)
    peer = login_as(harbor.user("peer"))
    peer.post(staff_url("chat_claim", harbor, started.conversation))
    bad = peer.post(
        staff_url("chat_transfer", harbor, started.conversation),
        {"to_user": str(harbor.user("funder").pk)},
        follow=True,
    )
    assert "Choose someone who is on shift now." in bad.content.decode()
    assert fresh(started.conversation).peer == harbor.user("peer")
    ok = peer.post(
        staff_url("chat_transfer", harbor, started.conversation), {"to_user": str(harbor.user("supervisor").pk)}
    )
    assert ok.status_code == 302 and fresh(started.conversation).peer == harbor.user("supervisor")


def test_chat_pages_have_no_inline_script_or_style_and_load_chat_js(harbor: Any, line: Any, login_as: Any) -> None:
    import re

    started = start(line)
    peer = login_as(harbor.user("peer"))
    peer.post(staff_url("chat_claim", harbor, started.conversation))
    pages = [
        Client().get(start_url(line)),
        visitor_client(started).get(visitor_url("chat_conversation", started.conversation)),
        peer.get(staff_url("chat_console", harbor)),
        peer.get(staff_url("chat_peer", harbor, started.conversation)),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, tag
        assert "<style" not in html and " style=" not in html and "onclick=" not in html
    assert "alongside/js/chat" in pages[1].content.decode() and "data-chat" in pages[3].content.decode()


def test_peer_page_and_polling_within_a_query_budget(
    harbor: Any, line: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    started = start(line)
    peer = login_as(harbor.user("peer"))
    peer.post(staff_url("chat_claim", harbor, started.conversation))
    for n in range(30):
        with tenant_scope(line.organisation):
            chat.message_send(
                conversation=fresh(started.conversation), sender="visitor", client_id=f"v{n}", body=f"m{n}"
            )
    with django_assert_max_num_queries(20):
        assert peer.get(staff_url("chat_peer", harbor, started.conversation)).status_code == 200
    with django_assert_max_num_queries(10):
        data = peer.get(staff_url("chat_peer_messages", harbor, started.conversation) + "?after=0").json()
    assert len(data["messages"]) == 32
    with django_assert_max_num_queries(8):
        visitor_client(started).get(visitor_url("chat_visitor_messages", started.conversation) + "?after=0")
