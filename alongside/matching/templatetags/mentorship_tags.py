"""Template tags for the one-line includes that link to mentorships from pages other apps own: the
participant's profile, the peer supporter's caseload, and the person's own /me/ page. Each tag
reads inside the page's tenant scope and, for staff, through ``selectors.visible_matches`` (the
record scope), in one query."""

from __future__ import annotations

from typing import Any

from django import template

from alongside.matching import mentorship, selectors
from alongside.matching.models import Match, MatchRequest, MatchStatus, RequestStatus

register = template.Library()


def _org(context: template.Context) -> Any:
    org = context.get("org")
    if org is None or not org.can("mentorship.view"):
        return None
    return org


@register.simple_tag(takes_context=True)
def mentorships_for(context: template.Context, participant: Any) -> list[Match]:
    """This person's mentorships (going on or closed) that the member may open."""
    org = _org(context)
    if org is None:
        return []
    return list(
        selectors.visible_matches(org)
        .filter(participant=participant, status__in=[*mentorship.GOING_ON, MatchStatus.CLOSED])
        .select_related("peer", "program")
        .order_by("-proposed_at", "-id")
    )


@register.simple_tag(takes_context=True)
def my_mentorships(context: template.Context) -> list[Match]:
    """The signed-in peer supporter's mentorships going on, by the person's name."""
    org = _org(context)
    if org is None:
        return []
    return list(
        selectors.visible_matches(org)
        .filter(peer=org.user, status__in=list(mentorship.GOING_ON))
        .select_related("participant", "program")
        .order_by("participant__preferred_name", "id")
    )


@register.simple_tag
def peer_support_state(participant: Any) -> dict[str, Any]:
    """For the person's own page: their peer supporter now, or where their request stands."""
    going = (
        Match.objects.filter(
            organisation=participant.organisation_id, participant=participant, status__in=list(mentorship.GOING_ON)
        )
        .select_related("peer")
        .order_by("-proposed_at")
        .first()
    )
    if going is not None:
        peer = going.peer
        return {"state": "matched", "peer_name": selectors.first_name(peer.preferred_name or peer.full_name or "")}
    statuses = set(
        MatchRequest.objects.filter(
            organisation=participant.organisation_id,
            participant=participant,
            status__in=[RequestStatus.WAITING, RequestStatus.SUGGESTED],
        ).values_list("status", flat=True)
    )
    if RequestStatus.WAITING in statuses:
        return {"state": "choose"}
    if RequestStatus.SUGGESTED in statuses:
        return {"state": "asked"}
    closed = Match.objects.filter(
        organisation=participant.organisation_id, participant=participant, status=MatchStatus.CLOSED
    ).exists()
    return {"state": "closed" if closed else "none"}
