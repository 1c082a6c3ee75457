"""Access to one group, schedule or session. A foreign, a missing and an out-of-reach group all
answer the same 404.

Who sees which group: admins, coordinators and supervisors see every group of the organisation; a
peer supporter sees the groups they facilitate or co-facilitate. Changing a group needs
``groups.change``. Running a group's sessions (roster, attendance) is for its facilitator and
co-facilitators, and for coordinators and admins (``may_facilitate``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.accounts.models import Role
from alongside.groups.models import Group, Schedule

SEES_ALL = frozenset({Role.ADMIN, Role.COORDINATOR, Role.SUPERVISOR})
RUNS_ALL = frozenset({Role.ADMIN, Role.COORDINATOR})


def sees_all_groups(org: OrgContext) -> bool:
    return bool(org.roles & SEES_ALL)


def facilitated_by(user: Any) -> Q:
    """Groups ``user`` facilitates or co-facilitates."""
    return Q(facilitator=user) | Q(co_facilitators=user)


def visible_groups(org: OrgContext) -> QuerySet[Group]:
    """The groups this person may see (before any filter)."""
    org.require("groups.view")
    groups = Group.objects.filter(organisation=org.organisation)
    if not sees_all_groups(org):
        ids = Group.objects.filter(facilitated_by(org.user), organisation=org.organisation).values("pk")
        groups = groups.filter(pk__in=ids)
    return groups


def may_facilitate(org: OrgContext, group: Group) -> bool:
    """Whether this person runs the group's sessions (roster, attendance, notes)."""
    if group.organisation_id != org.organisation.pk or not org.can("groups.facilitate"):
        return False
    if org.roles & RUNS_ALL:
        return True
    return group.facilitator_id == org.user.pk or group.co_facilitators.filter(pk=org.user.pk).exists()


def access_group(org: OrgContext, group_id: Any, *, write: bool = False) -> Group:
    """One group this person may see (``write``: may change), or 404 (403 for a member who sees
    it but may not change it)."""
    group = visible_groups(org).filter(pk=parse_uuid_or_404(group_id)).select_related("program", "site").first()
    if group is None:
        raise Http404
    if write:
        org.require("groups.change")
    return group


def access_group_to_facilitate(org: OrgContext, group_id: Any) -> Group:
    """One group this person runs (see ``may_facilitate``), or the same 404 as a missing one."""
    org.require("groups.facilitate")
    group = (
        Group.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(group_id))
        .select_related("program", "site")
        .first()
    )
    if group is None or not may_facilitate(org, group):
        raise Http404
    return group


def access_schedule(org: OrgContext, group: Group, schedule_id: Any) -> Schedule:
    """One schedule of ``group`` (already reached through ``access_group``), or 404."""
    schedule = Schedule.objects.filter(
        organisation=org.organisation, group=group, pk=parse_uuid_or_404(schedule_id)
    ).first()
    if schedule is None:
        raise Http404
    schedule.group = group
    return schedule
