"""Access to one check-in: only its writer reaches it. Anyone else's, a foreign one and a missing
one all answer the same 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.workforce.models import WellbeingCheckIn


def access_own_checkin(org: OrgContext, checkin_id: Any) -> WellbeingCheckIn:
    org.require("wellbeing.checkin")
    checkin = WellbeingCheckIn.objects.filter(
        organisation=org.organisation, user=org.user, pk=parse_uuid_or_404(checkin_id)
    ).first()
    if checkin is None:
        raise Http404
    return checkin
