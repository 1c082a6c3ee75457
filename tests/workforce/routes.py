"""Matrix routes of workforce/views.py (see tests/matrix.py): the person's own wellbeing page, the
supervisor's team page, and stopping sharing one's own check-in (the one route with an id)."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from alongside.workforce.models import WellbeingCheckIn
from tests.matrix import Route, register
from tests.workforce.helpers import checkin

NOTE = "Matrix wellbeing note that must stay with its writer"


def tenant_checkin(t: Any) -> WellbeingCheckIn:
    """The tenant's peer supporter's shared check-in (made once)."""
    with scopes_disabled():
        existing = WellbeingCheckIn.objects.filter(organisation=t.organisation, user=t.user("peer")).first()
    return existing or checkin(t, t.user("peer"), "stretched", shared=True, mood=1, note=NOTE)


def _checkin(t: Any) -> dict[str, str]:
    return {"checkin_id": str(tenant_checkin(t).pk)}


def _secrets(t: Any) -> list[str]:
    tenant_checkin(t)
    return [NOTE, t.user("peer").full_name]


register(Route("workforce:wellbeing", secrets=_secrets))
register(Route("workforce:wellbeing_team", secrets=_secrets))
register(Route("workforce:checkin_stop_sharing", method="POST", objects=_checkin, secrets=_secrets))
