"""The warm-line records demo: past calls and chats across lines and peers, a plan, two concerns
with outcomes; idempotent; the audit chain still verifies."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_scopes import scopes_disabled

from alongside.audit.services import verify
from alongside.safety.models import Escalation
from alongside.warmline.demo_contacts import HOW_MANY, demo_contacts
from alongside.warmline.models import CallerPlan, LineContact
from tests.warmline.contacts.helpers import make_line

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 5, 15, 0, tzinfo=ZoneInfo("America/New_York"))


def test_the_demo_loads_records_a_plan_and_concerns_once(harbor):
    make_line(harbor, "Evening Line", chat_enabled=True)
    make_line(harbor, "Morning Line")
    with time_machine.travel(NOW, tick=False):
        assert demo_contacts(harbor.organisation, now=NOW) == HOW_MANY + 1
        assert demo_contacts(harbor.organisation, now=NOW) == 0
    with scopes_disabled():
        records = list(LineContact.objects.filter(organisation=harbor.organisation))
        assert len(records) == HOW_MANY + 1
        assert {r.channel for r in records} == {"call", "chat"} and len({r.line_id for r in records}) == 2
        assert sum(r.state == "draft" for r in records) == 1
        assert all(r.started_at < NOW for r in records)
        escalations = list(Escalation.objects.filter(organisation=harbor.organisation))
        assert len(escalations) == 2 and all(e.outcome and e.closed_at for e in escalations)
        assert all(e.contact_id for e in escalations)
        assert CallerPlan.objects.filter(organisation=harbor.organisation).count() == 1
    assert list(verify()) == []


def test_the_demo_makes_nothing_without_a_line(harbor):
    with time_machine.travel(NOW, tick=False):
        assert demo_contacts(harbor.organisation, now=NOW) == 0
