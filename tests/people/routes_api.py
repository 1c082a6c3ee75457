"""Matrix routes of people/api.py (see tests/matrix.py): the participants and consents endpoints."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.people import services
from alongside.people.models import Consent
from tests.matrix import Route, register
from tests.people.helpers import tenant_participant


def _participant(t: Any) -> dict[str, str]:
    return {"participant_id": str(tenant_participant(t).pk)}


def _consent(t: Any) -> dict[str, str]:
    """The sample participant and one consent of theirs (made once)."""
    participant = tenant_participant(t)
    with scopes_disabled():
        consent = Consent.objects.filter(participant=participant).first() or services.consent_grant(
            acting_user=t.user("coordinator"),
            participant=participant,
            purpose="service",
            given_by="self",
            method="e_signature",
            signature="Sam Sample",
        )
    return {"participant_id": str(participant.pk), "consent_id": str(consent.pk)}


def _secrets(t: Any) -> list[str]:
    participant = tenant_participant(t)
    return [participant.preferred_name, participant.email]


register(Route("api:participant_list", api=True, secrets=_secrets))
register(
    Route(
        "api:participant_create",
        method="POST",
        api=True,
        data=lambda t: {"preferred_name": "Injected Person", "email": "injected@example.org"},
    )
)
register(Route("api:participant_detail", api=True, objects=_participant, secrets=_secrets))
register(Route("api:consent_list", api=True, objects=_participant, secrets=_secrets))
register(
    Route(
        "api:consent_create",
        method="POST",
        api=True,
        objects=_participant,
        secrets=_secrets,
        data=lambda t: {"purpose": "service", "given_by": "self", "method": "written"},
    )
)
register(Route("api:consent_withdraw", method="POST", api=True, objects=_consent, secrets=_secrets))
register(
    Route(
        "api:participant_update",
        method="PATCH",
        api=True,
        objects=_participant,
        secrets=_secrets,
        data=lambda t: {"preferred_name": "Renamed"},
    )
)
