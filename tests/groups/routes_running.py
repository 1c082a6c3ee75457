"""Matrix routes of groups/views/registrations.py and roster.py (see tests/matrix.py): a group's
registrations, one registration, cancelling, the attendance letter, the roster, a safety concern,
the feedback summary and the counts. The public pages take slugs and tokens, not ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django_scopes import scopes_disabled

from alongside.groups import registration as reg
from alongside.groups.models import Group, Registration
from alongside.groups.vocab import Joining
from tests.groups.helpers import make_group, make_schedule
from tests.matrix import EXEMPT, Route, register

GROUP = "Matrix Roster Circle"
NAME = "Morwenna"
EMAIL = "morwenna-matrix@example.org"

EXEMPT.update(
    {
        "groups:public_group": "public page by organisation and group slug; tested in tests/groups/test_public_pages",
        "groups:registration_own": "a registrant's link token, not an id; tested in tests/groups/test_public_pages",
        "groups:feedback": "a signed token, not an id; tested in tests/groups/test_feedback",
    }
)


def tenant_group(t: Any) -> Group:
    with scopes_disabled():
        existing = Group.objects.filter(organisation=t.organisation, slug="matrix-roster-circle").first()
        if existing is not None:
            return existing
        group = make_group(t, GROUP, joining=Joining.REGISTRATION, capacity=5)
        make_schedule(group)
        reg.register_public(group=group, first_name=NAME, email=EMAIL)
        return group


def tenant_registration(t: Any) -> Registration:
    group = tenant_group(t)
    with scopes_disabled():
        return Registration.objects.get(group=group, first_name=NAME)


def _group(t: Any) -> dict[str, str]:
    return {"group_id": str(tenant_group(t).pk)}


def _registration(t: Any) -> dict[str, str]:
    registration = tenant_registration(t)
    return {"group_id": str(registration.group_id), "registration_id": str(registration.pk)}


def _session(t: Any) -> dict[str, str]:
    group = tenant_group(t)
    with scopes_disabled():
        schedule = group.schedules.get()
    first = datetime(2026, 1, 6, 18, 0).replace(tzinfo=None)
    from zoneinfo import ZoneInfo

    start = first.replace(tzinfo=ZoneInfo(group.timezone)).astimezone(UTC)
    return {"group_id": str(group.pk), "key": f"{schedule.pk}_{start:%Y%m%dT%H%M%SZ}"}


def _secrets(t: Any) -> list[str]:
    tenant_group(t)
    return [GROUP, NAME, EMAIL]


register(Route("groups:registration_list", objects=_group, secrets=_secrets))
register(
    Route(
        "groups:registration_list",
        method="POST",
        objects=_group,
        secrets=_secrets,
        data=lambda t: {"participant": "", "agreement_acknowledged": "on"},
    )
)
register(Route("groups:registration_detail", objects=_registration, secrets=_secrets))
register(Route("groups:registration_cancel", method="POST", objects=_registration, secrets=_secrets))
register(Route("groups:registration_letter", method="POST", objects=_registration, secrets=_secrets))
register(Route("groups:roster", objects=_session, secrets=_secrets))
register(
    Route(
        "groups:roster",
        method="POST",
        objects=_session,
        secrets=_secrets,
        data=lambda t: {"dropin_headcount": "3", "notes": "Injected"},
    )
)
register(Route("groups:roster_safety", objects=_session, secrets=_secrets))
register(
    Route("groups:roster_safety", method="POST", objects=_session, secrets=_secrets, data=lambda t: {"summary": "x"})
)
register(Route("groups:feedback_summary", objects=_group, secrets=_secrets))
register(Route("groups:group_counts", objects=_group, secrets=_secrets))
