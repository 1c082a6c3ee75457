"""Shifts: who is on the line when (owner: the shifts part; see docs/warmline.md).

Other parts call these (chat availability, phone routing, the supervisor board). Each runs in the
line's own organisation (it enters that tenant scope itself, so a caller outside a request may use
it) and costs one or two queries. Writes and the pages' reads are in ``warmline/rota.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django_scopes import scope

from alongside.accounts.models import User
from alongside.warmline.models import AssignmentState, DutyStatus, Line, OnShiftStatus, Shift, ShiftAssignment


def _running(line: Line, at: datetime) -> Any:
    return Shift.objects.filter(
        organisation=line.organisation_id, line=line, cancelled=False, starts_at__lte=at, ends_at__gt=at
    )


def _on_shift(line: Line, at: datetime) -> list[tuple[Any, Any]]:
    """(user id, shift id) for every person on a running shift of ``line``: assigned or supervising."""
    shifts = _running(line, at)
    assigned = ShiftAssignment.objects.filter(
        organisation=line.organisation_id, shift__in=shifts, state=AssignmentState.ACTIVE
    ).values_list("user_id", "shift_id")
    supervising = shifts.exclude(supervisor=None).values_list("supervisor_id", "pk")
    return [*assigned, *supervising]


def _users(ids: list[Any]) -> list[Any]:
    found = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    return [found[i] for i in ids if i in found]


def _unique(ids: list[Any]) -> list[Any]:
    return list(dict.fromkeys(ids))


def peers_on_shift(line: Line, at: datetime) -> list[Any]:
    """The users on a shift of ``line`` at ``at`` (peers and supervisors on duty), each once."""
    with scope(organisation=line.organisation_id):
        return _users(_unique([user for user, _shift in _on_shift(line, at)]))


def available_peers(line: Line, at: datetime) -> list[Any]:
    """Users on shift at ``at`` whose on-shift status is "available" (not busy, not on a break).

    A person who has not set a status on this shift counts as available."""
    with scope(organisation=line.organisation_id):
        pairs = _on_shift(line, at)
        if not pairs:
            return []
        statuses = {
            (row.user_id, row.shift_id): row.status
            for row in OnShiftStatus.objects.filter(
                organisation=line.organisation_id, user_id__in=[u for u, _s in pairs]
            )
        }
        ids = [
            user for user, shift in pairs if statuses.get((user, shift), DutyStatus.AVAILABLE) == DutyStatus.AVAILABLE
        ]
        # On two shifts at once and unavailable on one of them: not available.
        unavailable = {
            user for user, shift in pairs if statuses.get((user, shift), DutyStatus.AVAILABLE) != DutyStatus.AVAILABLE
        }
        return _users(_unique([i for i in ids if i not in unavailable]))


def supervisors_on_duty(line: Line, at: datetime) -> list[Any]:
    """The supervisors on duty for ``line`` at ``at`` (the shift's supervisor; none when unset)."""
    with scope(organisation=line.organisation_id):
        ids = list(
            _running(line, at)
            .exclude(supervisor=None)
            .order_by("starts_at", "pk")
            .values_list("supervisor_id", flat=True)
        )
        return _users(_unique(ids))


def is_on_shift(user: Any, line: Line, at: datetime) -> bool:
    """Whether ``user`` is assigned to, or the supervisor on duty of, a running shift of ``line``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    with scope(organisation=line.organisation_id):
        mine = ShiftAssignment.objects.filter(
            organisation=line.organisation_id, user=user, state=AssignmentState.ACTIVE
        ).values("shift_id")
        return _running(line, at).filter(Q(pk__in=mine) | Q(supervisor=user)).exists()
