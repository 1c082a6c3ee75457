"""Matrix routes of people/views/rights.py (see tests/matrix.py). The /me/ pages take no tenant id
(the session names the link) and the token route is in EXEMPT."""

from __future__ import annotations

from typing import Any

from tests.matrix import Route, register
from tests.people.helpers import tenant_participant


def _person(t: Any) -> dict[str, str]:
    return {"participant_id": str(tenant_participant(t).pk)}


def _secrets(t: Any) -> list[str]:
    participant = tenant_participant(t)
    return [participant.preferred_name, participant.email]


register(Route("people:participant_erase", objects=_person, secrets=_secrets))
register(
    Route(
        "people:participant_erase",
        method="POST",
        objects=_person,
        secrets=_secrets,
        data=lambda t: {"confirm": "on", "override_retention": "on"},
    )
)
register(Route("people:access_link_create", method="POST", objects=_person, secrets=_secrets))
register(Route("people:access_links_revoke", method="POST", objects=_person, secrets=_secrets))
register(Route("people:access_history", objects=_person, secrets=_secrets))
