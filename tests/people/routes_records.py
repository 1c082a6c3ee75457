"""Matrix routes of people/views/records.py (see tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.people import services
from tests.matrix import Route, register
from tests.people.helpers import tenant_participant


def _person(t: Any) -> dict[str, str]:
    return {"participant_id": str(tenant_participant(t).pk)}


def _consent(t: Any) -> dict[str, str]:
    participant = tenant_participant(t)
    with scopes_disabled():
        consent = services.consent_grant(
            acting_user=t.user("coordinator"),
            participant=participant,
            purpose="evaluation",
            given_by="self",
            method="e_signature",
            signature=participant.preferred_name,
        )
    return {"participant_id": str(participant.pk), "consent_id": str(consent.pk)}


def _secrets(t: Any) -> list[str]:
    participant = tenant_participant(t)
    return [participant.email, "Sample notes that must stay private"]


_POSTS: dict[str, Any] = {
    "people:consent_create": lambda t: {
        "purpose": "evaluation",
        "given_by": "self",
        "method": "e_signature",
        "signature": "Sam Sample",
    },
    "people:contact_create": lambda t: {
        "occurred_at": "2024-01-02T10:00",
        "duration_minutes": "30",
        "service_model": "mentorship",
        "mode": "phone",
        "notes": "Injected",
    },
    "people:family_link_create": lambda t: {"relationship": "parent", "loved_one_name": "Injected"},
    "people:guardian_create": lambda t: {"name": "Injected", "relationship": "Parent", "is_legal_guardian": "on"},
    "people:experiences_edit": lambda t: {},
}

for _name, _data in _POSTS.items():
    register(Route(_name, objects=_person, secrets=_secrets))
    register(Route(_name, method="POST", objects=_person, secrets=_secrets, data=_data))

register(Route("people:consent_withdraw", method="POST", objects=_consent, secrets=_secrets))
register(Route("people:peer_profile_edit"))
register(
    Route(
        "people:peer_profile_edit",
        method="POST",
        data=lambda t: {"bio": "Injected", "caseload_limit": "5", "status": "active"},
    )
)
