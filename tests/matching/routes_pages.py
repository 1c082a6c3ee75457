"""Matrix routes of matching/views/coordinator.py and peer.py (see tests/matrix.py): the waiting
lists, the request form, one request with its suggestions, proposing, withdrawing, the batch
proposal, the weights, and the peer supporter's requests to answer."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.matching import services
from alongside.matching.models import Match, MatchRequest
from alongside.people.models import Participant, PeerProfile
from tests.matching.helpers import make_peer, make_person
from tests.matrix import Route, register
from tests.people.helpers import tenant_participant

NAME = "Mo Matrix"
NOTE = "Matrix note for the coordinator that must stay private"


def tenant_match(t: Any) -> Match:
    """The tenant's sample proposal: the tenant's peer supporter asked to support "Mo Matrix"
    (made once; the peer gets a profile)."""
    with scopes_disabled():
        existing = Match.objects.filter(organisation=t.organisation, participant__preferred_name=NAME).first()
        if existing is not None:
            return existing
        if not PeerProfile.objects.filter(organisation=t.organisation, user=t.user("peer")).exists():
            make_peer(t, "Pat", user=t.user("peer"))
        person = make_person(t, NAME)
        request = services.match_request_create(
            acting_user=t.user("coordinator"),
            participant=person,
            program=t.program,
            languages=["en"],
            modalities=["phone"],
            note=NOTE,
        )
        return services.match_propose(acting_user=t.user("coordinator"), request=request, peer=t.user("peer"))


def tenant_request(t: Any) -> MatchRequest:
    return tenant_match(t).request


def _program(t: Any) -> dict[str, str]:
    return {"program_id": str(t.program.pk)}


def _request(t: Any) -> dict[str, str]:
    return {"request_id": str(tenant_request(t).pk)}


def _match(t: Any) -> dict[str, str]:
    return {"match_id": str(tenant_match(t).pk)}


def _participant(t: Any) -> dict[str, str]:
    tenant_match(t)
    with scopes_disabled():
        person = Participant.objects.get(organisation=t.organisation, preferred_name=NAME)
    return {"participant_id": str(person.pk)}


def _secrets(t: Any) -> list[str]:
    tenant_match(t)
    return [NAME, NOTE, tenant_participant(t).preferred_name]


def _request_data(t: Any) -> dict[str, Any]:
    return {"program": str(t.program.pk), "languages": ["en"], "modalities": ["phone"], "note": "Injected"}


register(Route("matching:waiting_overview", secrets=_secrets))
register(Route("matching:weights_edit"))
register(Route("matching:weights_edit", method="POST", data=lambda t: {"base": "99"}))
register(Route("matching:peer_requests", secrets=_secrets))
register(Route("matching:waiting_list", objects=_program, secrets=_secrets))
register(Route("matching:batch_review", objects=_program, secrets=_secrets))
register(
    Route("matching:batch_review", method="POST", objects=_program, secrets=_secrets, data=lambda t: {"token": "x"})
)
register(Route("matching:request_create", objects=_participant, secrets=_secrets))
register(Route("matching:request_create", method="POST", objects=_participant, secrets=_secrets, data=_request_data))
register(Route("matching:request_detail", objects=_request, secrets=_secrets))
register(
    Route(
        "matching:request_propose",
        method="POST",
        objects=_request,
        secrets=_secrets,
        data=lambda t: {"peer": str(t.user("peer").pk)},
    )
)
register(Route("matching:request_withdraw", method="POST", objects=_request, secrets=_secrets))
register(
    Route(
        "matching:request_answer",
        method="POST",
        objects=_request,
        secrets=_secrets,
        data=lambda t: {"answer": "decline", "reason": "other"},
    )
)
register(Route("matching:peer_accept", method="POST", objects=_match, secrets=_secrets))
register(
    Route("matching:peer_decline", method="POST", objects=_match, secrets=_secrets, data=lambda t: {"reason": "other"})
)
