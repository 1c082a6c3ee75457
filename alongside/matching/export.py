"""What matching holds about a person, for their export (people.services.participant_export):
their match requests and their mentorships with the plan, the next session and the closing summary.
Registered in MatchingConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from alongside.matching.models import Match, MatchRequest
from alongside.people.models import Participant
from alongside.people.services import ExportSection


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def request_rows(participant: Participant) -> list[dict[str, Any]]:
    requests = (
        MatchRequest.objects.filter(organisation=participant.organisation_id, participant=participant)
        .select_related("program")
        .prefetch_related("experiences")
        .order_by("created_at")
    )
    return [
        {
            "program": r.program.name,
            "status": r.get_status_display(),
            "made": r.get_made_by_display(),
            "waiting_since": _iso(r.waiting_since),
            "closed_at": _iso(r.closed_at),
            "lived_experience_to_share": [t.label for t in r.experiences.all()],
            "languages": r.languages,
            "ways_of_meeting": r.modalities,
            "availability": r.availability,
            "gender_preference": r.gender_preference,
            "gender_required": r.gender_required,
            "note": r.note,
        }
        for r in requests
    ]


def mentorship_rows(participant: Participant) -> list[dict[str, Any]]:
    matches = (
        Match.objects.filter(organisation=participant.organisation_id, participant=participant)
        .select_related("program", "peer", "support_plan", "closure_summary", "next_session")
        .order_by("proposed_at")
    )
    rows = []
    for m in matches:
        plan = getattr(m, "support_plan", None)
        summary = getattr(m, "closure_summary", None)
        upcoming = getattr(m, "next_session", None)
        rows.append(
            {
                "program": m.program.name,
                "peer_supporter": m.peer.preferred_name or m.peer.full_name,
                "status": m.get_status_display(),
                "proposed": m.get_proposed_via_display(),
                "proposed_at": _iso(m.proposed_at),
                "answered_at": _iso(m.responded_at),
                "started_at": _iso(m.started_at),
                "paused_at": _iso(m.paused_at),
                "ended_at": _iso(m.ended_at),
                "reason": (
                    m.get_closed_reason_display() or m.get_pause_reason_display() or m.get_decline_reason_display()
                ),
                "plan_goals": plan.goals if plan else "",
                "plan_steps": plan.steps if plan else "",
                "plan_supports": plan.supports if plan else "",
                "plan_check_ins": " ".join(
                    part for part in (plan.get_check_in_frequency_display(), plan.check_in_how) if part
                )
                if plan
                else "",
                "next_session": _iso(upcoming.starts_at) if upcoming else None,
                "next_session_where": upcoming.location if upcoming else "",
                "next_session_cancelled_at": _iso(upcoming.cancelled_at) if upcoming else None,
                "what_you_worked_on": summary.worked_on if summary else "",
            }
        )
    return rows


REQUESTS = ExportSection(title=_("Requests for a peer supporter"), rows=request_rows)
MENTORSHIPS = ExportSection(title=_("Mentorships"), rows=mentorship_rows)
