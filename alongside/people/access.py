"""Who may see and change which participant record (record scope, DOMAIN.md §4).

Admins and coordinators: every participant of the organisation. Supervisors: the people whose
peer supporter they supervise (and anyone assigned to themselves). Peer supporters: their own
caseload. Everyone else: nobody. A record outside the scope answers exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.accounts.models import SupervisionLink
from alongside.people.models import Participant


def visible_participants(org: OrgContext) -> QuerySet[Participant]:
    qs = Participant.objects.filter(organisation=org.organisation, merged_into__isnull=True)
    if org.can("participants.view_all"):
        return qs
    scope = Q(pk__in=[])
    if org.can("participants.view_team"):
        team = SupervisionLink.objects.filter(
            organisation=org.organisation, supervisor=org.user, ended_at__isnull=True
        ).values("peer_id")
        scope |= Q(assigned_peer__in=team) | Q(assigned_peer=org.user)
    if org.can("participants.view_own"):
        scope |= Q(assigned_peer=org.user)
    return qs.filter(scope)


def access_participant(org: OrgContext, participant_id: Any, *, write: bool = False) -> Participant:
    """The participant if this person may see it (and change it, with ``write``), else 404."""
    participant = (
        visible_participants(org).filter(pk=parse_uuid_or_404(participant_id)).select_related("assigned_peer").first()
    )
    if participant is None:
        raise Http404
    if write:
        org.require("participants.change")
    return participant


def can_log_contact(org: OrgContext, participant: Participant) -> bool:
    return org.can("contacts.log")


def can_record_consent(org: OrgContext, participant: Participant) -> bool:
    return org.can("consent.record")
