"""The mentorship demo (matching/demo.py, loaded by ``alongside demo``): waiting lists over a range of
days, proposals waiting for a peer's answer, active mentorships with plans, sessions and a next
session, a paused one and a closed one with its summary, in both organisations; idempotent, and the
audit chain whole afterwards."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from alongside.accounts.models import Organisation
from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope, unscoped
from alongside.matching import mentorship, selectors
from alongside.matching.demo import DEMO_MATCHING, demo_summary, load_matching_demo
from alongside.matching.models import (
    ClosureSummary,
    Match,
    MatchRequest,
    MatchStatus,
    NextSession,
    RequestStatus,
    SupportPlan,
)
from alongside.people.models import PeerProfile

pytestmark = pytest.mark.django_db

MODELS = (MatchRequest, Match, SupportPlan, NextSession, ClosureSummary)


def _counts() -> dict[str, int]:
    with unscoped("test: totals across both demo organisations"):
        counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["audit"] = AuditEvent.objects.count()
    return counts


@pytest.fixture
def demo(settings: Any) -> dict[str, int]:
    settings.DEMO = True
    call_command("demo", "--quiet-logins", stdout=StringIO())
    return _counts()


def test_the_demo_is_idempotent_and_the_audit_chain_holds(demo: dict[str, int]) -> None:
    assert demo["Match"] >= 10 and demo["SupportPlan"] >= 8 and demo["ClosureSummary"] == 2
    call_command("demo", "--quiet-logins", stdout=StringIO())
    assert _counts() == demo
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()


def test_the_demo_is_refused_without_the_setting(db: Any, settings: Any) -> None:
    from alongside.accounts.demo import DemoRefused

    settings.DEMO = False
    with pytest.raises(DemoRefused):
        load_matching_demo()


def test_both_organisations_have_every_stage(demo: dict[str, int]) -> None:
    now = timezone.now()
    for spec in DEMO_MATCHING:
        organisation = Organisation.objects.get(slug=spec.slug)
        with tenant_scope(organisation):
            summary = demo_summary(organisation)
            assert summary["waiting"] >= 2 and summary["proposed"] >= 1
            assert summary["active"] >= 2 and summary["paused"] == 1 and summary["closed"] == 1
            # Waiting lists: from today up to nine days, each request a different age.
            days = sorted(
                (now - r.waiting_since).days
                for r in MatchRequest.objects.filter(status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED])
            )
            assert days[0] == 0 and 8 <= days[-1] <= 9 and len(set(days)) >= 3
            # Peers chose to share matching details.
            assert PeerProfile.objects.filter(home_latitude__isnull=False).count() == len(spec.peers)
            # Proposals waiting for the peer's answer, asked after the request was made.
            for match in Match.objects.filter(status=MatchStatus.PROPOSED).select_related("request"):
                assert match.request.status == RequestStatus.SUGGESTED
                assert match.request.waiting_since <= match.proposed_at <= now
            # Active mentorships: a plan, sessions since they began, a next session in the future.
            for match in Match.objects.filter(status=MatchStatus.ACTIVE).select_related("participant"):
                assert match.participant.assigned_peer_id == match.peer_id
                assert match.proposed_at < match.responded_at <= match.started_at < now
                plan = mentorship.plan_of(match)
                assert plan is not None and plan.version == 2 and mentorship.lines(plan.goals)
                assert mentorship.sessions(match).count() >= 2
                upcoming = mentorship.next_session_of(match)
                assert upcoming is not None and upcoming.starts_at > now
            paused = Match.objects.get(status=MatchStatus.PAUSED)
            assert paused.pause_reason and paused.paused_at is not None and paused.paused_at < now
            closed = Match.objects.select_related("participant").get(status=MatchStatus.CLOSED)
            assert closed.closed_reason and closed.participant.assigned_peer_id is None
            kept = mentorship.summary_of(closed)
            assert kept is not None and kept.worked_on and kept.plan["goals"]
            assert mentorship.sessions(closed).count() >= 2
            # Someone the person chose, someone a coordinator proposed; some plans last changed by the person.
            assert {"person", "coordinator"} <= set(Match.objects.values_list("proposed_via", flat=True))
            assert SupportPlan.objects.filter(updated_by_person=True).exists()


def test_the_waiting_lists_can_be_matched(demo: dict[str, int]) -> None:
    """The demo is worth trying: every waiting person has suggestions, and the batch offers pairs."""
    for spec in DEMO_MATCHING:
        organisation = Organisation.objects.get(slug=spec.slug)
        with tenant_scope(organisation):
            waiting = list(MatchRequest.objects.filter(status=RequestStatus.WAITING).select_related("program"))
            for request in waiting:
                assert selectors.suggestions_for(request, k=5), request.participant_id
            program = waiting[0].program
            proposal = selectors.batch_proposal(organisation, program)
            assert proposal.assignment.proposals
