"""``alongside safety remind``: the assignee of a follow-up that has come due is emailed once (open
follow-ups of open concerns only), the email says nothing of the concern, and the run is audited."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.safety import services
from alongside.safety.models import FollowUp
from tests.safety.helpers import raise_concern

pytestmark = pytest.mark.django_db


def remind(capture: Any, *args: str) -> dict[str, Any]:
    out = StringIO()
    with capture(execute=True):
        call_command("safety", "remind", *args, stdout=out)
    return json.loads(out.getvalue())


def test_a_due_follow_up_is_reminded_once_and_only_open_ones(harbor, riverbend, django_capture_on_commit_callbacks):
    due = raise_concern(harbor, summary="Distinctive words of the due concern")
    later = raise_concern(harbor, summary="later")
    done = raise_concern(harbor, summary="done")
    closed = raise_concern(harbor, summary="closed")
    theirs = raise_concern(riverbend, summary="theirs")
    with scopes_disabled():
        past = timezone.now() - timedelta(hours=1)
        FollowUp.objects.filter(escalation__in=[due, done, closed, theirs]).update(due_at=past)
        services.followup_done(acting_user=harbor.user("peer"), followup=FollowUp.objects.get(escalation=done))
        services.escalation_record_outcome(acting_user=harbor.user("peer"), escalation=closed, outcome="declined")
        services.escalation_close(acting_user=harbor.user("supervisor"), escalation=closed)
    mail.outbox.clear()

    assert remind(django_capture_on_commit_callbacks, "--org", "harbor")["reminded"] == 1
    assert [m.to for m in mail.outbox] == [[harbor.user("peer").email]]
    body = mail.outbox[0].body
    assert f"/app/harbor/safety/{due.pk}/" in body
    assert "Distinctive" not in body and "Distinctive" not in mail.outbox[0].subject
    with scopes_disabled():
        followup = FollowUp.objects.get(escalation=due)
        assert followup.reminded_at is not None
        assert FollowUp.objects.get(escalation=later).reminded_at is None
    assert AuditEvent.objects.filter(action="escalation_followup.remind", object_id=str(followup.pk)).count() == 1

    mail.outbox.clear()
    assert remind(django_capture_on_commit_callbacks)["reminded"] == 1  # riverbend's, not harbor's again
    assert [m.to for m in mail.outbox] == [[riverbend.user("peer").email]]
    with scopes_disabled():
        assert FollowUp.objects.get(escalation=due).escalation.closed_at is None  # never closes anything


@pytest.mark.parametrize(("args", "words"), [(["--now", "soon"], "ISO 8601"), (["--org", "nowhere"], "nowhere")])
def test_bad_arguments_are_refused(db, args, words):
    with pytest.raises(CommandError, match=words):
        call_command("safety", "remind", *args, stdout=StringIO())
