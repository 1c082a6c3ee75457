"""Set-up for wellbeing tests: check-ins written through the service, dated in the past when asked."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.accounts.models import User
from alongside.workforce import services
from alongside.workforce.models import WellbeingCheckIn

_n = itertools.count()


def checkin(
    tenant: Any,
    user: User,
    capacity: str = "room",
    *,
    shared: bool = False,
    days_ago: float = 0,
    mood: int | None = None,
    note: str = "",
) -> WellbeingCheckIn:
    with scopes_disabled():
        made = services.checkin_create(
            acting_user=user,
            organisation=tenant.organisation,
            capacity=capacity,
            mood=mood,
            note=note,
            shared=shared,
        )
        if days_ago:
            made.created_at = timezone.now() - timedelta(days=days_ago)
            WellbeingCheckIn.objects.filter(pk=made.pk).update(created_at=made.created_at)
    return made


def staff(tenant: Any, name: str, role: str = "peer") -> User:
    """Another staff member of the tenant (not linked to any supervisor)."""
    with scopes_disabled():
        user = account_services.user_create(
            acting_user=None,
            email=f"{name.lower()}{next(_n)}@{tenant.organisation.slug}.test",
            password=None,
            full_name=f"{name} Example",
        )
        account_services.membership_grant(acting_user=None, organisation=tenant.organisation, user=user, role=role)
    return user


def raw_note(checkin: WellbeingCheckIn) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT note FROM workforce_wellbeingcheckin WHERE id = %s",
            [checkin.pk.hex if connection.vendor == "sqlite" else checkin.pk],
        )
        return str(cursor.fetchone()[0])
