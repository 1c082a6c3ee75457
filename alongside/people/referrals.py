"""Care-team referrals (DOMAIN.md §3): services and selectors.

Writes are keyword-only, take the acting user, run in one transaction and are audited. The clocks
are pure functions of a referral, the participant's contact times and ``now``:

* first contact attempt within 48 hours of receipt;
* follow-up within 7 and 30 days of discharge: met by engagement by that day, or by a contact
  record for the participant on or after the discharge day and no later than the due day.

Rates are ours ("7-day follow-up rate", "30-day follow-up rate"), never named after HEDIS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.models import Membership, Organisation, Role, User
from alongside.audit.services import record
from alongside.people.models import (
    REFERRAL_FINAL_STATUSES,
    Consent,
    ContactRecord,
    Participant,
    PartnerOrganisation,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReferralUrgency,
)
from alongside.people.services import consent_covers, refuse_if_restricted

FIRST_ATTEMPT_WITHIN = timedelta(hours=48)
FOLLOW_UP_7 = timedelta(days=7)
FOLLOW_UP_30 = timedelta(days=30)

# Which clocks ``overdue`` may name.
CLOCK_FIRST_ATTEMPT = "first_attempt"
CLOCK_FOLLOW_UP_7 = "follow_up_7"
CLOCK_FOLLOW_UP_30 = "follow_up_30"

S = ReferralStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.CONTACT_ATTEMPTED, S.DECLINED, S.UNREACHABLE}),
    S.CONTACT_ATTEMPTED: frozenset({S.CONTACT_ATTEMPTED, S.ENGAGED, S.DECLINED, S.UNREACHABLE}),
    S.ENGAGED: frozenset({S.HANDED_BACK, S.DECLINED}),
    S.HANDED_BACK: frozenset(),
    S.DECLINED: frozenset(),
    S.UNREACHABLE: frozenset(),
}


# --- Writes -------------------------------------------------------------------------------------


def _is_referrer(organisation: Organisation, user: User) -> bool:
    return Membership.objects.filter(organisation=organisation, user=user, role=Role.REFERRER, is_active=True).exists()


@transaction.atomic
def referral_create(
    *,
    acting_user: User | None,
    organisation: Organisation,
    participant: Participant,
    reason: str,
    urgency: str,
    partner: PartnerOrganisation | None = None,
    referrer: User | None = None,
    discharge_date: date | None = None,
    consent_attested: bool,
    consent: Consent | None = None,
) -> Referral:
    refuse_if_restricted(participant)
    errors: dict[str, str] = {}
    if consent_attested is not True:
        errors["consent_attested"] = _("Confirm that the person agreed to this referral.")
    if participant.organisation_id != organisation.pk:
        errors["participant"] = _("Choose a person of this organisation.")
    if partner is not None and partner.organisation_id != organisation.pk:
        errors["partner"] = _("Choose a partner of this organisation.")
    if referrer is not None and not _is_referrer(organisation, referrer):
        errors["referrer"] = _("Choose a referrer of this organisation.")
    if consent is not None and (consent.organisation_id != organisation.pk or consent.participant_id != participant.pk):
        errors["consent"] = _("Choose a consent this person gave.")
    if urgency not in ReferralUrgency.values:
        errors["urgency"] = _("Choose one of the listed urgencies.")
    reason = reason.strip()
    if not reason:
        errors["reason"] = _("Say why the person is being referred.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    referral = Referral.objects.create(
        organisation=organisation,
        partner=partner,
        referrer=referrer,
        participant=participant,
        reason=reason,
        discharge_date=discharge_date,
        urgency=urgency,
        consent_attested=True,
        consent=consent,
        status=ReferralStatus.RECEIVED,
        received_at=now,
        created_by=acting_user,
    )
    ReferralEvent.objects.create(
        organisation=organisation, referral=referral, status=ReferralStatus.RECEIVED, at=now, by=acting_user
    )
    record(acting_user, "referral.create", referral)
    return referral


@transaction.atomic
def referral_advance(*, acting_user: User | None, referral: Referral, status: str) -> Referral:
    """Move a referral one step along; only the allowed transitions, each one a ReferralEvent."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk, organisation=referral.organisation_id)
    if status not in ALLOWED_TRANSITIONS.get(referral.status, frozenset()):
        raise ValidationError(
            {
                "status": _("A referral that is %(current)s cannot move to %(new)s.")
                % {
                    "current": referral.status,
                    "new": status,
                }
            }
        )
    now = timezone.now()
    fields = ["status", "updated_at"]
    if status == ReferralStatus.CONTACT_ATTEMPTED and referral.first_attempt_at is None:
        referral.first_attempt_at = now
        fields.append("first_attempt_at")
    if status == ReferralStatus.ENGAGED:
        referral.engaged_at = now
        fields.append("engaged_at")
    if status in REFERRAL_FINAL_STATUSES:
        referral.closed_at = now
        fields.append("closed_at")
    referral.status = status
    referral.save(update_fields=fields)
    ReferralEvent.objects.create(
        organisation_id=referral.organisation_id, referral=referral, status=status, at=now, by=acting_user
    )
    record(acting_user, f"referral.status.{status}", referral)
    return referral


# --- Clocks (pure) ------------------------------------------------------------------------------


def first_attempt_due(referral: Referral) -> datetime:
    return referral.received_at + FIRST_ATTEMPT_WITHIN


def follow_up_7_due(referral: Referral) -> date | None:
    return referral.discharge_date + FOLLOW_UP_7 if referral.discharge_date is not None else None


def follow_up_30_due(referral: Referral) -> date | None:
    return referral.discharge_date + FOLLOW_UP_30 if referral.discharge_date is not None else None


def _contact_within(discharge: date, due: date, contact_times: Iterable[datetime]) -> bool:
    """A contact on or after the discharge day and no later than the due day (local dates)."""
    return any(discharge <= timezone.localdate(t) <= due for t in contact_times)


def _follow_up_met(referral: Referral, due: date, contact_times: Iterable[datetime]) -> bool:
    assert referral.discharge_date is not None
    if referral.engaged_at is not None and timezone.localdate(referral.engaged_at) <= due:
        return True
    return _contact_within(referral.discharge_date, due, contact_times)


def overdue(referral: Referral, now: datetime, contact_times: Iterable[datetime] | None = None) -> list[str]:
    """Which clocks of an open referral are overdue at ``now`` (a closed referral has none).

    ``contact_times`` are the participant's contact times; when not given they are read."""
    if referral.status in REFERRAL_FINAL_STATUSES:
        return []
    late: list[str] = []
    if referral.first_attempt_at is None and now > first_attempt_due(referral):
        late.append(CLOCK_FIRST_ATTEMPT)
    if referral.discharge_date is None:
        return late
    if contact_times is None:
        contact_times = _contact_times([referral]).get(referral.participant_id, [])
    times = list(contact_times)
    today = timezone.localdate(now)
    for clock, due in (
        (CLOCK_FOLLOW_UP_7, follow_up_7_due(referral)),
        (CLOCK_FOLLOW_UP_30, follow_up_30_due(referral)),
    ):
        assert due is not None
        if today > due and not _follow_up_met(referral, due, times):
            late.append(clock)
    return late


# --- Selectors ----------------------------------------------------------------------------------


def _contact_times(referrals: list[Referral]) -> dict[object, list[datetime]]:
    """One query: contact times, from the earliest discharge on, of the referrals' participants."""
    discharges = [r.discharge_date for r in referrals if r.discharge_date is not None]
    if not discharges:
        return {}
    earliest = min(discharges) - timedelta(days=1)  # a local day may start the UTC day before
    organisation_id = referrals[0].organisation_id
    rows = ContactRecord.objects.filter(
        organisation=organisation_id,
        participant__in={r.participant_id for r in referrals if r.discharge_date is not None},
        occurred_at__date__gte=earliest,
    ).values_list("participant_id", "occurred_at")
    times: dict[object, list[datetime]] = defaultdict(list)
    for participant_id, occurred_at in rows:
        times[participant_id].append(occurred_at)
    return times


@dataclass(frozen=True)
class OverdueReferral:
    referral: Referral
    clocks: list[str]


def overdue_referrals(organisation: Organisation, now: datetime) -> list[OverdueReferral]:
    """Open referrals with at least one overdue clock, oldest first. Two queries, however many."""
    referrals = list(
        Referral.objects.filter(organisation=organisation)
        .exclude(status__in=REFERRAL_FINAL_STATUSES)
        .select_related("participant", "partner", "referrer")
        .order_by("received_at")
    )
    times = _contact_times(referrals)
    result = []
    for referral in referrals:
        clocks = overdue(referral, now, times.get(referral.participant_id, []))
        if clocks:
            result.append(OverdueReferral(referral, clocks))
    return result


@dataclass(frozen=True)
class FollowUpRates:
    """Numerator/denominator pairs: the 7-day and the 30-day follow-up rate."""

    seven_day: tuple[int, int]
    thirty_day: tuple[int, int]


def follow_up_rates(organisation: Organisation, *, start: date, end: date, today: date | None = None) -> FollowUpRates:
    """Referrals discharged in [start, end) and at least 30 days past discharge: the share with a
    contact record within 7 and within 30 days after discharge (on or after the discharge day)."""
    today = today or timezone.localdate()
    referrals = list(
        Referral.objects.filter(
            organisation=organisation,
            discharge_date__gte=start,
            discharge_date__lt=end,
            discharge_date__lte=today - FOLLOW_UP_30,
        )
    )
    times = _contact_times(referrals)
    seven = thirty = 0
    for referral in referrals:
        assert referral.discharge_date is not None
        contact_times = times.get(referral.participant_id, [])
        seven += _contact_within(referral.discharge_date, referral.discharge_date + FOLLOW_UP_7, contact_times)
        thirty += _contact_within(referral.discharge_date, referral.discharge_date + FOLLOW_UP_30, contact_times)
    return FollowUpRates(seven_day=(seven, len(referrals)), thirty_day=(thirty, len(referrals)))


def referrer_recipient(referral: Referral) -> str:
    """Who a status update would go to: the referrer by name, else the partner's name."""
    if referral.referrer is not None:
        return referral.referrer.display_name
    if referral.partner is not None:
        return referral.partner.name
    return ""


def referrer_may_see_status(referral: Referral) -> bool:
    recipient = referrer_recipient(referral)
    if not recipient:
        return False
    return consent_covers(referral.participant, "share_referrer", recipient=recipient)
