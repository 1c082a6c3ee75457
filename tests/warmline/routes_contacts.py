"""Matrix routes of the warm line: contacts (see tests/matrix.py). Every page and action on one
call or chat record and one repeat-caller plan, and the lists and forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from django_scopes import scopes_disabled

from alongside.warmline import contacts
from alongside.warmline.models import CallerPlan, LineContact
from tests.matrix import Route, register
from tests.warmline.contacts.helpers import finished, tenant_line

ALIAS = "Matrix Caller Alias"
NOTES = "Matrix contact notes that must stay with their organisation"
PLAN_NOTES = "Matrix plan words that must stay with their organisation"


def tenant_contact(t: Any) -> LineContact:
    """The tenant's peer supporter's finished call, with an alias and private notes (made once)."""
    with scopes_disabled():
        existing = LineContact.objects.filter(organisation=t.organisation).first()
    return existing or finished(t, alias=ALIAS, notes=NOTES)


def tenant_plan(t: Any) -> CallerPlan:
    with scopes_disabled():
        existing = CallerPlan.objects.filter(organisation=t.organisation).first()
        return existing or contacts.plan_create(
            acting_user=t.user("supervisor"),
            organisation=t.organisation,
            caller_alias=ALIAS,
            max_minutes=20,
            notes=PLAN_NOTES,
            starts_on=date(2020, 1, 1),
            expires_on=date(2020, 12, 31),
        )


def _contact(t: Any) -> dict[str, str]:
    return {"contact_id": str(tenant_contact(t).pk)}


def _plan(t: Any) -> dict[str, str]:
    return {"plan_id": str(tenant_plan(t).pk)}


def _secrets(t: Any) -> list[str]:
    tenant_contact(t)
    tenant_plan(t)
    return [ALIAS, NOTES, PLAN_NOTES]


def _start_data(t: Any) -> dict[str, Any]:
    return {"line": str(tenant_line(t).pk), "channel": "call", "started_at": "2026-01-01T10:00"}


_finish_data = {
    "started_at": "2026-01-01T10:00",
    "ended_at": "2026-01-01T10:20",
    "caller_kind": "repeat",
    "notes": "Taken over",
}
_plan_data = {"caller_alias": "Injected", "max_minutes": "20", "starts_on": "2026-01-01", "expires_on": "2026-02-01"}

for _name in ("warmline:contact_list", "warmline:contacts_mine", "warmline:contact_new", "warmline:caller_plan_list"):
    register(Route(_name, secrets=_secrets))
register(Route("warmline:caller_plan_new", secrets=_secrets))
register(Route("warmline:contact_new", method="POST", secrets=_secrets, data=_start_data))
register(Route("warmline:caller_plan_new", method="POST", secrets=_secrets, data=lambda t: _plan_data))
register(Route("warmline:contact_detail", objects=_contact, secrets=_secrets))
register(Route("warmline:contact_finish", objects=_contact, secrets=_secrets))
register(
    Route("warmline:contact_finish", method="POST", objects=_contact, secrets=_secrets, data=lambda t: _finish_data)
)
register(Route("warmline:contact_safety", objects=_contact, secrets=_secrets))
register(
    Route("warmline:contact_safety", method="POST", objects=_contact, secrets=_secrets, data=lambda t: {"summary": "x"})
)
register(Route("warmline:caller_plan_detail", objects=_plan, secrets=_secrets))
register(Route("warmline:caller_plan_end", method="POST", objects=_plan, secrets=_secrets))
