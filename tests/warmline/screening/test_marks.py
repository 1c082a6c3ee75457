"""Misses and wrong flags, learned from inside the organisation: a peer holding the chat (or a
supervisor) marks a visitor's message or a call record; admins see the marks beside the rules,
with the words only for people who may read transcripts and each view audited; "Make a rule from
it" fills in the rule form and saving it sets the mark aside; another organisation's message
answers like a missing one."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.warmline.models import Conversation, Line, Message, ScreeningMark, ScreeningRule
from alongside.warmline.screening_rules import mark_create
from tests.warmline.contacts.helpers import finished

pytestmark = pytest.mark.django_db

WORDS = "I keep thinking the tracks are calling me"


def chat_with(t: Any, peer: Any = None) -> Message:
    with scopes_disabled():
        line = Line.objects.create(organisation=t.organisation, name="Marks Line", slug="marks", chat_enabled=True)
        now = timezone.now()
        conversation = Conversation.objects.create(
            organisation=t.organisation,
            line=line,
            first_line="hello",
            terms_accepted_at=now,
            queued_at=now,
            visitor_token_hash=f"marks-{t.organisation.slug}",
            state="active",
            peer=peer or t.user("peer"),
        )
        return Message.objects.create(
            organisation=t.organisation,
            conversation=conversation,
            seq=1,
            sender_kind="visitor",
            client_id="m1",
            body=WORDS,
            created_at=now,
        )


def url(name: str, t: Any, *args: Any) -> str:
    return reverse(f"warmline:{name}", args=[t.organisation.slug, *args])


def test_a_peer_marks_a_miss_and_an_admin_makes_a_rule_from_it(harbor: Any, login_as: Any) -> None:
    message = chat_with(harbor)
    peer = login_as(harbor.user("peer"))
    back = f"/app/harbor/warmline/chat/{message.conversation_id}/"
    done = peer.post(
        url("screening_mark_create", harbor), {"target": "message", "id": message.pk, "kind": "missed", "next": back}
    )
    assert done.status_code == 302 and done["Location"] == back
    with scopes_disabled():
        mark = ScreeningMark.objects.get()
        assert (mark.kind, mark.message_id, mark.marked_by) == ("missed", message.pk, harbor.user("peer"))
        assert AuditEvent.objects.filter(action="screening_mark.create", object_id=str(mark.pk)).exists()
    # The same mark twice is one mark.
    peer.post(url("screening_mark_create", harbor), {"target": "message", "id": message.pk, "kind": "missed"})
    with scopes_disabled():
        assert ScreeningMark.objects.count() == 1

    admin = login_as(harbor.user("admin"))
    page = admin.get(url("screening_rules", harbor)).content.decode()
    assert "Marked by peers and supervisors" in page and WORDS in page and "Make a rule from it" in page
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="screening_mark.view", object_id=str(mark.pk)).count() == 1
    form = admin.get(
        url("screening_rule_create", harbor) + f"?language=en&concept=own&tier=urgent&mark={mark.pk}"
        "&phrase=i+keep+thinking+the+tracks+are+calling+me"
    )
    assert 'value="i keep thinking the tracks are calling me"' in form.content.decode()
    saved = admin.post(
        url("screening_rule_create", harbor) + f"?mark={mark.pk}",
        {
            "language": "en",
            "phrase": "tracks are calling",
            "concept": "place_of_danger",
            "tier": "urgent",
            "negatable": "on",
        },
    )
    assert saved.status_code == 302
    with scopes_disabled():
        mark.refresh_from_db()
        assert mark.resolved_at is not None and mark.resolved_by == harbor.user("admin")
        assert ScreeningRule.objects.get().phrase == "tracks are calling"
    assert "Marked by peers and supervisors" not in admin.get(url("screening_rules", harbor)).content.decode()


def test_leave_the_rules_as_they_are(harbor: Any, login_as: Any) -> None:
    message = chat_with(harbor)
    with scopes_disabled():
        mark = mark_create(acting_user=harbor.user("supervisor"), kind="wrong", message=message)
    assert login_as(harbor.user("coordinator")).post(url("screening_mark_resolve", harbor, mark.pk)).status_code == 403
    assert login_as(harbor.user("admin")).post(url("screening_mark_resolve", harbor, mark.pk)).status_code == 302
    with scopes_disabled():
        mark.refresh_from_db()
    assert mark.resolved_at is not None


def test_who_may_mark(harbor: Any, riverbend: Any, login_as: Any) -> None:
    message = chat_with(harbor)
    with scopes_disabled(), pytest.raises(ValidationError):  # not holding the chat, not a supervisor
        mark_create(acting_user=harbor.user("referrer"), kind="missed", message=message)
    with scopes_disabled(), pytest.raises(ValidationError):
        mark_create(acting_user=harbor.user("peer"), kind="maybe", message=message)
    theirs = login_as(riverbend.user("supervisor")).post(
        reverse("warmline:screening_mark_create", args=["riverbend"]),
        {"target": "message", "id": message.pk, "kind": "missed"},
    )
    assert theirs.status_code == 404  # another organisation's message: like a missing one
    bad = login_as(harbor.user("peer")).post(url("screening_mark_create", harbor), {"target": "x", "id": "y"})
    assert bad.status_code == 404
    with scopes_disabled():
        assert not ScreeningMark.objects.exists()


def test_a_call_record_can_be_marked_and_the_words_are_the_records_own(harbor: Any, login_as: Any) -> None:
    contact = finished(harbor, notes="Caller said the pills are counted out on her desk")
    page = login_as(harbor.user("peer")).get(f"/app/harbor/warmline/contacts/{contact.pk}/").content.decode()
    assert "Screening should have caught this" in page
    login_as(harbor.user("peer")).post(
        url("screening_mark_create", harbor), {"target": "contact", "id": contact.pk, "kind": "missed"}
    )
    admin_page = login_as(harbor.user("admin")).get(url("screening_rules", harbor)).content.decode()
    assert "the pills are counted out" in admin_page
