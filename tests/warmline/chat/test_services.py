"""Chat services: starting (and every reason it cannot), the queue and its estimate, claiming
(limits, shifts), idempotent sends in seq order, transfer, close, stepping away, feedback, and
screening flags (crisis options, the front of the queue, the escalation on claim)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.safety.models import Escalation
from alongside.warmline import chat, screening
from alongside.warmline.models import Conversation, ConversationState, ConversationTransfer, Message
from tests.warmline.chat.helpers import CHECKIN_WORD, FLAG_WORD, fresh, make_line, start

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def line(harbor: Any, world: Any) -> Any:
    world.put_on_shift(harbor.user("peer"), harbor.user("supervisor"))
    return make_line(harbor)


def claim(t: Any, conversation: Conversation, role: str = "peer", **kw: Any) -> Conversation:
    with tenant_scope(t.organisation):
        return chat.chat_claim(acting_user=t.user(role), conversation=fresh(conversation), **kw)


def send(conversation: Conversation, sender: str, client_id: str, body: str, user: Any = None) -> tuple[Any, bool]:
    with tenant_scope(conversation.organisation):
        return chat.message_send(
            conversation=fresh(conversation), sender=sender, client_id=client_id, body=body, acting_user=user
        )


# --- Starting --------------------------------------------------------------------------------------


def test_start_stores_hashed_secret_encrypted_words_and_a_queued_event(line: Any) -> None:
    started = start(line, alias="Sam")
    conversation = fresh(started.conversation)
    assert conversation.state == ConversationState.WAITING
    assert conversation.visitor_alias == "Sam"
    assert started.secret not in conversation.visitor_token_hash
    assert chat.conversation_for_visitor(conversation.pk, started.secret) == conversation
    assert chat.conversation_for_visitor(conversation.pk, "wrong") is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT first_line, visitor_alias FROM warmline_conversation")
        raw = cursor.fetchone()
    assert "Rough week" not in raw[0] and "Sam" not in raw[1]
    with scopes_disabled():
        assert [m.event for m in Message.objects.filter(conversation=conversation)] == ["queued"]
        assert AuditEvent.objects.filter(action="chat.start", object_id=str(conversation.pk)).count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"alias": "x" * 61, "first_line": "hi", "terms_accepted": True}, "alias"),
        ({"alias": "", "first_line": "   ", "terms_accepted": True}, "first_line"),
        ({"alias": "", "first_line": "y" * 301, "terms_accepted": True}, "first_line"),
        ({"alias": "", "first_line": "hi", "terms_accepted": False}, "terms"),
        ({"alias": "", "first_line": "hi", "terms_accepted": "yes"}, "terms"),
    ],
)
def test_start_bad_input_names_the_field_and_writes_nothing(line: Any, fields: dict[str, Any], field: str) -> None:
    with tenant_scope(line.organisation), pytest.raises(ValidationError) as info:
        chat.chat_start(line=line, **fields)
    assert field in info.value.message_dict
    with scopes_disabled():
        assert not Conversation.objects.exists()


def test_start_refused_with_each_reason(harbor: Any, line: Any, world: Any) -> None:
    off = make_line(harbor, slug="off", chat_enabled=False)
    with pytest.raises(chat.ChatUnavailable) as info:
        start(off)
    assert info.value.reason == "chat_off"
    world.open = False
    with pytest.raises(chat.ChatUnavailable) as info:
        start(line)
    assert info.value.reason == "closed"
    world.open = True
    world.available.clear()
    with pytest.raises(chat.ChatUnavailable) as info:
        start(line)
    assert info.value.reason == "no_peer"
    with scopes_disabled():
        assert not Conversation.objects.exists()


# --- Queue -----------------------------------------------------------------------------------------


def test_queue_position_and_flagged_go_first(line: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        first = start(line).conversation
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        second = start(line).conversation
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        flagged = start(line, first_line=f"I feel {FLAG_WORD}").conversation
    with tenant_scope(line.organisation):
        assert chat.queue_position(fresh(flagged)) == 1
        assert chat.queue_position(fresh(first)) == 2
        assert chat.queue_position(fresh(second)) == 3
        assert [c.pk for c in chat.queue(None, line.organisation)] == [flagged.pk, first.pk, second.pk]


def test_estimated_wait_unknown_without_history_then_median_times_position(harbor: Any, line: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        waiting = start(line).conversation
        with tenant_scope(line.organisation):
            assert chat.estimated_wait(fresh(waiting)) is None
    waits = [2, 4, 10]
    for minutes in waits:
        with time_machine.travel(NOW - timedelta(hours=1), tick=False):
            c = start(line).conversation
        with time_machine.travel(NOW - timedelta(hours=1) + timedelta(minutes=minutes), tick=False):
            claim(harbor, c)
            with tenant_scope(line.organisation):
                chat.chat_close(acting_user=harbor.user("peer"), conversation=fresh(c))
    with time_machine.travel(NOW, tick=False), tenant_scope(line.organisation):
        assert chat.queue_position(fresh(waiting)) == 1
        assert chat.estimated_wait(fresh(waiting)) == timedelta(minutes=4)


# --- Claiming --------------------------------------------------------------------------------------


def test_claim_takes_it_once_and_announces_it(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    claimed = claim(harbor, conversation)
    assert claimed.state == ConversationState.ACTIVE and claimed.peer == harbor.user("peer")
    with pytest.raises(ValidationError, match="no longer waiting"):
        claim(harbor, conversation, role="supervisor")
    assert fresh(conversation).peer == harbor.user("peer")
    with scopes_disabled():
        events = list(Message.objects.filter(conversation=conversation).values_list("seq", "event"))
    assert events == [(1, "queued"), (2, "joined")]


def test_claim_refused_off_shift_for_non_staff_and_beyond_the_limit(harbor: Any, line: Any, world: Any) -> None:
    conversation = start(line).conversation
    with pytest.raises(ValidationError, match="on a shift"):
        claim(harbor, conversation, role="coordinator")
    world.put_on_shift(harbor.user("funder"))
    with pytest.raises(ValidationError, match="Only peer supporters"):
        claim(harbor, conversation, role="funder")
    line.max_chats_per_peer = 1
    line.save()
    claim(harbor, conversation)
    other = start(line).conversation
    with pytest.raises(ValidationError, match="already hold 1"):
        claim(harbor, other)
    assert fresh(other).state == ConversationState.WAITING


def test_outsider_cannot_claim(harbor: Any, riverbend: Any, line: Any, world: Any) -> None:
    conversation = start(line).conversation
    world.put_on_shift(riverbend.user("peer"))
    with tenant_scope(harbor.organisation), pytest.raises(ValidationError):
        chat.chat_claim(acting_user=riverbend.user("peer"), conversation=fresh(conversation))
    assert fresh(conversation).state == ConversationState.WAITING


# --- Sending ---------------------------------------------------------------------------------------


def test_send_is_idempotent_and_numbers_in_order(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    a, created_a = send(conversation, "visitor", "c-1", "hello")
    again, created_again = send(conversation, "visitor", "c-1", "hello")
    assert created_a and not created_again and again.pk == a.pk and again.seq == a.seq == 2
    claim(harbor, conversation)
    b, _ = send(conversation, "peer", "c-1", "Hi, I'm here", user=harbor.user("peer"))
    assert b.seq == 4  # 3 is "joined"; the same client id of another side is another message
    with tenant_scope(line.organisation):
        after = chat.messages_after(fresh(conversation), 1)
    assert [m.seq for m in after] == [2, 3, 4]
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM warmline_message")
        assert all("hello" not in row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("client_id", "body", "field"),
    [
        ("", "hi", "client_id"),
        ("x" * 65, "hi", "client_id"),
        ("bad id!", "hi", "client_id"),
        (None, "hi", "client_id"),
        ("ok", "", "body"),
        ("ok", "   ", "body"),
        ("ok", "z" * 2001, "body"),
        ("ok", 12, "body"),
    ],
)
def test_send_bad_input(line: Any, client_id: Any, body: Any, field: str) -> None:
    conversation = start(line).conversation
    with pytest.raises(ValidationError) as info:
        send(conversation, "visitor", client_id, body)
    assert field in info.value.message_dict
    assert fresh(conversation).last_seq == 1


def test_only_the_holder_writes_and_nobody_after_close(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    with pytest.raises(ValidationError):
        send(conversation, "peer", "p1", "hi", user=harbor.user("peer"))  # not claimed yet
    claim(harbor, conversation)
    with pytest.raises(ValidationError):
        send(conversation, "peer", "p1", "hi", user=harbor.user("supervisor"))
    with tenant_scope(line.organisation):
        chat.chat_close(acting_user=harbor.user("peer"), conversation=fresh(conversation), closing_message="Take care")
    with pytest.raises(ValidationError, match="ended"):
        send(conversation, "visitor", "v9", "still there?")


# --- Transfer and close ----------------------------------------------------------------------------


def test_transfer_to_a_peer_on_shift_or_a_supervisor(harbor: Any, line: Any, world: Any) -> None:
    conversation = start(line).conversation
    claim(harbor, conversation)
    with tenant_scope(line.organisation), pytest.raises(ValidationError) as info:
        chat.chat_transfer(
            acting_user=harbor.user("peer"), conversation=fresh(conversation), to_user=harbor.user("coordinator")
        )
    assert "to_user" in info.value.message_dict
    world.supervisors = [harbor.user("admin")]  # on duty, not on the peer rota
    with tenant_scope(line.organisation):
        moved = chat.chat_transfer(
            acting_user=harbor.user("peer"), conversation=fresh(conversation), to_user=harbor.user("admin")
        )
    assert moved.peer == harbor.user("admin")
    with scopes_disabled():
        assert ConversationTransfer.objects.filter(conversation=conversation).count() == 1
        assert AuditEvent.objects.filter(action="chat.transfer").count() == 1
    with tenant_scope(line.organisation), pytest.raises(ValidationError):
        chat.chat_transfer(
            acting_user=harbor.user("peer"), conversation=fresh(conversation), to_user=harbor.user("peer")
        )


def test_close_with_a_message_sets_retention(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    claim(harbor, conversation)
    with time_machine.travel(NOW, tick=False), tenant_scope(line.organisation):
        closed = chat.chat_close(
            acting_user=harbor.user("peer"), conversation=fresh(conversation), closing_message="Bye"
        )
    assert closed.state == ConversationState.CLOSED and closed.closed_at == NOW
    assert closed.contact_id is not None  # the contact record's draft, prefilled from the chat
    assert closed.purge_after == NOW + timedelta(days=harbor.organisation.retention_transcripts_days)
    with scopes_disabled():
        assert list(Message.objects.filter(conversation=conversation).values_list("event", flat=True))[-2:] == [
            "",
            "closed",
        ]
        assert AuditEvent.objects.filter(action="chat.close", actor_id=harbor.user("peer").pk).count() == 1
    with tenant_scope(line.organisation), pytest.raises(ValidationError):
        chat.chat_close(acting_user=harbor.user("peer"), conversation=fresh(conversation))


def test_close_bad_input_and_by_someone_else(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    claim(harbor, conversation)
    with tenant_scope(line.organisation):
        with pytest.raises(ValidationError) as info:
            chat.chat_close(
                acting_user=harbor.user("peer"), conversation=fresh(conversation), closing_message="x" * 2001
            )
        assert "closing_message" in info.value.message_dict
        with pytest.raises(ValidationError):
            chat.chat_close(acting_user=harbor.user("referrer"), conversation=fresh(conversation))
    assert fresh(conversation).state == ConversationState.ACTIVE


# --- Stepping away, leaving, feedback ----------------------------------------------------------------


def test_step_away_and_come_back_within_the_window(line: Any, settings: Any) -> None:
    settings.WARMLINE_CHAT_RESUME_MINUTES = 10
    started = start(line)
    with time_machine.travel(NOW, tick=False), tenant_scope(line.organisation):
        away = chat.visitor_step_away(conversation=fresh(started.conversation))
    assert away.resume_until == NOW + timedelta(minutes=10)
    with time_machine.travel(NOW + timedelta(minutes=9), tick=False), tenant_scope(line.organisation):
        assert chat.visitor_may_use(fresh(away))
        back = chat.visitor_resume(conversation=fresh(away))
    assert back.resume_until is None and back.state == ConversationState.WAITING


def test_link_expires_after_the_window_and_the_queue_place_goes(line: Any) -> None:
    started = start(line)
    with time_machine.travel(NOW, tick=False), tenant_scope(line.organisation):
        chat.visitor_step_away(conversation=fresh(started.conversation))
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False), tenant_scope(line.organisation):
        assert not chat.visitor_may_use(fresh(started.conversation))
        with pytest.raises(ValidationError, match="expired"):
            chat.visitor_resume(conversation=fresh(started.conversation))
        gone = chat.expire_away(conversation=fresh(started.conversation))
    assert gone.state == ConversationState.ABANDONED


def test_leaving_the_queue_abandons(line: Any) -> None:
    started = start(line)
    with tenant_scope(line.organisation):
        left = chat.visitor_leave(conversation=fresh(started.conversation))
    assert left.state == ConversationState.ABANDONED and left.purge_after is not None


def test_feedback_once_after_close_with_bad_input(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    with tenant_scope(line.organisation), pytest.raises(ValidationError, match="once the conversation has ended"):
        chat.feedback_leave(conversation=fresh(conversation), rating=5)
    claim(harbor, conversation)
    with tenant_scope(line.organisation):
        chat.chat_close(acting_user=harbor.user("peer"), conversation=fresh(conversation))
        for rating, comment, field in [
            (0, "", "rating"),
            (6, "", "rating"),
            ("x", "", "rating"),
            (3, "c" * 1001, "comment"),
        ]:
            with pytest.raises(ValidationError) as info:
                chat.feedback_leave(conversation=fresh(conversation), rating=rating, comment=comment)
            assert field in info.value.message_dict
        assert fresh(conversation).feedback_at is None
        done = chat.feedback_leave(conversation=fresh(conversation), rating="4", comment="Thank you")
        assert done.feedback_rating == 4 and done.feedback_comment == "Thank you"
        with pytest.raises(ValidationError, match="already"):
            chat.feedback_leave(conversation=fresh(conversation), rating=5)


# --- Screening ---------------------------------------------------------------------------------------


def test_flag_while_waiting_shows_crisis_options_and_escalates_on_claim(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    send(conversation, "visitor", "v1", f"everything feels {FLAG_WORD}")
    flagged = fresh(conversation)
    assert flagged.flagged_at is not None and flagged.flag_rules == [FLAG_WORD]
    assert flagged.state == ConversationState.WAITING  # screening never closes anything
    with scopes_disabled():
        crisis = Message.objects.get(conversation=conversation, event="crisis")
        assert "988" in crisis.body
        assert not Escalation.objects.exists()
    claimed = claim(harbor, conversation)
    with scopes_disabled():
        escalation = Escalation.objects.get()
    assert claimed.escalation == escalation and escalation.raised_by == harbor.user("peer")
    assert escalation.source == "chat"


def test_flag_while_active_escalates_at_once(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    claim(harbor, conversation)
    send(conversation, "visitor", "v1", FLAG_WORD)
    with scopes_disabled():
        assert fresh(conversation).escalation == Escalation.objects.get()
    send(conversation, "visitor", "v2", FLAG_WORD)  # a second flag: crisis options again, one escalation
    with scopes_disabled():
        assert Escalation.objects.count() == 1
        assert Message.objects.filter(conversation=conversation, event="crisis").count() == 2


def test_check_in_prompts_the_peer_and_shows_the_person_nothing(
    harbor: Any, line: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(chat, "_after_commit", lambda group, event: sent.append((group, event)))
    conversation = start(line).conversation
    claim(harbor, conversation)
    send(conversation, "visitor", "v1", f"some days {CHECKIN_WORD}")
    checked = fresh(conversation)
    assert checked.checkin_at is not None and checked.flagged_at is None and checked.flag_concepts == ["wish_to_die"]
    with scopes_disabled():
        assert not Message.objects.filter(conversation=conversation, event="crisis").exists()  # nothing shown
        assert not Escalation.objects.exists()
        assert AuditEvent.objects.filter(action="chat.checkin", object_id=str(conversation.pk)).count() == 1
    events = [event for _group, event in sent if event["type"] == "chat.checkin"]
    assert len(events) == 1 and events[0]["concepts"] == ["A wish to die or not be here"]
    assert "Are you thinking about suicide" in events[0]["prompt"]
    assert not any(event["type"] in ("chat.crisis", "supervisor.alert") for _group, event in sent)
    # One click raises it: the urgent protocol, the escalation raised by the peer who raised it.
    with tenant_scope(line.organisation):
        raised = chat.chat_raise(acting_user=harbor.user("peer"), conversation=checked)
    assert raised.flagged_at is not None
    with scopes_disabled():
        assert Message.objects.filter(conversation=conversation, event="crisis").count() == 1
        assert Escalation.objects.get().raised_by == harbor.user("peer")
    assert any(event["type"] == "supervisor.alert" and event["tier"] == "urgent" for _group, event in sent)


def test_only_the_holder_or_a_supervisor_may_raise(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    claim(harbor, conversation)
    with tenant_scope(line.organisation), pytest.raises(ValidationError):
        chat.chat_raise(acting_user=harbor.user("referrer"), conversation=fresh(conversation))
    assert fresh(conversation).flagged_at is None
    with tenant_scope(line.organisation):
        chat.chat_raise(acting_user=harbor.user("supervisor"), conversation=fresh(conversation))
    assert fresh(conversation).flagged_at is not None


# --- Retention -------------------------------------------------------------------------------------


def test_transcripts_cleared_after_their_retention(harbor: Any, line: Any) -> None:
    conversation = start(line, alias="Sam").conversation
    claim(harbor, conversation)
    send(conversation, "visitor", "v1", "private words")
    with time_machine.travel(NOW, tick=False), tenant_scope(line.organisation):
        chat.chat_close(acting_user=harbor.user("peer"), conversation=fresh(conversation))
    still_open = start(line).conversation
    days = harbor.organisation.retention_transcripts_days
    with tenant_scope(line.organisation):
        assert chat.transcripts_purge(organisation=harbor.organisation, now=NOW + timedelta(days=days - 1)) == 0
        later = NOW + timedelta(days=days, minutes=1)
        assert chat.transcripts_purge(organisation=harbor.organisation, now=later, dry_run=True) == 1
        assert chat.transcripts_purge(organisation=harbor.organisation, now=later) == 1
        assert chat.transcripts_purge(organisation=harbor.organisation, now=later) == 0
    cleared = fresh(conversation)
    assert cleared.visitor_alias == cleared.first_line == "" and cleared.transcript_purged_at == later
    with scopes_disabled():
        assert not Message.objects.filter(conversation=conversation).exists()
        assert Message.objects.filter(conversation=still_open).exists()
        assert AuditEvent.objects.filter(action="retention.transcripts_cleared").count() == 1


REAL_SCREEN = screening.screen  # before the ``world`` fixture replaces it


def test_with_the_real_default_screening_rules(harbor: Any, line: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screening, "screen", REAL_SCREEN)
    conversation = start(line).conversation
    send(conversation, "visitor", "v1", "I had a good walk today")
    assert fresh(conversation).flagged_at is None
    send(conversation, "visitor", "v2", "I want to kill myself")
    flagged = fresh(conversation)
    assert flagged.flagged_at is not None and flagged.flag_rules
    assert flagged.state == ConversationState.WAITING


def test_an_expired_step_away_leaves_the_queue_view_and_cannot_be_claimed(harbor: Any, line: Any) -> None:
    gone = start(line).conversation
    with time_machine.travel(NOW, tick=False):
        here = start(line).conversation
        with tenant_scope(line.organisation):
            chat.visitor_step_away(conversation=fresh(gone))
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        with tenant_scope(line.organisation):
            assert [c.pk for c in chat.queue(None, line.organisation)] == [here.pk]
            assert chat.queue_position(fresh(here)) == 1
        with pytest.raises(ValidationError, match="did not come back"):
            claim(harbor, gone)


def test_a_visitor_leaving_an_active_chat_still_gives_the_peer_a_contact_draft(harbor: Any, line: Any) -> None:
    conversation = start(line).conversation
    claim(harbor, conversation)
    with tenant_scope(line.organisation):
        left = chat.visitor_leave(conversation=fresh(conversation))
    assert left.state == ConversationState.CLOSED and left.closed_by is None and left.contact_id is not None


def test_a_screening_failure_never_costs_the_message(line: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, **kwargs: Any) -> Any:
        raise RuntimeError("rules failed to load")

    conversation = start(line).conversation
    monkeypatch.setattr(screening, "screen", broken)
    message, created = send(conversation, "visitor", "v1", "hello")
    assert created and message.seq == 2 and fresh(conversation).last_seq == 2


def test_a_screening_failure_logs_no_words(line: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    """SECURITY.md "Logs": the error names the conversation and the error's type, never the text
    (even when the failing code put the text into its exception)."""

    def broken(text: str, **kwargs: Any) -> Any:
        raise ValueError(f"could not screen {text!r}")

    conversation = start(line).conversation
    monkeypatch.setattr(screening, "screen", broken)
    caplog.set_level("DEBUG")
    send(conversation, "visitor", "v1", "my neighbour Dana Whitcombe at 14 Elm Street")
    assert "screening failed" in caplog.text and str(conversation.pk) in caplog.text
    assert "Whitcombe" not in caplog.text and "Elm Street" not in caplog.text
