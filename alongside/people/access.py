"""Who may see and change which participant record (record scope, DOMAIN.md §4).

Admins and coordinators: every participant of the organisation. Supervisors: the people whose
peer supporter they supervise (and anyone supported by themselves). Peer supporters: their own
caseload. Everyone else: nobody. A record outside the scope answers exactly like a missing one.

A person is "supported by" a peer when the peer is their assigned peer supporter on the record, or
through another app's relationship: the one-on-one mentorships of ``matching`` register theirs
with ``register_support_scope``, so a person with two mentorships in two programs is on both
peers' caseloads while the record keeps one assigned peer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.accounts.models import SupervisionLink
from alongside.people.models import Participant

# (organisation id, peer user ids: a list or a values() subquery) -> participant ids they support.
SupportScope = Callable[[Any, Any], QuerySet[Any]]
_SUPPORT_SCOPES: list[SupportScope] = []


def register_support_scope(scope: SupportScope) -> None:
    """Another app's way a peer supports a person (called from its ``AppConfig.ready``)."""
    if scope not in _SUPPORT_SCOPES:
        _SUPPORT_SCOPES.append(scope)


def supported_by(organisation_id: Any, peers: Any) -> Q:
    """The people these peer supporters support: assigned on the record, or through a registered
    relationship. ``peers``: user ids, as a list or a subquery."""
    condition = Q(assigned_peer__in=peers)
    for scope in _SUPPORT_SCOPES:
        condition |= Q(pk__in=scope(organisation_id, peers))
    return condition


def visible_participants(org: OrgContext) -> QuerySet[Participant]:
    qs = Participant.objects.filter(organisation=org.organisation, merged_into__isnull=True)
    if org.can("participants.view_all"):
        return qs
    scope = Q(pk__in=[])
    if org.can("participants.view_team"):
        team = SupervisionLink.objects.filter(
            organisation=org.organisation, supervisor=org.user, ended_at__isnull=True
        ).values("peer_id")
        scope |= supported_by(org.organisation.pk, team) | supported_by(org.organisation.pk, [org.user.pk])
    if org.can("participants.view_own"):
        scope |= supported_by(org.organisation.pk, [org.user.pk])
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
