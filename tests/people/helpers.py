"""Shared set-up for people tests: one participant per tenant, assigned to the tenant's peer."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.people import services
from alongside.people.models import Participant


def tenant_participant(tenant: Any) -> Participant:
    """The tenant's sample participant (made once, assigned to the tenant's peer supporter)."""
    with scopes_disabled():
        existing = Participant.objects.filter(organisation=tenant.organisation, preferred_name="Sam Sample").first()
        if existing is not None:
            return existing
        return services.participant_create(
            acting_user=tenant.user("coordinator"),
            organisation=tenant.organisation,
            preferred_name="Sam Sample",
            email=f"sam@{tenant.organisation.slug}.example.org",
            notes="Sample notes that must stay private",
            looking_for_mentorship=True,
            assigned_peer=tenant.user("peer"),
        )
