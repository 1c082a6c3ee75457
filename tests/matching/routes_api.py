"""Matrix routes of matching/api.py (see tests/matrix.py): match requests, their suggestions,
matches and each step of a match."""

from __future__ import annotations

from typing import Any

from tests.matrix import Route, register
from tests.people.helpers import tenant_participant

# The sample objects live in routes_pages.py, imported when first needed: tests.matrix imports both
# modules, and either may be imported first.


def _request(t: Any) -> dict[str, str]:
    from tests.matching.routes_pages import tenant_request

    return {"request_id": str(tenant_request(t).pk)}


def _match(t: Any) -> dict[str, str]:
    from tests.matching.routes_pages import tenant_match

    return {"match_id": str(tenant_match(t).pk)}


def _secrets(t: Any) -> list[str]:
    from tests.matching.routes_pages import _secrets as page_secrets

    return page_secrets(t)


def _new_request(t: Any) -> dict[str, Any]:
    return {
        "participant_id": str(tenant_participant(t).pk),
        "program_id": str(t.program.pk),
        "languages": ["en"],
        "modalities": ["phone"],
    }


register(Route("api:match_request_list", api=True, secrets=_secrets))
register(Route("api:match_request_create", method="POST", api=True, secrets=_secrets, data=_new_request))
register(Route("api:match_request_detail", api=True, objects=_request, secrets=_secrets))
register(Route("api:match_request_withdraw", method="POST", api=True, objects=_request, secrets=_secrets))
register(Route("api:match_request_suggestions", api=True, objects=_request, secrets=_secrets))
register(Route("api:match_list", api=True, secrets=_secrets))
register(
    Route(
        "api:match_create",
        method="POST",
        api=True,
        secrets=_secrets,
        data=lambda t: {**_request(t), "peer_id": str(t.user("peer").pk)},
    )
)
register(Route("api:match_detail", api=True, objects=_match, secrets=_secrets))
for _name, _data in [
    ("api:match_accept", {}),
    ("api:match_decline", {"reason": "other"}),
    ("api:match_start", {}),
    ("api:match_pause", {"reason": "other"}),
    ("api:match_resume", {}),
    ("api:match_close", {"reason": "other"}),
    ("api:match_change_peer", {}),
]:
    register(Route(_name, method="POST", api=True, objects=_match, secrets=_secrets, data=lambda t, d=_data: dict(d)))
