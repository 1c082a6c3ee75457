"""Matrix routes of the warm line: chat (see tests/matrix.py). Every staff route that names a
conversation; the visitor's routes take the secret in their cookie (or the resume link), not a
staff id, and are exempt: tested in tests/warmline/chat/test_views."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.warmline.models import Conversation, Line
from tests.matrix import EXEMPT, Route, register

FIRST_LINE = "Matrix chat words that must stay with their own organisation"

EXEMPT.update(
    {
        f"warmline:{name}": "the visitor's own conversation, opened by the secret in their cookie or link (no staff "
        "id); another conversation answers like a missing one, tested in tests/warmline/chat/test_views"
        for name in (
            "chat_start",
            "chat_conversation",
            "chat_visitor_send",
            "chat_visitor_messages",
            "chat_step_away",
            "chat_leave",
            "chat_feedback",
            "chat_resume",
        )
    }
)


def tenant_conversation(t: Any) -> Conversation:
    """The tenant's sample chat, waiting in the queue of its matrix line."""
    with scopes_disabled():
        existing = Conversation.objects.filter(organisation=t.organisation).first()
        if existing is not None:
            return existing
        line = Line.objects.create(
            organisation=t.organisation, name="Matrix Line", slug="matrix-line", chat_enabled=True
        )
        now = timezone.now()
        return Conversation.objects.create(
            organisation=t.organisation,
            line=line,
            first_line=FIRST_LINE,
            visitor_alias="Matrix Alias",
            terms_accepted_at=now,
            queued_at=now,
            visitor_token_hash=f"matrix-{t.organisation.slug}",
        )


def _conversation(t: Any) -> dict[str, str]:
    return {"conversation_id": str(tenant_conversation(t).pk)}


def _secrets(t: Any) -> list[str]:
    tenant_conversation(t)
    return [FIRST_LINE, "Matrix Alias"]


register(Route("warmline:chat_console", secrets=_secrets))
for _name in ("chat_peer", "chat_peer_messages"):
    register(Route(f"warmline:{_name}", objects=_conversation, secrets=_secrets))
register(Route("warmline:chat_claim", method="POST", objects=_conversation, secrets=_secrets))
register(
    Route(
        "warmline:chat_peer_send",
        method="POST",
        objects=_conversation,
        secrets=_secrets,
        data=lambda t: {"client_id": "matrix-1", "body": "taken over"},
    )
)
register(
    Route(
        "warmline:chat_transfer",
        method="POST",
        objects=_conversation,
        secrets=_secrets,
        data=lambda t: {"to_user": str(t.user("peer").pk)},
    )
)
register(
    Route(
        "warmline:chat_close",
        method="POST",
        objects=_conversation,
        secrets=_secrets,
        data=lambda t: {"closing_message": "bye"},
    )
)
register(Route("warmline:chat_raise", method="POST", objects=_conversation, secrets=_secrets))
