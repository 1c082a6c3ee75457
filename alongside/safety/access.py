"""Access to one safety concern and its follow-ups: only within what the person may see
(``selectors.visible_escalations``); a foreign, missing or out-of-scope id answers the same 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.safety.models import Escalation, FollowUp
from alongside.safety.selectors import can_manage, can_work_on, visible_escalations


def access_escalation(org: OrgContext, escalation_id: Any, *, write: bool = False, manage: bool = False) -> Escalation:
    """``write``: tick the checklist, record the outcome (the reporter, or safety.manage);
    ``manage``: close it (safety.manage). Seeing it but not allowed the action: 404 too, as the
    action does not exist for them."""
    org.require("safety.raise")
    escalation = (
        visible_escalations(org)
        .filter(pk=parse_uuid_or_404(escalation_id))
        .select_related("raised_by", "participant", "closed_by", "outcome_by", "group_session__group")
        .first()
    )
    if escalation is None:
        raise Http404
    if write and not can_work_on(org, escalation):
        raise Http404
    if manage and not can_manage(org, escalation):
        raise Http404
    return escalation


def access_followup(org: OrgContext, escalation: Escalation, followup_id: Any) -> FollowUp:
    """A follow-up of a concern the person reached; its assignee or safety.manage may mark it done."""
    followup = FollowUp.objects.filter(
        organisation=org.organisation, escalation=escalation, pk=parse_uuid_or_404(followup_id)
    ).first()
    if followup is None:
        raise Http404
    if followup.assigned_to_id != org.user.pk and not org.can("safety.manage"):
        raise Http404
    return followup
