"""The supervisor board: who is on shift with their status and chats, the queue per line, chats in
progress and open warm-line safety concerns, with no content; a constant query count; joining a
conversation (audited, announced) before its transcript shows; the peer's link to the outcome."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat
from alongside.warmline.models import Conversation, ConversationState, DutyStatus, Message
from tests.warmline.board.helpers import active_chat, running_shift
from tests.warmline.chat.helpers import FLAG_WORD, fresh, make_line, start

pytestmark = pytest.mark.django_db

SECRET_WORDS = "my sister and the move to Portland"


@pytest.fixture
def line(harbor: Any, world: Any) -> Any:
    world.put_on_shift(harbor.user("peer"), harbor.user("supervisor"))
    return make_line(harbor)


def board_url(t: Any, name: str = "board", **query: str) -> str:
    url = reverse(f"warmline:{name}", args=[t.organisation.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def conv_url(t: Any, conversation: Any, name: str = "board_conversation") -> str:
    return reverse(f"warmline:{name}", args=[t.organisation.slug, conversation.pk])


def test_board_shows_shift_queue_chats_and_concerns_without_content(harbor: Any, line: Any, login_as: Any) -> None:
    peer, supervisor = harbor.user("peer"), harbor.user("supervisor")
    running_shift(line, peer, supervisor=supervisor, status={peer: DutyStatus.BUSY})
    held = active_chat(line, peer, first_line=SECRET_WORDS)
    start(line, f"waiting and {FLAG_WORD}", alias="Quinn")
    start(line, "another person waiting")
    page = login_as(supervisor).get(board_url(harbor))
    text = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert peer.display_name in text and "Busy" in text
    assert "Supervisor on duty:" in text and supervisor.display_name in text
    assert "2 people waiting" in text and "longest wait" in text
    assert "Crisis signals" in text  # the flagged waiting chat comes first
    assert conv_url(harbor, held) in text
    assert SECRET_WORDS not in text and "Quinn" not in text and FLAG_WORD not in text
    assert 'role="alert"' in text and "board.js" in text and "<script>" not in text


def test_open_escalation_of_a_chat_is_listed_with_links(harbor: Any, line: Any, login_as: Any) -> None:
    peer = harbor.user("peer")
    conversation = active_chat(line, peer)
    with tenant_scope(harbor.organisation):
        chat.message_send(
            conversation=fresh(conversation), sender="visitor", client_id="v1", body=f"I feel {FLAG_WORD}"
        )
    escalation_id = fresh(conversation).escalation_id
    assert escalation_id is not None
    text = login_as(harbor.user("supervisor")).get(board_url(harbor)).content.decode()
    assert reverse("safety:escalation", args=[harbor.organisation.slug, escalation_id]) in text
    assert "A warm-line chat" in text and conv_url(harbor, conversation) in text


def test_filter_by_line_and_bad_filter(harbor: Any, world: Any, login_as: Any) -> None:
    first, second = make_line(harbor, "first", name="First Line"), make_line(harbor, "second", name="Second Line")
    client = login_as(harbor.user("supervisor"))
    text = client.get(board_url(harbor, line=str(first.pk))).content.decode()
    assert "First Line</h2>" in text and "Second Line</h2>" not in text
    assert client.get(board_url(harbor, line="not-a-uuid")).status_code == 404
    assert second.pk


def test_fragment_is_the_inner_html(harbor: Any, line: Any, login_as: Any) -> None:
    response = login_as(harbor.user("supervisor")).get(board_url(harbor, "board_fragment"))
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text and "Chats in progress" in text


@pytest.mark.parametrize("role", ["peer", "funder"])
def test_only_supervisors_see_the_board(harbor: Any, line: Any, login_as: Any, role: str) -> None:
    client = login_as(harbor.user(role))
    assert client.get(board_url(harbor)).status_code == 403
    assert client.get(board_url(harbor, "board_fragment")).status_code == 403


def _many(harbor: Any, world: Any, n: int) -> None:
    peer, supervisor = harbor.user("peer"), harbor.user("supervisor")
    for i in range(n):
        line = make_line(harbor, f"line-{n}-{i}", name=f"Line {n} {i}", max_chats_per_peer=10)
        running_shift(line, peer, harbor.user("coordinator"), supervisor=supervisor)
        active_chat(line, peer)
        with tenant_scope(harbor.organisation):
            conversation = active_chat(line, peer)
            chat.message_send(conversation=conversation, sender="visitor", client_id=f"v{i}", body=FLAG_WORD)
        start(line, "waiting")


def test_query_count_is_constant(harbor: Any, world: Any, login_as: Any, django_assert_max_num_queries: Any) -> None:
    world.put_on_shift(harbor.user("peer"))
    client = login_as(harbor.user("supervisor"))
    _many(harbor, world, 1)
    with django_assert_max_num_queries(15):
        assert client.get(board_url(harbor)).status_code == 200
    _many(harbor, world, 4)
    with django_assert_max_num_queries(15):
        text = client.get(board_url(harbor)).content.decode()
    assert text.count("Chats held") == 5


# --- Joining a conversation ------------------------------------------------------------------------


def test_join_shows_the_transcript_audits_and_announces(harbor: Any, line: Any, login_as: Any) -> None:
    conversation = active_chat(line, harbor.user("peer"), first_line=SECRET_WORDS)
    supervisor = harbor.user("supervisor")
    client = login_as(supervisor)
    before = client.get(conv_url(harbor, conversation)).content.decode()
    assert "Join this conversation" in before and SECRET_WORDS not in before
    response = client.post(conv_url(harbor, conversation, "board_join"))
    assert response.status_code == 302
    after = client.get(conv_url(harbor, conversation)).content.decode()
    assert "A supervisor joined the conversation." in after and "Your message" in after
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="chat.supervisor_join", actor_id=supervisor.pk).count() == 1
        joined = Message.objects.filter(conversation=conversation, event=chat.SUPERVISOR_JOINED)
        assert joined.count() == 1 and joined.get().sender_kind == "system"
    client.post(conv_url(harbor, conversation, "board_join"))  # again: nothing new
    with scopes_disabled():
        assert Message.objects.filter(conversation=conversation, event=chat.SUPERVISOR_JOINED).count() == 1
    # The peer's page shows the line too (the transcript is theirs).
    peer_page = login_as(harbor.user("peer")).get(
        reverse("warmline:chat_peer", args=[harbor.organisation.slug, conversation.pk])
    )
    assert "A supervisor joined the conversation." in peer_page.content.decode()


def test_the_peer_pages_hold_the_words_back_until_the_supervisor_joins(harbor: Any, line: Any, login_as: Any) -> None:
    conversation = active_chat(line, harbor.user("peer"), first_line=SECRET_WORDS)
    client = login_as(harbor.user("supervisor"))
    slug = harbor.organisation.slug
    page = client.get(reverse("warmline:chat_peer", args=[slug, conversation.pk]))
    assert page.status_code == 302 and page["Location"] == conv_url(harbor, conversation)
    polled = client.get(reverse("warmline:chat_peer_messages", args=[slug, conversation.pk]) + "?after=0")
    assert polled.status_code == 403 and SECRET_WORDS not in polled.content.decode()
    client.post(conv_url(harbor, conversation, "board_join"))
    assert SECRET_WORDS in client.get(reverse("warmline:chat_peer", args=[slug, conversation.pk])).content.decode()
    polled = client.get(reverse("warmline:chat_peer_messages", args=[slug, conversation.pk]) + "?after=0")
    assert polled.status_code == 200 and polled.json()["messages"]


def test_supervisor_writes_after_joining(harbor: Any, line: Any, login_as: Any) -> None:
    conversation = active_chat(line, harbor.user("peer"))
    client = login_as(harbor.user("supervisor"))
    send = conv_url(harbor, conversation, "board_send")
    client.post(send, {"client_id": "s1", "body": "Hello from the supervisor"}, follow=True)
    with scopes_disabled():
        assert not Message.objects.filter(conversation=conversation, client_id="s1").exists()  # not joined yet
    client.post(conv_url(harbor, conversation, "board_join"))
    client.post(send, {"client_id": "s1", "body": "Hello from the supervisor"})
    client.post(send, {"client_id": "s1", "body": "Hello from the supervisor"})  # resend: nothing new
    with scopes_disabled():
        sent = Message.objects.get(conversation=conversation, client_id="s1")
    assert sent.body == "Hello from the supervisor" and sent.sender_id == harbor.user("supervisor").pk


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"client_id": "s2", "body": "   "}, "Write a message first."),
        ({"client_id": "bad id!", "body": "hi"}, "A message id is 1 to 64 letters"),
        ({"client_id": "s3", "body": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_send_bad_input_writes_nothing(harbor: Any, line: Any, login_as: Any, data: Any, error: str) -> None:
    conversation = active_chat(line, harbor.user("peer"))
    client = login_as(harbor.user("supervisor"))
    client.post(conv_url(harbor, conversation, "board_join"))
    with scopes_disabled():
        count = Message.objects.filter(conversation=conversation).count()
    page = client.post(conv_url(harbor, conversation, "board_send"), data, follow=True)
    assert error in page.content.decode()
    with scopes_disabled():
        assert Message.objects.filter(conversation=conversation).count() == count


def test_join_only_in_progress_and_only_supervisors(harbor: Any, line: Any, login_as: Any) -> None:
    waiting = start(line).conversation
    page = login_as(harbor.user("supervisor")).post(conv_url(harbor, waiting, "board_join"), follow=True)
    assert "Only a conversation in progress can be joined." in page.content.decode()
    with scopes_disabled():
        assert not Message.objects.filter(event=chat.SUPERVISOR_JOINED).exists()
    assert login_as(harbor.user("peer")).post(conv_url(harbor, waiting, "board_join")).status_code == 403
    conversation = active_chat(line, harbor.user("peer"))
    with tenant_scope(harbor.organisation), pytest.raises(Exception, match="Only a supervisor"):
        chat.chat_join(acting_user=harbor.user("peer"), conversation=conversation)
    assert fresh(conversation).state == ConversationState.ACTIVE


def test_conversation_of_another_organisation_is_404(harbor: Any, riverbend: Any, line: Any, login_as: Any) -> None:
    conversation = active_chat(line, harbor.user("peer"))
    client = login_as(riverbend.user("supervisor"))
    url = reverse("warmline:board_conversation", args=[riverbend.organisation.slug, conversation.pk])
    assert client.get(url).status_code == 404
    with scopes_disabled():
        assert Conversation.objects.filter(pk=conversation.pk).exists()


def test_peer_page_links_to_the_escalation_outcome(harbor: Any, line: Any, login_as: Any) -> None:
    peer = harbor.user("peer")
    conversation = active_chat(line, peer)
    with tenant_scope(harbor.organisation):
        chat.message_send(conversation=fresh(conversation), sender="visitor", client_id="v1", body=FLAG_WORD)
    escalation_id = fresh(conversation).escalation_id
    page = login_as(peer).get(reverse("warmline:chat_peer", args=[harbor.organisation.slug, conversation.pk]))
    outcome = reverse("safety:escalation", args=[harbor.organisation.slug, escalation_id]) + "#outcome-h"
    assert outcome in page.content.decode() and "Record what happened next" in page.content.decode()
