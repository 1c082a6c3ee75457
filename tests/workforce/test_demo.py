"""The wellbeing demo (workforce/demo.py, loaded by ``alongside demo``): in both organisations one
peer supporter has shared that they are stretched, another kept a newer answer private; it is
idempotent."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from alongside.accounts.models import Organisation, User
from alongside.core.tenancy import tenant_scope, unscoped
from alongside.workforce import selectors
from alongside.workforce.models import WellbeingCheckIn

pytestmark = pytest.mark.django_db


def test_the_demo_gives_a_shared_stretched_signal_and_is_idempotent(settings: Any) -> None:
    settings.DEMO = True
    call_command("demo", "--quiet-logins", stdout=StringIO())
    with unscoped("test: totals across both demo organisations"):
        total = WellbeingCheckIn.objects.count()
    assert total == 6
    for slug in ("harbor", "riverbend"):
        organisation = Organisation.objects.get(slug=slug)
        peer, peer2 = (User.objects.get(email=f"{key}@{slug}.demo") for key in ("peer", "peer2"))
        supervisor = User.objects.get(email=f"supervisor@{slug}.demo")
        with tenant_scope(organisation):
            assert selectors.stretched_peer_ids(organisation) == {peer2.pk}
            team = {
                row.person: row.checkin.capacity if row.checkin else None
                for row in selectors.team_signals(organisation, supervisor)
            }
            # The peer's newer answer ("full") was kept private: the supervisor sees the shared "room".
            assert team[peer] == "room" and team[peer2] == "stretched"
            assert WellbeingCheckIn.objects.filter(user=peer).first().capacity == "full"  # type: ignore[union-attr]
    call_command("demo", "--quiet-logins", stdout=StringIO())
    with unscoped("test: totals across both demo organisations"):
        assert WellbeingCheckIn.objects.count() == total
