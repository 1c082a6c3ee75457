"""Matrix routes of the warm line: screening (see tests/matrix.py): the rules page, "try a
message", add a rule, only the built-in rules, one rule's edit and deactivate, and an added word's
add and edit."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.warmline.models import ScreeningRule, ScreeningWord
from alongside.warmline.screening_rules import rule_create, word_add
from tests.matrix import Route, register

PHRASE = "matrix phrase"
NOTE = "Matrix note that must stay with its own organisation"
TERM = "matrixword"
WORD_NOTE = "Matrix word note that must stay with its own organisation"


def tenant_word(t: Any) -> ScreeningWord:
    """A word the tenant added to the built-in English set ``meds``."""
    with scopes_disabled():
        existing = ScreeningWord.objects.filter(organisation=t.organisation, term=TERM).first()
    if existing is not None:
        return existing
    return word_add(
        acting_user=t.user("admin"),
        organisation=t.organisation,
        language="en",
        set_name="meds",
        term=TERM,
        note=WORD_NOTE,
    )


def _word(t: Any) -> dict[str, str]:
    return {"word_id": str(tenant_word(t).pk)}


def tenant_rule(t: Any) -> ScreeningRule:
    """The tenant's own rule."""
    with scopes_disabled():
        existing = ScreeningRule.objects.filter(organisation=t.organisation, phrase=PHRASE).first()
    if existing is not None:
        return existing
    return rule_create(
        acting_user=t.user("admin"), organisation=t.organisation, language="en", phrase=PHRASE, note=NOTE
    )


def _rule(t: Any) -> dict[str, str]:
    return {"rule_id": str(tenant_rule(t).pk)}


def _secrets(t: Any) -> list[str]:
    tenant_rule(t)
    tenant_word(t)
    return [NOTE, WORD_NOTE]


def _rule_data(t: Any) -> dict[str, Any]:
    return {
        "language": "en",
        "phrase": "taken over",
        "concept": "own",
        "tier": "urgent",
        "negatable": "on",
        "note": "Injected",
        "is_active": "on",
    }


def _word_data(t: Any) -> dict[str, Any]:
    return {"language": "en", "set_name": "meds", "term": "injectedword", "note": "Injected", "is_active": "on"}


register(Route("warmline:screening_rules", secrets=_secrets))
register(Route("warmline:screening_try", method="POST", secrets=_secrets, data=lambda t: {"text": "matrix phrase"}))
register(Route("warmline:screening_rule_create", secrets=_secrets))
register(Route("warmline:screening_rule_create", method="POST", secrets=_secrets, data=_rule_data))
register(Route("warmline:screening_reset", secrets=_secrets))
register(Route("warmline:screening_reset", method="POST", secrets=_secrets, data=lambda t: {"language": "en"}))
register(Route("warmline:screening_rule_edit", objects=_rule, secrets=_secrets))
register(Route("warmline:screening_rule_edit", method="POST", objects=_rule, secrets=_secrets, data=_rule_data))
register(Route("warmline:screening_rule_deactivate", method="POST", objects=_rule, secrets=_secrets))
register(Route("warmline:screening_word_create", secrets=_secrets))
register(Route("warmline:screening_word_create", method="POST", secrets=_secrets, data=_word_data))
register(Route("warmline:screening_word_edit", objects=_word, secrets=_secrets))
register(Route("warmline:screening_word_edit", method="POST", objects=_word, secrets=_secrets, data=_word_data))


def tenant_mark(t: Any) -> Any:
    """A mark on a visitor message of the tenant's matrix chat."""
    from alongside.warmline.models import Message, ScreeningMark
    from tests.warmline.routes_chat import tenant_conversation

    with scopes_disabled():
        existing = ScreeningMark.objects.filter(organisation=t.organisation).first()
        if existing is not None:
            return existing
        conversation = tenant_conversation(t)
        message = Message.objects.create(
            organisation=t.organisation,
            conversation=conversation,
            seq=99,
            sender_kind="visitor",
            client_id="matrix-mark",
            body=MARKED,
            created_at=conversation.queued_at,
        )
        return ScreeningMark.objects.create(
            organisation=t.organisation, kind="missed", message=message, marked_by=t.user("supervisor")
        )


MARKED = "Matrix marked words that must stay with their own organisation"


def _mark(t: Any) -> dict[str, str]:
    return {"mark_id": str(tenant_mark(t).pk)}


def _mark_data(t: Any) -> dict[str, Any]:
    mark = tenant_mark(t)
    return {"target": "message", "id": str(mark.message_id), "kind": "missed", "next": "/app/"}


register(Route("warmline:screening_mark_create", method="POST", secrets=lambda t: [MARKED], data=_mark_data))
register(Route("warmline:screening_mark_resolve", method="POST", objects=_mark, secrets=lambda t: [MARKED]))


EXAMPLE = "Matrix example that must stay with its own organisation"


def tenant_example(t: Any) -> Any:
    from alongside.warmline.models import ScreeningExample
    from alongside.warmline.screening_rules import example_add

    with scopes_disabled():
        existing = ScreeningExample.objects.filter(organisation=t.organisation).first()
    if existing is not None:
        return existing
    return example_add(
        acting_user=t.user("admin"), organisation=t.organisation, language="en", text=EXAMPLE, should_flag=True
    )


register(Route("warmline:screening_example_create", secrets=lambda t: [EXAMPLE] if tenant_example(t) else []))
register(
    Route(
        "warmline:screening_example_create",
        method="POST",
        secrets=lambda t: [EXAMPLE] if tenant_example(t) else [],
        data=lambda t: {"language": "en", "text": "injected example", "should_flag": "yes"},
    )
)
register(
    Route(
        "warmline:screening_example_deactivate",
        method="POST",
        objects=lambda t: {"example_id": str(tenant_example(t).pk)},
        secrets=lambda t: [EXAMPLE],
    )
)
