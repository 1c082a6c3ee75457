"""``alongside warmline remind-shifts``: the day-before email, once per person and shift."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.warmline import rota
from alongside.warmline.models import ShiftAssignment
from tests.conftest import Tenant
from tests.warmline.shifts.helpers import NOW, make_shift

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.usefixtures("frozen")]


def _run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("warmline", "remind-shifts", *args, stdout=out)
    return dict(json.loads(out.getvalue()))


@pytest.fixture
def shifts(harbor: Tenant, riverbend: Tenant) -> Any:
    tomorrow = make_shift(harbor, starts_at=NOW + timedelta(hours=20), supervisor=harbor.user("supervisor"))
    later = make_shift(harbor, starts_at=NOW + timedelta(hours=30))
    cancelled = make_shift(harbor, starts_at=NOW + timedelta(hours=10))
    with tenant_scope(harbor.organisation):
        for shift in (tomorrow, later, cancelled):
            rota.shift_signup(acting_user=harbor.user("peer"), shift=shift)
        rota.shift_signup(acting_user=harbor.user("supervisor"), shift=tomorrow)
        rota.shift_cancel(acting_user=harbor.user("coordinator"), shift=cancelled)
    theirs = make_shift(riverbend, starts_at=NOW + timedelta(hours=5))
    with tenant_scope(riverbend.organisation):
        rota.shift_signup(acting_user=riverbend.user("peer"), shift=theirs)
    return tomorrow


def test_reminds_once(harbor: Tenant, shifts: Any, django_capture_on_commit_callbacks: Any) -> None:
    assert _run("--dry-run", "--org", "harbor") == {
        "emails": 2,
        "shifts": 1,
        "dry_run": True,
        "now": NOW.isoformat(),
    }
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        summary = _run("--org", "harbor")
    assert summary["emails"] == 2 and summary["shifts"] == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["peer@harbor.test", "supervisor@harbor.test"]
    body = mail.outbox[0].body
    assert "Evening Line" in body and "/app/harbor/warmline/shifts/mine/" in body
    assert mail.outbox[0].subject == "Reminder: your shift on Evening Line tomorrow"
    with django_capture_on_commit_callbacks(execute=True):
        assert _run("--org", "harbor")["emails"] == 0
    assert len(mail.outbox) == 2
    with scopes_disabled():
        assert ShiftAssignment.objects.filter(reminded_at__isnull=False).count() == 2
        assert AuditEvent.objects.filter(action="shift.remind").count() == 2


def test_every_organisation_and_now(harbor: Tenant, shifts: Any) -> None:
    assert _run("--dry-run")["emails"] == 3
    # A day later the 30-hour shift is due (and the first one has started).
    later = (NOW + timedelta(hours=21)).isoformat()
    assert _run("--dry-run", "--org", "harbor", "--now", later)["emails"] == 1


def test_bad_options(harbor: Tenant) -> None:
    with pytest.raises(CommandError, match="--now must be an ISO 8601"):
        _run("--now", "tomorrow")
    with pytest.raises(CommandError, match="No active organisation"):
        _run("--org", "nowhere")
