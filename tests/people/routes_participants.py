"""Matrix routes of people/views/participants.py (see tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix import Route, register
from tests.people.helpers import tenant_participant


def _person(t: Any) -> dict[str, str]:
    return {"participant_id": str(tenant_participant(t).pk)}


def _secrets(t: Any) -> list[str]:
    participant = tenant_participant(t)
    return [participant.preferred_name, participant.email]


for _name in ["people:intake_queue", "people:participant_list", "people:participant_create", "people:caseload"]:
    register(Route(_name, secrets=_secrets))

register(
    Route(
        "people:participant_create",
        method="POST",
        secrets=_secrets,
        data=lambda t: {"preferred_name": "Injected", "email": "injected@example.org", "create_anyway": "1"},
    )
)

for _name in ["people:participant_detail", "people:participant_edit", "people:participant_merge"]:
    register(Route(_name, objects=_person, secrets=_secrets))

register(
    Route(
        "people:participant_edit",
        method="POST",
        objects=_person,
        secrets=_secrets,
        data=lambda t: {"preferred_name": "Taken over", "email": "taken@example.org"},
    )
)
register(
    Route(
        "people:participant_status",
        method="POST",
        objects=_person,
        secrets=_secrets,
        data=lambda t: {"status": "closed", "closed_reason": "other"},
    )
)
register(
    Route(
        "people:participant_assign_peer",
        method="POST",
        objects=_person,
        secrets=_secrets,
        data=lambda t: {"peer": str(t.user("peer").pk)},
    )
)
register(
    Route(
        "people:participant_enrol",
        method="POST",
        objects=_person,
        secrets=_secrets,
        data=lambda t: {"program": str(t.program.pk)},
    )
)
register(
    Route(
        "people:participant_merge",
        method="POST",
        objects=_person,
        secrets=_secrets,
        # Folding harbor's own record into riverbend's (or the reverse) must look like a missing id.
        data=lambda t: {"other_id": str(tenant_participant(t).pk), "confirm": "on"},
    )
)


register(Route("people:participant_export", objects=_person, secrets=_secrets))
