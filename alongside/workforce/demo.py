"""Wellbeing check-ins in the demo: in both demo organisations, the demo peer supporter has a few
check-ins of their own (one shared, a newer one kept private), and a second peer supporter has
shared that they are stretched, so the supervisor's team page and matching's penalty have
something to show.

Called by ``alongside demo`` after the matching demo. Every check-in goes through
``workforce/services.py`` (with its audit row); afterwards, as in the other demos, dates are moved
back with queryset ``update()``. Idempotent: a person who already has a check-in is left as they are.
Everyone here is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alongside.accounts.demo import DemoRefused
from alongside.accounts.models import Organisation, User
from alongside.core.tenancy import tenant_scope
from alongside.workforce import services
from alongside.workforce.models import Capacity, WellbeingCheckIn


@dataclass(frozen=True)
class DemoCheckIn:
    days_ago: int
    capacity: str
    mood: int | None
    shared: bool
    note: str = ""


# {demo login key: check-ins, oldest first}
DEMO_CHECKINS: dict[str, list[DemoCheckIn]] = {
    "peer": [
        DemoCheckIn(9, Capacity.ROOM, 4, True, "Good supervision this week. Walked by the river after work."),
        DemoCheckIn(2, Capacity.FULL, 3, False, "Two hard calls in a row. Taking tomorrow evening for myself."),
    ],
    "peer2": [
        DemoCheckIn(1, Capacity.STRETCHED, 2, True, "Family things at home. Asking for a lighter week."),
    ],
}
DEMO_SLUGS = ("harbor", "riverbend")


@transaction.atomic
def load_workforce_demo() -> None:
    """Load the wellbeing demo into both demo organisations (after the accounts demo)."""
    if not settings.DEMO:
        raise DemoRefused("The demo makes accounts with a published password: set ALONGSIDE_DEMO=1 to load it.")
    now = timezone.now()
    for slug in DEMO_SLUGS:
        organisation = Organisation.objects.get(slug=slug)
        with tenant_scope(organisation):
            for key, checkins in DEMO_CHECKINS.items():
                user = User.objects.get(email=f"{key}@{slug}.demo")
                if WellbeingCheckIn.objects.filter(organisation=organisation, user=user).exists():
                    continue
                for item in checkins:
                    checkin = services.checkin_create(
                        acting_user=user,
                        organisation=organisation,
                        capacity=item.capacity,
                        mood=item.mood,
                        note=item.note,
                        shared=item.shared,
                    )
                    when = now - timedelta(days=item.days_ago, hours=3)
                    WellbeingCheckIn.objects.filter(pk=checkin.pk).update(created_at=when)
