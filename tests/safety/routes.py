"""Matrix routes of safety/views.py (see tests/matrix.py): the list, the raise page, the checklist
editor, and every page and action on one concern and its follow-up."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.safety.models import Escalation, FollowUp
from tests.matrix import Route, register
from tests.safety.helpers import raise_concern

SUMMARY = "Matrix concern words that must stay in their organisation"


def tenant_escalation(t: Any) -> Escalation:
    """The tenant's peer supporter's open concern (made once)."""
    with scopes_disabled():
        existing = Escalation.objects.filter(organisation=t.organisation, raised_by=t.user("peer")).first()
    return existing or raise_concern(t, t.user("peer"), SUMMARY)


def _escalation(t: Any) -> dict[str, str]:
    return {"escalation_id": str(tenant_escalation(t).pk)}


def _followup(t: Any) -> dict[str, str]:
    escalation = tenant_escalation(t)
    with scopes_disabled():
        followup = FollowUp.objects.get(escalation=escalation)
    return {"escalation_id": str(escalation.pk), "followup_id": str(followup.pk)}


def _secrets(t: Any) -> list[str]:
    tenant_escalation(t)
    return [SUMMARY]


register(Route("safety:list", secrets=_secrets))
register(Route("safety:raise", secrets=_secrets))
register(Route("safety:checklist_edit", secrets=_secrets))
register(Route("safety:escalation", objects=_escalation, secrets=_secrets))
register(
    Route(
        "safety:step", method="POST", objects=_escalation, secrets=_secrets, data=lambda t: {"step": "0", "done": "on"}
    )
)
register(
    Route(
        "safety:outcome",
        method="POST",
        objects=_escalation,
        secrets=_secrets,
        data=lambda t: {"outcome": "declined", "notes": ""},
    )
)
register(Route("safety:close", method="POST", objects=_escalation, secrets=_secrets))
register(
    Route("safety:followup_done", method="POST", objects=_followup, secrets=_secrets, data=lambda t: {"note": "x"})
)
