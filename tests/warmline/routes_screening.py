"""Matrix routes of the warm line: screening (see tests/matrix.py): the rules page, "try a
message", add a rule, reset to the defaults, and one rule's edit and deactivate."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.warmline.models import ScreeningRule
from alongside.warmline.screening_rules import rule_create
from tests.matrix import Route, register

PHRASE = "matrix phrase"
NOTE = "Matrix note that must stay with its own organisation"


def tenant_rule(t: Any) -> ScreeningRule:
    """The tenant's own rule (adding it copies the built-in English rules in first)."""
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
    return [NOTE]


def _rule_data(t: Any) -> dict[str, Any]:
    return {"language": "en", "phrase": "taken over", "negatable": "on", "note": "Injected", "is_active": "on"}


register(Route("warmline:screening_rules", secrets=_secrets))
register(Route("warmline:screening_try", method="POST", secrets=_secrets, data=lambda t: {"text": "matrix phrase"}))
register(Route("warmline:screening_rule_create", secrets=_secrets))
register(Route("warmline:screening_rule_create", method="POST", secrets=_secrets, data=_rule_data))
register(Route("warmline:screening_reset", secrets=_secrets))
register(Route("warmline:screening_reset", method="POST", secrets=_secrets, data=lambda t: {"language": "en"}))
register(Route("warmline:screening_rule_edit", objects=_rule, secrets=_secrets))
register(Route("warmline:screening_rule_edit", method="POST", objects=_rule, secrets=_secrets, data=_rule_data))
register(Route("warmline:screening_rule_deactivate", method="POST", objects=_rule, secrets=_secrets))
