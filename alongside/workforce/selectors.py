"""Reads for wellbeing check-ins, each confined to one organisation.

Who sees what (docs/workforce.md):

- a check-in's note and mood: only its writer (``own_history``);
- its capacity answer: the writer's supervisor and matching, only while the writer shares it and
  only for ``SIGNAL_DAYS`` days (``latest_shared_signals``, ``stretched_peer_ids``, ``team_signals``).

The rule for "the signal" is **the latest shared check-in within the last 14 days**. Check-ins the
writer did not share are invisible to everyone else: a newer unshared check-in neither replaces nor
hides an older shared one, because hiding it would itself tell the supervisor that something
unshared was written. The writer stays in control by sharing a newer answer or by stopping
sharing the old one (``services.checkin_stop_sharing``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from alongside.accounts import selectors as account_selectors
from alongside.accounts.models import Organisation, User
from alongside.workforce.models import Capacity, WellbeingCheckIn

SIGNAL_DAYS = 14
HISTORY_PAGE_SIZE = 10
# What the signal reads: never the note (P3 text) and never the mood.
SIGNAL_FIELDS = ("id", "organisation_id", "user_id", "capacity", "created_at")


def signal_since(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=SIGNAL_DAYS)


def own_checkins(organisation: Organisation, user: User) -> QuerySet[WellbeingCheckIn]:
    """The person's own check-ins, newest first (with their notes: show only to them)."""
    return WellbeingCheckIn.objects.filter(organisation=organisation, user=user).order_by("-created_at", "-id")


def own_history(organisation: Organisation, user: User, *, page: Any = None) -> Page[WellbeingCheckIn]:
    """One page of the person's own check-ins, newest first. The notes are P3: the caller records
    the read (``services.checkin_history_viewed``) when the page shows any."""
    return Paginator(own_checkins(organisation, user), HISTORY_PAGE_SIZE).get_page(page)


def _shared_signals(organisation: Organisation, now: datetime | None) -> QuerySet[WellbeingCheckIn]:
    """Each person's latest shared check-in within the window (one query, a correlated subquery
    on the (organisation, user, -created_at) index)."""
    since = signal_since(now)
    recent_shared = WellbeingCheckIn.objects.filter(organisation=organisation, shared=True, created_at__gte=since)
    latest = recent_shared.filter(user_id=OuterRef("user_id")).order_by("-created_at", "-id").values("id")[:1]
    return recent_shared.filter(id=Subquery(latest)).only(*SIGNAL_FIELDS)


def latest_shared_signals(
    organisation: Organisation, user_ids: Collection[Any], *, now: datetime | None = None
) -> dict[Any, WellbeingCheckIn]:
    """{user id: their latest shared check-in within the last 14 days} for these people (one
    query; people with none are left out). Only the capacity and its time are loaded."""
    ids = list(user_ids)
    if not ids:
        return {}
    return {c.user_id: c for c in _shared_signals(organisation, now).filter(user_id__in=ids)}


def stretched_peer_ids(organisation: Organisation, *, now: datetime | None = None) -> set[Any]:
    """People whose latest shared check-in within the last 14 days says they are stretched (one
    query). Matching lowers them in suggestions and batches; it never says why."""
    return set(_shared_signals(organisation, now).filter(capacity=Capacity.STRETCHED).values_list("user_id", flat=True))


@dataclass(frozen=True)
class TeamSignal:
    """One supervised person and what they chose to share (None: nothing shared recently)."""

    person: User
    checkin: WellbeingCheckIn | None

    @property
    def capacity_label(self) -> str:
        return self.checkin.get_capacity_display() if self.checkin is not None else ""


def team_signals(organisation: Organisation, supervisor: User, *, now: datetime | None = None) -> list[TeamSignal]:
    """The people this supervisor supervises (open supervision links), each with their latest
    shared capacity within the last 14 days; by name. Two queries, whatever the team's size."""
    team = account_selectors.supervised_peers(organisation, supervisor)
    signals = latest_shared_signals(organisation, [p.pk for p in team], now=now)
    rows = [TeamSignal(person=p, checkin=signals.get(p.pk)) for p in team]
    return sorted(rows, key=lambda r: (r.person.display_name.casefold(), str(r.person.pk)))
