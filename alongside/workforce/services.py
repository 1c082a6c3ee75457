"""Every write about wellbeing: keyword-only, takes the acting user, atomic, audited (identifiers
only: never the note, the mood or the capacity in the audit log)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.models import Organisation, User
from alongside.accounts.permissions import has_permission
from alongside.accounts.selectors import roles_for
from alongside.audit.services import record
from alongside.workforce.models import NOTE_MAX_LENGTH, Capacity, Mood, WellbeingCheckIn


def _mood(value: Any) -> int | None:
    """None or "" (rather not say), or a whole number 1–5 (as a number or its digits)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise ValueError
        value = int(value.strip())
    if not isinstance(value, int) or value not in Mood.values:
        raise ValueError
    return value


@transaction.atomic
def checkin_create(
    *,
    acting_user: User,
    organisation: Organisation,
    capacity: str,
    mood: Any = None,
    note: str = "",
    shared: bool = False,
) -> WellbeingCheckIn:
    """A staff member checks in about themselves. It is always their own: nobody checks in for
    someone else. ``shared`` shares the capacity answer (never the note or the mood) with their
    supervisor and with matching."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise ValidationError(_("A wellbeing check-in is always written by the person themselves."))
    if not has_permission(roles_for(acting_user, organisation.pk), "wellbeing.checkin"):
        raise ValidationError(_("Only staff of this organisation can write a wellbeing check-in here."))
    errors: dict[str, str] = {}
    if not isinstance(capacity, str) or capacity not in Capacity.values:
        errors["capacity"] = _("Choose how much room you have: room for more, about full, or stretched.")
    try:
        mood_value = _mood(mood)
    except (TypeError, ValueError):
        mood_value = None
        errors["mood"] = _("Choose one of the five answers, or leave it out.")
    if not isinstance(note, str):
        errors["note"] = _("The note must be text.")
        note = ""
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("Keep the note to %(n)d characters or fewer.") % {"n": NOTE_MAX_LENGTH}
    if not isinstance(shared, bool):
        errors["shared"] = _("Say whether to share how much room you have: yes or no.")
    if errors:
        raise ValidationError(errors)
    checkin = WellbeingCheckIn.objects.create(
        organisation=organisation,
        user=acting_user,
        capacity=capacity,
        mood=mood_value,
        note=note,
        shared=shared,
    )
    record(acting_user, "wellbeing_checkin.create", checkin)
    return checkin


@transaction.atomic
def checkin_stop_sharing(*, acting_user: User, checkin: WellbeingCheckIn) -> WellbeingCheckIn:
    """The writer stops sharing one of their check-ins: from now on their supervisor and matching
    no longer see its capacity answer. Already unshared: nothing changes, nothing is recorded."""
    if acting_user is None or checkin.user_id != acting_user.pk:
        raise ValidationError(_("Only the person who wrote a check-in can change who sees it."))
    now = timezone.now()
    changed = WellbeingCheckIn.objects.filter(organisation=checkin.organisation_id, pk=checkin.pk, shared=True).update(
        shared=False, unshared_at=now
    )
    if changed:
        checkin.shared, checkin.unshared_at = False, now
        record(acting_user, "wellbeing_checkin.stop_sharing", checkin)
    return checkin


def checkin_history_viewed(*, acting_user: User, organisation: Organisation) -> None:
    """The person's own check-ins with their notes (P3) were shown to them: one access-log row for
    the page (they are the writer's own, and a page holds at most ten)."""
    record(
        acting_user,
        "wellbeing_checkin.view_own",
        organisation=organisation,
        object_type="accounts.user",
        object_id=acting_user.pk,
    )


def team_signals_viewed(*, acting_user: User, checkins: list[WellbeingCheckIn]) -> None:
    """A supervisor saw the shared capacity of people they supervise: one access-log row per
    check-in shown, so each person's own access history can say who saw their signal."""
    for checkin in checkins:
        record(acting_user, "wellbeing_checkin.view_shared", checkin)
