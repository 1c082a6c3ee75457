"""Shifts: patterns, one-off shifts, sign-up and assignment, swaps, the supervisor on duty and the
on-shift status (docs/warmline.md, "Shifts").

Every write here is a service: keyword-only, ``acting_user``, atomic, audited. Reads that pages
need (the week's rota with its coverage gaps, a person's own shifts) are the selectors at the end.

Two people can never take the last place on a shift: every write that fills places locks the shift
row first (``lock_shift``, the one lock shape for places), then counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.models import Membership, Organisation, Role, User
from alongside.audit.services import record
from alongside.groups.schedules import RuleError, check_rule, localise, rule_starts
from alongside.people.models import PeerProfile, PeerStatus
from alongside.warmline.models import (
    AssignmentHow,
    AssignmentState,
    DutyStatus,
    Line,
    OnShiftStatus,
    Shift,
    ShiftAssignment,
    ShiftPattern,
    ShiftSwap,
    SwapState,
)

# Who may be on a shift, and who may be the supervisor on duty (DOMAIN.md §4).
SHIFT_ROLES = (Role.PEER, Role.SUPERVISOR)
SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)
# Pattern occurrences are made into rows for the weeks people look at, at most this far ahead.
HORIZON = timedelta(days=366)
# A new pattern's first weeks are made at once, so the rota and sign-up show them.
FIRST_WEEKS = timedelta(weeks=8)  # made when a pattern is made, and kept ahead by the hourly command


def scheduled_until(now: datetime | None = None) -> datetime:
    """Pattern shifts exist as rows up to about here (the hourly command keeps ``FIRST_WEEKS`` ahead);
    the rota says "not scheduled yet" beyond it."""
    return (now or timezone.now()) + FIRST_WEEKS


OPEN_SWAP = (SwapState.OFFERED, SwapState.ACCEPTED)


# --- Who may be on shifts ------------------------------------------------------------------------


def _members(organisation: Any, roles: Iterable[str]) -> QuerySet[User]:
    org_id = getattr(organisation, "pk", organisation)
    on_leave = PeerProfile.objects.filter(organisation=org_id, status=PeerStatus.ON_LEAVE).values("user_id")
    members = Membership.objects.filter(organisation=org_id, is_active=True, role__in=list(roles)).values("user_id")
    return User.objects.filter(is_active=True, pk__in=members).exclude(pk__in=on_leave).order_by("full_name", "email")


def shift_people(organisation: Any) -> QuerySet[User]:
    """Active staff with a peer or supervisor role, not on leave: who may be on shifts."""
    return _members(organisation, SHIFT_ROLES)


def supervisor_people(organisation: Any) -> QuerySet[User]:
    """Who may be the supervisor on duty: supervisors, coordinators and admins."""
    return _members(organisation, SUPERVISOR_ROLES)


def may_take_shifts(user: User, organisation: Any) -> bool:
    return shift_people(organisation).filter(pk=user.pk).exists()


def _require_shift_person(user: User, organisation: Any) -> None:
    if not may_take_shifts(user, organisation):
        raise ValidationError(
            {"user": _("Only active peer supporters and supervisors of the organisation can be on shifts.")}
        )


# --- Locks and counts ----------------------------------------------------------------------------


def lock_shift(shift: Shift) -> Shift:
    """Lock the shift row (the one lock shape for places): count and fill places only after this."""
    return Shift.objects.select_for_update().get(pk=shift.pk, organisation=shift.organisation_id)


def assigned_count(shift: Shift) -> int:
    return ShiftAssignment.objects.filter(
        organisation=shift.organisation_id, shift=shift, state=AssignmentState.ACTIVE
    ).count()


def _on_shift(shift: Shift, user: User) -> bool:
    return ShiftAssignment.objects.filter(
        organisation=shift.organisation_id, shift=shift, user=user, state=AssignmentState.ACTIVE
    ).exists()


def _check_open(shift: Shift, now: datetime) -> None:
    if shift.cancelled:
        raise ValidationError(_("This shift is cancelled."))
    if shift.starts_at <= now:
        raise ValidationError(_("This shift has already started."))


def _place(shift: Shift, user: User, *, how: str, acting_user: User, now: datetime) -> ShiftAssignment:
    """Put ``user`` on the locked ``shift`` if a place is free."""
    _check_open(shift, now)
    _require_shift_person(user, shift.organisation_id)
    if _on_shift(shift, user):
        raise ValidationError(_("%(name)s is already on this shift.") % {"name": user.display_name})
    if assigned_count(shift) >= shift.max_peers:
        raise ValidationError(_("This shift is full (%(max)d peers).") % {"max": shift.max_peers})
    assignment = ShiftAssignment.objects.create(organisation_id=shift.organisation_id, shift=shift, user=user, how=how)
    record(acting_user, f"shift.{how}", assignment)
    return assignment


# --- Patterns ------------------------------------------------------------------------------------


def _check_counts(min_peers: int, max_peers: int) -> None:
    if max_peers < 1:
        raise ValidationError({"max_peers": _("A shift needs room for at least one peer.")})
    if min_peers > max_peers:
        raise ValidationError({"min_peers": _("The fewest peers cannot be more than the most peers.")})


def pattern_occurrences(pattern: ShiftPattern, start: datetime, end: datetime) -> list[datetime]:
    """The pattern's shift starts in [start, end) as UTC instants (wall-clock time kept across DST)."""
    zone = ZoneInfo(pattern.organisation.timezone)
    return rule_starts(
        pattern.rrule, pattern.start_date, pattern.start_time, zone, until=pattern.until, window=(start, end)
    )


@transaction.atomic
def pattern_create(
    *,
    acting_user: User,
    line: Line,
    rrule: str,
    start_date: date,
    start_time: time,
    duration_minutes: int,
    min_peers: int,
    max_peers: int,
    until: date | None = None,
    now: datetime | None = None,
) -> ShiftPattern:
    """A recurring shift of ``line``; its first weeks are made at once."""
    try:
        rule = check_rule(rrule)
    except RuleError as exc:
        raise ValidationError({"rrule": str(exc)}) from exc
    if until is not None and until < start_date:
        raise ValidationError({"until": _("The last day cannot be before the first day.")})
    if not 15 <= duration_minutes <= 24 * 60:
        raise ValidationError({"duration_minutes": _("A shift lasts from 15 minutes to 24 hours.")})
    _check_counts(min_peers, max_peers)
    pattern = ShiftPattern.objects.create(
        organisation_id=line.organisation_id,
        line=line,
        rrule=rule,
        start_date=start_date,
        until=until,
        start_time=start_time,
        duration_minutes=duration_minutes,
        min_peers=min_peers,
        max_peers=max_peers,
    )
    record(acting_user, "shift_pattern.create", pattern)
    moment = now or timezone.now()
    shifts_materialise(
        acting_user=acting_user, organisation=pattern.organisation, start=moment, end=moment + FIRST_WEEKS
    )
    return pattern


@transaction.atomic
def pattern_end(*, acting_user: User, pattern: ShiftPattern, last_day: date) -> ShiftPattern:
    """No shifts of the pattern after ``last_day``: later shifts already made are cancelled."""
    if last_day < pattern.start_date:
        raise ValidationError({"last_day": _("The last day cannot be before the pattern's first day.")})
    pattern.until = last_day
    pattern.save(update_fields=["until", "updated_at"])
    zone = ZoneInfo(pattern.organisation.timezone)
    after = localise(datetime.combine(last_day + timedelta(days=1), time(0, 0)), zone)
    now = timezone.now()
    Shift.objects.filter(
        organisation=pattern.organisation_id, pattern=pattern, original_start__gte=after, cancelled=False
    ).update(cancelled=True, cancelled_at=now, updated_at=now)
    record(acting_user, "shift_pattern.end", pattern)
    return pattern


@transaction.atomic
def shifts_materialise(
    *,
    acting_user: User | None,
    organisation: Organisation,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    dry_run: bool = False,
) -> int:
    """Make the rows of every pattern's shifts in [start, end) that do not exist yet (at most
    ``HORIZON`` from now); idempotent. Returns how many were made (``dry_run``: would be made,
    nothing written). Called when a pattern is made and by ``alongside warmline materialise-shifts``
    (hourly, ``FIRST_WEEKS`` ahead); never by a page that only reads."""
    end = min(end, (now or timezone.now()) + HORIZON)
    if end <= start:
        return 0
    patterns = list(
        ShiftPattern.objects.filter(organisation=organisation)
        .filter(Q(until__isnull=True) | Q(until__gte=(start - timedelta(days=2)).date()))
        .filter(start_date__lte=(end + timedelta(days=2)).date())
        .select_related("organisation")
    )
    if not patterns:
        return 0
    existing = set(
        Shift.objects.filter(
            organisation=organisation, pattern__in=patterns, original_start__gte=start - timedelta(days=1)
        )
        .filter(original_start__lt=end + timedelta(days=1))
        .values_list("pattern_id", "original_start")
    )
    made = 0
    for pattern in patterns:
        length = timedelta(minutes=pattern.duration_minutes)
        rows = [
            Shift(
                organisation=organisation,
                line_id=pattern.line_id,
                pattern=pattern,
                original_start=moment,
                starts_at=moment,
                ends_at=moment + length,
                min_peers=pattern.min_peers,
                max_peers=pattern.max_peers,
            )
            for moment in pattern_occurrences(pattern, start, end)
            if (pattern.pk, moment) not in existing
        ]
        if rows and dry_run:
            made += len(rows)
        elif rows:
            Shift.objects.bulk_create(rows, ignore_conflicts=True)
            made += len(rows)
            record(acting_user, "shift_pattern.materialise", pattern)
    return made


# --- Shifts --------------------------------------------------------------------------------------


@transaction.atomic
def shift_create(
    *,
    acting_user: User,
    line: Line,
    starts_at: datetime,
    ends_at: datetime,
    min_peers: int,
    max_peers: int,
    supervisor: User | None = None,
) -> Shift:
    """A one-off shift."""
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The shift must end after it starts.")})
    if ends_at - starts_at > timedelta(hours=24):
        raise ValidationError({"ends_at": _("A shift lasts at most 24 hours.")})
    _check_counts(min_peers, max_peers)
    if supervisor is not None and not supervisor_people(line.organisation_id).filter(pk=supervisor.pk).exists():
        raise ValidationError({"supervisor": _("The supervisor on duty must be a supervisor, coordinator or admin.")})
    shift = Shift.objects.create(
        organisation_id=line.organisation_id,
        line=line,
        starts_at=starts_at,
        ends_at=ends_at,
        min_peers=min_peers,
        max_peers=max_peers,
        supervisor=supervisor,
    )
    record(acting_user, "shift.create", shift)
    return shift


@transaction.atomic
def shift_cancel(*, acting_user: User, shift: Shift) -> Shift:
    """Cancel a shift that has not ended; open swap offers on it are withdrawn."""
    shift = lock_shift(shift)
    if shift.cancelled:
        raise ValidationError(_("This shift is already cancelled."))
    now = timezone.now()
    if shift.ends_at <= now:
        raise ValidationError(_("This shift has already ended."))
    shift.cancelled = True
    shift.cancelled_at = now
    shift.save(update_fields=["cancelled", "cancelled_at", "updated_at"])
    ShiftSwap.objects.filter(organisation=shift.organisation_id, assignment__shift=shift, state__in=OPEN_SWAP).update(
        state=SwapState.WITHDRAWN, decided_at=now, updated_at=now
    )
    record(acting_user, "shift.cancel", shift)
    return shift


@transaction.atomic
def supervisor_set(*, acting_user: User, shift: Shift, supervisor: User | None) -> Shift:
    """The supervisor on duty for ``shift`` (None: nobody)."""
    shift = lock_shift(shift)
    if shift.cancelled:
        raise ValidationError(_("This shift is cancelled."))
    if supervisor is not None and not supervisor_people(shift.organisation_id).filter(pk=supervisor.pk).exists():
        raise ValidationError({"supervisor": _("The supervisor on duty must be a supervisor, coordinator or admin.")})
    shift.supervisor = supervisor
    shift.save(update_fields=["supervisor", "updated_at"])
    record(acting_user, "shift.supervisor_set", shift)
    return shift


@transaction.atomic
def shift_signup(*, acting_user: User, shift: Shift, now: datetime | None = None) -> ShiftAssignment:
    """The acting person takes a free place on ``shift``."""
    locked = lock_shift(shift)
    return _place(locked, acting_user, how=AssignmentHow.SIGNED_UP, acting_user=acting_user, now=now or timezone.now())


@transaction.atomic
def shift_assign(*, acting_user: User, shift: Shift, user: User, now: datetime | None = None) -> ShiftAssignment:
    """A coordinator puts ``user`` on ``shift`` (within its most peers)."""
    locked = lock_shift(shift)
    return _place(locked, user, how=AssignmentHow.ASSIGNED, acting_user=acting_user, now=now or timezone.now())


@transaction.atomic
def shift_unassign(*, acting_user: User, assignment: ShiftAssignment) -> ShiftAssignment:
    """Take a person off a shift; their open swap offer on it is withdrawn."""
    lock_shift(assignment.shift)
    assignment = ShiftAssignment.objects.select_for_update().get(
        pk=assignment.pk, organisation=assignment.organisation_id
    )
    if assignment.state != AssignmentState.ACTIVE:
        raise ValidationError(_("This person is no longer on the shift."))
    assignment.state = AssignmentState.REMOVED
    assignment.save(update_fields=["state", "updated_at"])
    now = timezone.now()
    ShiftSwap.objects.filter(
        organisation=assignment.organisation_id, assignment=assignment, state__in=OPEN_SWAP
    ).update(state=SwapState.WITHDRAWN, decided_at=now, updated_at=now)
    record(acting_user, "shift.unassign", assignment)
    return assignment


# --- Swaps ---------------------------------------------------------------------------------------


def _lock_swap(swap: ShiftSwap) -> ShiftSwap:
    return (
        ShiftSwap.objects.select_for_update()
        .select_related("assignment", "assignment__shift")
        .get(pk=swap.pk, organisation=swap.organisation_id)
    )


def _swap_state(swap: ShiftSwap, *allowed: str) -> None:
    if swap.state not in allowed:
        raise ValidationError(
            _("This swap is %(state)s; that cannot be done now.") % {"state": swap.get_state_display().lower()}
        )


@transaction.atomic
def swap_request(*, acting_user: User, assignment: ShiftAssignment, offered_to: User | None = None) -> ShiftSwap:
    """The person on ``assignment`` offers their place to ``offered_to`` (None: to anyone)."""
    assignment = (
        ShiftAssignment.objects.select_for_update()
        .select_related("shift")
        .get(pk=assignment.pk, organisation=assignment.organisation_id)
    )
    if assignment.user_id != acting_user.pk or assignment.state != AssignmentState.ACTIVE:
        raise ValidationError(_("You can only offer a shift you are on."))
    _check_open(assignment.shift, timezone.now())
    if ShiftSwap.objects.filter(
        organisation=assignment.organisation_id, assignment=assignment, state__in=OPEN_SWAP
    ).exists():
        raise ValidationError(_("You have already offered this shift."))
    if offered_to is not None:
        if offered_to.pk == acting_user.pk:
            raise ValidationError({"offered_to": _("Choose someone else, or offer it to anyone.")})
        _require_shift_person(offered_to, assignment.organisation_id)
        if _on_shift(assignment.shift, offered_to):
            raise ValidationError(
                {"offered_to": _("%(name)s is already on this shift.") % {"name": offered_to.display_name}}
            )
    swap = ShiftSwap.objects.create(
        organisation_id=assignment.organisation_id, assignment=assignment, offered_to=offered_to
    )
    record(acting_user, "shift_swap.request", swap)
    return swap


@transaction.atomic
def swap_accept(*, acting_user: User, swap: ShiftSwap) -> ShiftSwap:
    """A peer takes an offered swap (the one it was offered to, or anyone for an open offer)."""
    swap = _lock_swap(swap)
    _swap_state(swap, SwapState.OFFERED)
    if swap.assignment.user_id == acting_user.pk:
        raise ValidationError(_("You cannot take your own offer."))
    if swap.offered_to_id is not None and swap.offered_to_id != acting_user.pk:
        raise ValidationError(_("This swap was offered to someone else."))
    _check_open(swap.assignment.shift, timezone.now())
    _require_shift_person(acting_user, swap.organisation_id)
    if _on_shift(swap.assignment.shift, acting_user):
        raise ValidationError(_("You are already on this shift."))
    swap.state = SwapState.ACCEPTED
    swap.taken_by = acting_user
    swap.save(update_fields=["state", "taken_by", "updated_at"])
    record(acting_user, "shift_swap.accept", swap)
    return swap


@transaction.atomic
def swap_approve(*, acting_user: User, swap: ShiftSwap) -> ShiftSwap:
    """A coordinator approves a taken swap: the place moves to the person who took it."""
    swap = _lock_swap(swap)
    _swap_state(swap, SwapState.ACCEPTED)
    shift = lock_shift(swap.assignment.shift)
    now = timezone.now()
    _check_open(shift, now)
    taker = swap.taken_by
    assert taker is not None
    _require_shift_person(taker, swap.organisation_id)
    if _on_shift(shift, taker):
        raise ValidationError(_("%(name)s is already on this shift.") % {"name": taker.display_name})
    old = ShiftAssignment.objects.select_for_update().get(pk=swap.assignment_id, organisation=swap.organisation_id)
    if old.state != AssignmentState.ACTIVE:
        raise ValidationError(_("The person who offered it is no longer on the shift."))
    old.state = AssignmentState.SWAPPED
    old.save(update_fields=["state", "updated_at"])
    new = ShiftAssignment.objects.create(
        organisation_id=swap.organisation_id, shift=shift, user=taker, how=AssignmentHow.SWAP
    )
    swap.state = SwapState.APPROVED
    swap.decided_by = acting_user
    swap.decided_at = now
    swap.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
    record(acting_user, "shift_swap.approve", swap)
    record(acting_user, "shift.swap", new)
    return swap


@transaction.atomic
def swap_decline(*, acting_user: User, swap: ShiftSwap, as_coordinator: bool = False) -> ShiftSwap:
    """A coordinator declines an open swap, or the peer it was offered to declines the offer."""
    swap = _lock_swap(swap)
    if as_coordinator:
        _swap_state(swap, *OPEN_SWAP)
    else:
        _swap_state(swap, SwapState.OFFERED)
        if swap.offered_to_id != acting_user.pk:
            raise ValidationError(_("Only the person it was offered to can decline it."))
    swap.state = SwapState.DECLINED
    swap.decided_by = acting_user
    swap.decided_at = timezone.now()
    swap.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
    record(acting_user, "shift_swap.decline", swap)
    return swap


@transaction.atomic
def swap_withdraw(*, acting_user: User, swap: ShiftSwap) -> ShiftSwap:
    """The person who offered the swap takes the offer back (before it is approved)."""
    swap = _lock_swap(swap)
    _swap_state(swap, *OPEN_SWAP)
    if swap.assignment.user_id != acting_user.pk:
        raise ValidationError(_("Only the person who offered it can withdraw it."))
    swap.state = SwapState.WITHDRAWN
    swap.decided_at = timezone.now()
    swap.save(update_fields=["state", "decided_at", "updated_at"])
    record(acting_user, "shift_swap.withdraw", swap)
    return swap


# --- On-shift status -----------------------------------------------------------------------------


def current_shift(user: User, organisation: Any, at: datetime) -> Shift | None:
    """The shift ``user`` is on (assigned or supervisor on duty) at ``at``, the earliest-ending first."""
    org_id = getattr(organisation, "pk", organisation)
    mine = ShiftAssignment.objects.filter(organisation=org_id, user=user, state=AssignmentState.ACTIVE).values(
        "shift_id"
    )
    return (
        Shift.objects.filter(organisation=org_id, cancelled=False, starts_at__lte=at, ends_at__gt=at)
        .filter(Q(pk__in=mine) | Q(supervisor=user))
        .select_related("line")
        .order_by("ends_at", "pk")
        .first()
    )


def status_of(user: User, organisation: Any, at: datetime) -> str | None:
    """The person's status now (None when not on shift; available until they set another)."""
    shift = current_shift(user, organisation, at)
    if shift is None:
        return None
    row = OnShiftStatus.objects.filter(organisation=shift.organisation_id, user=user, shift=shift).first()
    return row.status if row is not None else DutyStatus.AVAILABLE


@transaction.atomic
def status_set(*, acting_user: User, organisation: Any, status: str, now: datetime | None = None) -> OnShiftStatus:
    """The acting person sets their own status on the shift they are on now."""
    if status not in DutyStatus.values:
        raise ValidationError({"status": _("Choose available, busy, on a break or signed off.")})
    moment = now or timezone.now()
    shift = current_shift(acting_user, organisation, moment)
    if shift is None:
        raise ValidationError(_("You can set your status only while you are on a shift."))
    row, _created = OnShiftStatus.objects.update_or_create(
        organisation_id=shift.organisation_id,
        user=acting_user,
        defaults={"shift": shift, "status": status, "changed_at": moment},
    )
    record(acting_user, "shift.status_set", row)
    return row


# --- Selectors -----------------------------------------------------------------------------------


@dataclass
class Cover:
    """One shift on the rota with who is on it and what it lacks."""

    shift: Shift
    people: list[User] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.people)

    @property
    def missing(self) -> int:
        return max(0, self.shift.min_peers - self.count)

    @property
    def under_min(self) -> bool:
        return self.missing > 0

    @property
    def no_supervisor(self) -> bool:
        return self.shift.supervisor_id is None

    @property
    def full(self) -> bool:
        return self.count >= self.shift.max_peers

    @property
    def gap(self) -> bool:
        return not self.shift.cancelled and (self.under_min or self.no_supervisor)


def coverage(organisation: Any, start: datetime, end: datetime, *, line: Line | None = None) -> list[Cover]:
    """The shifts starting in [start, end) with who is on them, flagged when under their fewest
    peers or without a supervisor on duty. Two queries, however many shifts."""
    shifts = Shift.objects.filter(organisation=organisation, starts_at__gte=start, starts_at__lt=end)
    if line is not None:
        shifts = shifts.filter(line=line)
    active = ShiftAssignment.objects.filter(state=AssignmentState.ACTIVE).select_related("user").order_by("created_at")
    rows = shifts.select_related("line", "supervisor").prefetch_related(Prefetch("assignments", queryset=active))
    return [Cover(shift, [a.user for a in shift.assignments.all()]) for shift in rows.order_by("starts_at", "pk")]


def gaps(organisation: Any, start: datetime, end: datetime, *, line: Line | None = None) -> list[Cover]:
    return [c for c in coverage(organisation, start, end, line=line) if c.gap]


def my_assignments(user: User, organisation: Any, *, since: datetime) -> list[ShiftAssignment]:
    """The person's places on shifts that end after ``since`` (cancelled shifts included), with
    their open swap offers."""
    open_swaps = ShiftSwap.objects.filter(state__in=OPEN_SWAP).select_related("offered_to", "taken_by")
    return list(
        ShiftAssignment.objects.filter(
            organisation=organisation, user=user, state=AssignmentState.ACTIVE, shift__ends_at__gt=since
        )
        .select_related("shift", "shift__line", "shift__supervisor")
        .prefetch_related(Prefetch("swaps", queryset=open_swaps, to_attr="open_swaps"))
        .order_by("shift__starts_at", "pk")
    )


def swaps_for(user: User, organisation: Any) -> list[ShiftSwap]:
    """Offers the person may take: open offers and offers to them, on shifts that have not started."""
    return list(
        ShiftSwap.objects.filter(
            organisation=organisation,
            state=SwapState.OFFERED,
            assignment__shift__starts_at__gt=timezone.now(),
            assignment__shift__cancelled=False,
        )
        .filter(Q(offered_to__isnull=True) | Q(offered_to=user))
        .exclude(assignment__user=user)
        .select_related("assignment__user", "assignment__shift", "assignment__shift__line", "offered_to")
        .order_by("assignment__shift__starts_at", "pk")
    )


def swaps_open(organisation: Any) -> list[ShiftSwap]:
    """Every open swap of shifts that have not started (the coordinator's list)."""
    return list(
        ShiftSwap.objects.filter(
            organisation=organisation, state__in=OPEN_SWAP, assignment__shift__starts_at__gt=timezone.now()
        )
        .select_related("assignment__user", "assignment__shift", "assignment__shift__line", "offered_to", "taken_by")
        .order_by("assignment__shift__starts_at", "pk")
    )


def shifts_of(user: User, organisation: Any) -> list[Shift]:
    """Every shift the person is on or supervises (for their calendar feed), cancelled ones included."""
    mine = ShiftAssignment.objects.filter(organisation=organisation, user=user, state=AssignmentState.ACTIVE).values(
        "shift_id"
    )
    return list(
        Shift.objects.filter(organisation=organisation)
        .filter(Q(pk__in=mine) | Q(supervisor=user))
        .select_related("line")
        .order_by("starts_at", "pk")
    )
