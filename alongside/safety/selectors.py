"""Reads for safety concerns, each confined to one organisation and to who may see what.

- Coordinators and admins see every concern in the organisation.
- A supervisor sees the concerns raised by the people they supervise (open supervision links)
  and by themselves.
- Anyone who raised a concern sees their own (the page they are sent to right after raising it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alongside.accounts.access import OrgContext
from alongside.accounts.models import Role, SupervisionLink
from alongside.accounts.selectors import users_by_id
from alongside.audit.models import AuditEvent
from alongside.safety.models import Escalation, FollowUp

LIST_PAGE_SIZE = 50
# Roles that see every concern in the organisation (safety.view alone also covers supervisors,
# whose view is their team's).
SEE_ALL_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})


def visible_escalations(org: OrgContext) -> QuerySet[Escalation]:
    qs = Escalation.objects.filter(organisation=org.organisation)
    if org.can("safety.view") and org.roles & SEE_ALL_ROLES:
        return qs
    scope = Q(raised_by=org.user)
    if org.can("safety.view") and Role.SUPERVISOR in org.roles:
        team = SupervisionLink.objects.filter(
            organisation=org.organisation, supervisor=org.user, ended_at__isnull=True
        ).values("peer_id")
        scope |= Q(raised_by__in=team)
    return qs.filter(scope)


def can_manage(org: OrgContext, escalation: Escalation) -> bool:
    """Who may close it (``escalation`` already reached through ``access_escalation``, so within
    what they see): a supervisor, coordinator or admin. The reporter ticks the checklist and
    records the outcome."""
    return org.can("safety.manage")


def can_work_on(org: OrgContext, escalation: Escalation) -> bool:
    """Who may tick the checklist and record the outcome: the reporter and those who manage it."""
    return escalation.raised_by_id == org.user.pk or org.can("safety.manage")


def escalations_page(org: OrgContext, *, page: Any = None, now: datetime | None = None) -> Page[Any]:
    """Open concerns first (newest first), then closed ones; each with ``overdue`` (an open
    follow-up past its time). Three queries whatever the page size."""
    moment = now or timezone.now()
    overdue = FollowUp.objects.filter(escalation=OuterRef("pk"), done_at__isnull=True, due_at__lt=moment)
    qs = (
        visible_escalations(org)
        .annotate(overdue=Exists(overdue))
        .select_related("raised_by", "participant")
        .defer("summary", "outcome_notes")
        .annotate(is_closed=ExpressionWrapper(Q(closed_at__isnull=False), output_field=BooleanField()))
        .order_by("is_closed", "-overdue", "-raised_at")
    )
    return Paginator(qs, LIST_PAGE_SIZE).get_page(page)


ACTION_WORDS = {
    "escalation.raise": _("Raised the concern"),
    "escalation.alert": _("Alerted a supervisor, coordinator or admin"),
    "escalation_followup.create": _("Scheduled a follow-up"),
    "escalation.step_done": _("Ticked a step of the checklist"),
    "escalation.step_undone": _("Unticked a step of the checklist"),
    "escalation.outcome": _("Recorded what happened next"),
    "escalation.close": _("Closed the concern"),
    "escalation_followup.done": _("Marked a follow-up done"),
    "escalation.cleared": _("Cleared the words when the person's record was anonymised"),
}


def own_open(org: OrgContext, limit: int = 20) -> list[Escalation]:
    """The person's own open concerns, newest first, so a peer without the list can get back to
    them (no P3 loaded)."""
    qs = Escalation.objects.filter(organisation=org.organisation, raised_by=org.user, closed_at__isnull=True)
    return list(qs.select_related("participant").defer("summary", "outcome_notes").order_by("-raised_at")[:limit])


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    who: str
    action: str


def history(escalation: Escalation, limit: int = 100) -> list[HistoryRow]:
    """What was done about this concern, oldest first, from the access log (identifiers only)."""
    ids = [str(escalation.pk)]
    ids += [str(pk) for pk in escalation.followups.values_list("pk", flat=True)]
    ids += [str(pk) for pk in escalation.alerts.values_list("pk", flat=True)]
    events = list(
        AuditEvent.objects.filter(organisation_id=escalation.organisation_id, object_id__in=ids)
        .exclude(action="escalation.view")
        .order_by("id")[:limit]
    )
    people = users_by_id({e.actor_id for e in events if e.actor_id})
    rows = []
    for event in events:
        actor = people.get(event.actor_id) if event.actor_id else None
        words = str(ACTION_WORDS.get(event.action, event.action))
        rows.append(HistoryRow(at=event.created_at, who=actor.display_name if actor else "", action=words))
    return rows


def steps_for_page(escalation: Escalation) -> list[dict[str, Any]]:
    """The escalation's checklist with, for each ticked step, who ticked it and when (one query)."""
    steps = escalation.steps()
    ids: set[UUID] = set()
    for step in steps:
        try:
            ids.add(UUID(str(step.get("by"))))
        except ValueError:
            continue
    people = {str(pk): user for pk, user in users_by_id(ids).items()}
    for step in steps:
        who = people.get(str(step.get("by")))
        step["who"] = who.display_name if who else ""
        try:
            step["at_time"] = datetime.fromisoformat(step["at"]) if step.get("at") else None
        except (TypeError, ValueError):
            step["at_time"] = None
    return steps
