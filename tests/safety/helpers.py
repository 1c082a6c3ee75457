"""Set-up for safety tests: concerns raised through the service, people in the record scope."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.people import services as people_services
from alongside.people.models import Participant
from alongside.safety import services
from alongside.safety.models import Escalation

SUMMARY = "Said they had been thinking about not being here any more"


def person(tenant: Any, name: str = "Robin", *, peer: Any = None) -> Participant:
    """A participant; with ``peer``, assigned to that peer (so in their and their supervisor's scope)."""
    with scopes_disabled():
        made = people_services.participant_create(
            acting_user=tenant.user("coordinator"), organisation=tenant.organisation, preferred_name=name
        )
        if peer is not None:
            Participant.objects.filter(pk=made.pk).update(assigned_peer=peer)
            made.refresh_from_db()
    return made


def raise_concern(tenant: Any, user: Any = None, summary: str = SUMMARY, **fields: Any) -> Escalation:
    fields.setdefault("source", "other")
    with scopes_disabled():
        return services.escalation_raise(
            acting_user=user or tenant.user("peer"), organisation=tenant.organisation, summary=summary, **fields
        )


def raw(table: str, column: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608 - test-only, fixed names
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return str(cursor.fetchone()[0])


def staff(tenant: Any, name: str, role: str) -> Any:
    """Another staff member of the tenant, not linked to any supervisor."""
    with scopes_disabled():
        user = account_services.user_create(
            acting_user=None,
            email=f"{name}@{tenant.organisation.slug}.test",
            password=None,
            full_name=f"{name.title()} Example",
        )
        account_services.membership_grant(acting_user=None, organisation=tenant.organisation, user=user, role=role)
    return user
