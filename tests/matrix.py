"""The cross-tenant matrix: a registry of every route that names a tenant object.

Each capability registers its routes here (``register(Route(...))``); ``test_matrix.py`` then
generates route × role × foreign-object cases: a person from harbor asking for riverbend's
object, under riverbend's prefix or their own, must get exactly what a missing id gets, and never
see the foreign object. A resolver walk fails when a parameterised route is not registered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django_scopes import scopes_disabled

from alongside.accounts.models import Invitation, Role


@dataclass(frozen=True)
class Route:
    name: str
    method: str = "GET"
    # URL kwargs other than the organisation slug, for a tenant's own object ({} when none).
    objects: Callable[[Any], dict[str, str]] = field(default=lambda tenant: {})
    # Words of the foreign object that must not appear in the response.
    secrets: Callable[[Any], list[str]] = field(default=lambda tenant: [])
    data: Callable[[Any], dict[str, Any]] = field(default=lambda tenant: {})
    api: bool = False
    org_kwarg: str = "org_slug"

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


ROUTES: list[Route] = []


def register(route: Route) -> Route:
    ROUTES.append(route)
    return route


def missing_like(kwargs: dict[str, str]) -> dict[str, str]:
    """The same kwargs with every object id replaced by one that exists nowhere."""
    return {key: str(uuid.uuid4()) for key in kwargs}


# Routes whose parameters are not tenant objects, each with the reason.
EXEMPT = {
    "web:org_public_home": "public page by slug; tested in test_pages",
    "web:network_home": "network slug; network isolation tested in test_pages",
    "accounts:invitation_accept": "a one-time token, not an id; tested in test_auth",
    "accounts:password_reset_confirm": "Django's signed reset token; tested in test_auth",
    "accounts:token_revoke": "own tokens only (user-scoped, not tenant); tested in test_auth",
    "people:self_referral": "public form by organisation slug; tested in test_self_referral",
    "people:self_referral_thanks": "public page by organisation slug; tested in test_self_referral",
    "people:self_start": "a private link's token, not an id (/me/ pages read the session); tested in test_self_service",
    "directory:listing_detail": "public page of the directory's index (P1 fields, spans organisations, no tenant "
    "scope); an unknown id is a 404, tested in tests/directory/test_pages",
    **{
        f"matching:{name}": "the person's own page under /me/ (no organisation: the private link's session names "
        "the person); another person's match answers like a missing one, tested in tests/matching/test_person_pages"
        for name in ("self_match", "self_plan", "self_change", "self_ics", "self_summary", "self_summary_pdf")
    },
    **{
        f"api:{name}": "public, read-only HSDS directory (P1 fields of public services, no tenant scope and no "
        "token); a hidden service answers like a missing one, tested in tests/directory/test_hsds"
        for name in ("hsds_service", "hsds_organization", "hsds_location")
    },
}


def _program(t: Any) -> dict[str, str]:
    return {"program_id": str(t.program.pk)}


def _site(t: Any) -> dict[str, str]:
    return {"site_id": str(t.site.pk)}


def _peer(t: Any) -> dict[str, str]:
    return {"user_id": str(t.user("peer").pk)}


def _invitation(t: Any) -> dict[str, str]:
    with scopes_disabled():
        invitation = Invitation.objects.filter(organisation=t.organisation).first()
    assert invitation is not None, "tenant fixture needs an open invitation"
    return {"invitation_id": str(invitation.pk)}


for _name in [
    "web:staff_home",
    "web:program_list",
    "web:site_list",
    "web:staff_list",
    "web:org_settings",
    "web:audit_log",
    "web:program_create",
    "web:site_create",
]:
    register(Route(_name, secrets=lambda t: [t.organisation.name, t.program.name]))

register(Route("web:program_detail", objects=_program, secrets=lambda t: [t.program.name]))
register(Route("web:program_edit", objects=_program, secrets=lambda t: [t.program.name]))
register(
    Route(
        "web:program_edit",
        method="POST",
        objects=_program,
        secrets=lambda t: [t.program.name],
        data=lambda t: {"name": "Taken over", "offers_groups": "on", "serves_adults": "on"},
    )
)
register(Route("web:site_edit", objects=_site, secrets=lambda t: [t.site.name]))
register(
    Route(
        "web:site_edit",
        method="POST",
        objects=_site,
        secrets=lambda t: [t.site.name],
        data=lambda t: {
            "name": "Moved",
            "address_line1": "x",
            "city": "y",
            "country": "US",
            "latitude": "1",
            "longitude": "1",
        },
    )
)
register(Route("web:staff_detail", objects=_peer, secrets=lambda t: [t.user("peer").email]))
register(
    Route(
        "web:staff_detail",
        method="POST",
        objects=_peer,
        secrets=lambda t: [t.user("peer").email],
        data=lambda t: {"roles": [Role.ADMIN]},
    )
)
register(
    Route(
        "web:supervision_add",
        method="POST",
        objects=_peer,
        data=lambda t: {"supervisor": str(t.user("supervisor").pk)},
    )
)
register(Route("web:staff_invite", method="POST", data=lambda t: {"email": "new@example.org", "role": "peer"}))
register(Route("web:invitation_revoke", method="POST", objects=_invitation))
register(Route("api:program_list", api=True, secrets=lambda t: [t.program.name]))
register(Route("api:program_detail", api=True, objects=_program, secrets=lambda t: [t.program.name]))
register(
    Route(
        "api:program_create",
        method="POST",
        api=True,
        data=lambda t: {"name": "Injected", "models": ["groups"], "audiences": ["adults"]},
    )
)


# Each capability registers its own routes in its tests package.
from tests.groups import routes_running  # noqa: E402, F401
from tests.groups import routes_staff as groups_routes_staff  # noqa: E402, F401
from tests.matching import routes_api as matching_routes_api  # noqa: E402, F401
from tests.matching import routes_mentorship, routes_pages  # noqa: E402, F401
from tests.people import (  # noqa: E402, F401
    routes_api,  # noqa: E402, F401
    routes_documents,
    routes_participants,
    routes_records,
    routes_referrals,
    routes_referrals_api,
    routes_rights,
)
from tests.safety import routes as safety_routes  # noqa: E402, F401
from tests.warmline import routes_board as warmline_routes_board  # noqa: E402, F401
from tests.warmline import routes_chat as warmline_routes_chat  # noqa: E402, F401
from tests.warmline import routes_contacts as warmline_routes_contacts  # noqa: E402, F401
from tests.warmline import routes_lines as warmline_routes_lines  # noqa: E402, F401
from tests.warmline import routes_screening as warmline_routes_screening  # noqa: E402, F401
from tests.warmline import routes_shifts as warmline_routes_shifts  # noqa: E402, F401
from tests.warmline import routes_telephony as warmline_routes_telephony  # noqa: E402, F401
from tests.workforce import routes as workforce_routes  # noqa: E402, F401
