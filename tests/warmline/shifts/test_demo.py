"""The shifts demo (alongside/warmline/demo_shifts.py) on a tenant with a line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.core.tenancy import tenant_scope
from alongside.warmline import rota
from alongside.warmline.demo_shifts import demo_shifts
from alongside.warmline.models import ShiftSwap, SwapState
from tests.conftest import Tenant
from tests.warmline.shifts.helpers import NOW, make_line

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_demo_week(harbor: Tenant) -> None:
    make_line(harbor)
    with scopes_disabled():
        for n in (2, 3):
            user = account_services.user_create(acting_user=None, email=f"peer{n}@harbor.test", password="x" * 12)
            account_services.membership_grant(
                acting_user=None, organisation=harbor.organisation, user=user, role="peer"
            )
    made = demo_shifts(harbor.organisation, now=NOW)
    assert made["patterns"] == 1 and made["shifts"] == 8 and made["swaps"] == 1
    with tenant_scope(harbor.organisation):
        covers = rota.coverage(harbor.organisation, NOW - timedelta(days=4), NOW + timedelta(days=5))
        assert len(covers) == 8
        gaps = [c for c in covers if c.gap]
        assert len(gaps) == 1 and gaps[0].no_supervisor and gaps[0].under_min
        assert sum(1 for c in covers if c.shift.supervisor_id) == 7
        assert ShiftSwap.objects.get().state == SwapState.OFFERED
    # Idempotent.
    assert demo_shifts(harbor.organisation, now=NOW)["patterns"] == 0


def test_demo_without_lines_does_nothing(harbor: Tenant) -> None:
    assert demo_shifts(harbor.organisation, now=NOW) == {"patterns": 0, "shifts": 0, "assignments": 0, "swaps": 0}
