"""Matrix routes of matching/views/mentorship.py (see tests/matrix.py), and the sample mentorship
they use: one per tenant, between a person and the tenant's peer supporter, active, with a support
plan, a logged session, a next session; a closed one with its summary (for the summary route); a
paused one whose next session pausing cancelled (for the cancellation download).

The person's own pages (matching/views/person.py, under /me/) take no organisation in the URL: the
private link's session names the person. They are in ``EXEMPT`` in tests/matrix.py and tested in
tests/matching/test_person_pages.py (another person's id answers like a missing one)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.matching import mentorship, services
from alongside.matching.models import Match, MatchStatus
from tests.matching.helpers import make_peer, make_person, make_request
from tests.matrix import Route, register

PLAN_SECRET = "Matrix plan goal that must stay private"
PLACE_SECRET = "Matrix meeting place"
SUMMARY_SECRET = "Matrix summary words"


def _ensure_peer_profile(t: Any) -> Any:
    from alongside.people.models import PeerProfile

    peer = t.user("peer")
    if not PeerProfile.objects.filter(organisation=t.organisation, user=peer).exists():
        make_peer(t, "Jordan", user=peer, caseload_limit=10)
    return peer


def _mentorship(t: Any, name: str, *, closed: bool = False, paused: bool = False) -> Match:
    with scopes_disabled():
        existing = Match.objects.filter(organisation=t.organisation, participant__preferred_name=name).first()
        if existing is not None:
            return existing
        peer = _ensure_peer_profile(t)
        person = make_person(t, name)
        request = make_request(t, person)
        match = services.match_propose(acting_user=t.user("coordinator"), request=request, peer=peer)
        match = services.match_accept(acting_user=peer, match=match)
        mentorship.session_log(
            acting_user=peer,
            match=match,
            occurred_at=timezone.now(),
            duration_minutes=45,
            mode="phone",
        )
        mentorship.plan_update(acting_user=peer, match=match, goals=PLAN_SECRET, version=0)
        if closed:
            mentorship.mentorship_close(acting_user=peer, match=match, reason="goals_met", worked_on=SUMMARY_SECRET)
        else:
            mentorship.next_session_set(
                acting_user=peer,
                match=match,
                starts_at=timezone.now() + timedelta(days=3),
                duration_minutes=60,
                mode="in_person",
                location=PLACE_SECRET,
            )
        if paused:
            # Pausing cancels the next session: its cancellation (.ics) stays downloadable.
            services.match_pause(acting_user=peer, match=match, reason="person_asked")
        match.refresh_from_db()
        assert match.status == (MatchStatus.CLOSED if closed else MatchStatus.PAUSED if paused else MatchStatus.ACTIVE)
        return match


def tenant_mentorship(t: Any) -> Match:
    """The tenant's active sample mentorship (made once)."""
    return _mentorship(t, "Morgan Matrix")


def tenant_closed_mentorship(t: Any) -> Match:
    """The tenant's closed sample mentorship, with its summary (made once)."""
    return _mentorship(t, "Casey Closed", closed=True)


def tenant_paused_mentorship(t: Any) -> Match:
    """The tenant's paused sample mentorship, whose next session pausing cancelled (made once)."""
    return _mentorship(t, "Pat Paused", paused=True)


def _active(t: Any) -> dict[str, str]:
    return {"match_id": str(tenant_mentorship(t).pk)}


def _closed(t: Any) -> dict[str, str]:
    return {"match_id": str(tenant_closed_mentorship(t).pk)}


def _paused(t: Any) -> dict[str, str]:
    return {"match_id": str(tenant_paused_mentorship(t).pk)}


def _secrets(t: Any) -> list[str]:
    return ["Morgan Matrix", "Casey Closed", "Pat Paused", PLAN_SECRET, PLACE_SECRET, SUMMARY_SECRET]


register(Route("matching:mentorship_detail", objects=_active, secrets=_secrets))
register(Route("matching:mentorship_detail", objects=_closed, secrets=_secrets))
register(Route("matching:mentorship_ics", objects=_active, secrets=_secrets))
register(Route("matching:mentorship_ics", objects=_paused, secrets=_secrets))  # the cancellation
register(Route("matching:mentorship_summary_pdf", objects=_closed, secrets=_secrets))
register(Route("matching:mentorship_close", objects=_active, secrets=_secrets))
_POSTS: dict[str, Any] = {
    "matching:mentorship_plan": lambda t: {"goals": "Injected", "version": "1"},
    "matching:mentorship_session": lambda t: {
        "occurred_at": timezone.now().strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "mode": "phone",
        "notes": "Injected",
    },
    "matching:mentorship_next_session": lambda t: {
        "starts_at": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "mode": "video",
        "location": "Injected",
    },
    "matching:mentorship_pause": lambda t: {"reason": "person_asked"},
    "matching:mentorship_resume": lambda t: {},
    "matching:mentorship_close": lambda t: {"reason": "goals_met", "worked_on": "Injected"},
    "matching:mentorship_next_session_cancel": lambda t: {},
}
for _name, _data in _POSTS.items():
    register(Route(_name, method="POST", objects=_active, secrets=_secrets, data=_data))
