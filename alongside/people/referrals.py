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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.accounts.models import Membership, Organisation, Role, User
from alongside.audit.services import record
from alongside.core.services import apply_changes
from alongside.people import services
from alongside.people.models import (
    REFERRAL_FINAL_STATUSES,
    Consent,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    ContactRecord,
    Participant,
    PartnerKind,
    PartnerOrganisation,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReferralUrgency,
    Source,
)
from alongside.people.services import consent_covers, refuse_if_restricted

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

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


REASON_MAX_LENGTH = 5000


def _referral_errors(
    organisation: Organisation,
    *,
    reason: str,
    urgency: str,
    partner: PartnerOrganisation | None,
    referrer: User | None,
    consent_attested: bool,
) -> dict[str, str]:
    """The checks of a new referral that do not need the person (so a form can ask them first)."""
    errors: dict[str, str] = {}
    if consent_attested is not True:
        errors["consent_attested"] = _("Confirm that the person agreed to this referral.")
    if partner is not None and partner.organisation_id != organisation.pk:
        errors["partner"] = _("Choose a partner of this organisation.")
    elif partner is not None and not partner.is_active:
        errors["partner"] = _("This partner is no longer active. Choose another partner, or none.")
    if referrer is not None and not _is_referrer(organisation, referrer):
        errors["referrer"] = _("Choose a referrer of this organisation.")
    if urgency not in ReferralUrgency.values:
        errors["urgency"] = _("Choose one of the listed urgencies.")
    if not reason.strip():
        errors["reason"] = _("Say why the person is being referred.")
    elif len(reason.strip()) > REASON_MAX_LENGTH:
        errors["reason"] = _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX_LENGTH}
    return errors


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
    errors = _referral_errors(
        organisation,
        reason=reason,
        urgency=urgency,
        partner=partner,
        referrer=referrer,
        consent_attested=consent_attested,
    )
    if participant.organisation_id != organisation.pk:
        errors["participant"] = _("Choose a person of this organisation.")
    if consent is not None and (consent.organisation_id != organisation.pk or consent.participant_id != participant.pk):
        errors["consent"] = _("Choose a consent this person gave.")
    elif consent is not None and not share_consents(participant).filter(pk=consent.pk).exists():
        # Read again: a withdrawal a moment ago counts, whatever the caller's copy says.
        errors["consent"] = _("Choose a current consent to share updates with the referrer, or none.")
    if errors:
        raise ValidationError(errors)
    reason = reason.strip()
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


class ClockSubject(Protocol):
    """What the clocks read of a referral: a ``Referral`` or the board's lighter ``ClockFacts``."""

    @property
    def organisation_id(self) -> Any: ...
    @property
    def participant_id(self) -> Any: ...
    @property
    def status(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def first_attempt_at(self) -> datetime | None: ...
    @property
    def engaged_at(self) -> datetime | None: ...
    @property
    def discharge_date(self) -> date | None: ...


def first_attempt_due(referral: ClockSubject) -> datetime:
    return referral.received_at + FIRST_ATTEMPT_WITHIN


def follow_up_7_due(referral: ClockSubject) -> date | None:
    return referral.discharge_date + FOLLOW_UP_7 if referral.discharge_date is not None else None


def follow_up_30_due(referral: ClockSubject) -> date | None:
    return referral.discharge_date + FOLLOW_UP_30 if referral.discharge_date is not None else None


def _contact_within(discharge: date, due: date, contact_times: Iterable[datetime]) -> bool:
    """A contact on or after the discharge day and no later than the due day (local dates)."""
    return any(discharge <= timezone.localdate(t) <= due for t in contact_times)


def _follow_up_met(referral: ClockSubject, due: date, contact_times: Iterable[datetime]) -> bool:
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


def _contact_times(referrals: Sequence[ClockSubject]) -> dict[object, list[datetime]]:
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
        # Lists never show the reason or the person's notes: not read, so not decrypted.
        .defer("reason", "participant__notes")
        .order_by("received_at", "id")
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
        ).only("id", "organisation_id", "participant_id", "discharge_date")  # not the encrypted reason
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


# --- Partners (services) ------------------------------------------------------------------------

PARTNER_FIELDS = ("name", "kind", "contact_email", "contact_phone", "is_active")


def _check_partner(partner: PartnerOrganisation) -> None:
    errors: dict[str, str] = {}
    partner.name = partner.name.strip()
    partner.contact_email = partner.contact_email.strip().lower()
    partner.contact_phone = partner.contact_phone.strip()
    if not partner.name:
        errors["name"] = _("Enter the partner's name, for example “Bayview Hospital, inpatient unit”.")
    elif (
        PartnerOrganisation.objects.filter(organisation=partner.organisation_id, name__iexact=partner.name)
        .exclude(pk=partner.pk)
        .exists()
    ):
        errors["name"] = _("A partner with this name is already listed.")
    if partner.kind not in PartnerKind.values:
        errors["kind"] = _("Choose one of the listed kinds.")
    if errors:
        raise ValidationError(errors)
    partner.full_clean(exclude=["organisation", "referrers"], validate_constraints=False)


@transaction.atomic
def partner_create(
    *,
    acting_user: User,
    organisation: Organisation,
    name: str,
    kind: str = PartnerKind.OTHER,
    contact_email: str = "",
    contact_phone: str = "",
    is_active: bool = True,
) -> PartnerOrganisation:
    """A care team that sends referrals (a hospital unit, a clinic)."""
    partner = PartnerOrganisation(
        organisation=organisation,
        name=name,
        kind=kind,
        contact_email=contact_email,
        contact_phone=contact_phone,
        is_active=is_active,
    )
    _check_partner(partner)
    partner.save()
    record(acting_user, "partner.create", partner)
    return partner


@transaction.atomic
def partner_update(*, acting_user: User, partner: PartnerOrganisation, **fields: Any) -> PartnerOrganisation:
    partner = PartnerOrganisation.objects.select_for_update().get(pk=partner.pk, organisation=partner.organisation_id)
    changed = apply_changes(partner, fields, PARTNER_FIELDS)
    if changed:
        _check_partner(partner)
        partner.save(update_fields=[*PARTNER_FIELDS, "updated_at"])
        record(acting_user, "partner.update", partner)
    return partner


@transaction.atomic
def partner_set_referrers(
    *, acting_user: User, partner: PartnerOrganisation, referrers: Iterable[User]
) -> PartnerOrganisation:
    """Which referrer accounts refer on this partner's behalf (members with the referrer role)."""
    chosen = {user.pk: user for user in referrers}
    allowed = set(active_referrers(partner.organisation).filter(pk__in=list(chosen)).values_list("pk", flat=True))
    if set(chosen) - allowed:
        raise ValidationError({"referrers": _("Choose people who hold the referrer role in this organisation.")})
    current = set(partner.referrers.values_list("pk", flat=True))
    if current != set(chosen):
        partner.referrers.set(list(chosen.values()))
        record(acting_user, "partner.set_referrers", partner)
    return partner


# --- The referral form (one transaction: the person, the signed form, the referral) ------------


def _upload_errors(upload: UploadedFile) -> str:
    """The upload's problem in plain words, or "" when it is a PDF, PNG or JPEG within the limit."""
    from alongside.people import documents

    try:
        documents.validate_upload(upload)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def _as_consent_document_error(exc: ValidationError) -> ValidationError:
    """consent_grant's and the upload's errors, said about the uploaded form (the field the person sees)."""
    keys = set(getattr(exc, "error_dict", {}))
    if "part2" in keys:
        message = _(
            "These records are covered by 42 CFR Part 2, which needs a Part 2 consent with more details. "
            "Record it on the person's record first, then choose it here."
        )
    elif "given_by" in keys or "guardian" in keys:
        message = _(
            "At this age a parent or legal guardian gives this consent. Record it on the person's record first, "
            "with the guardian's name, then choose it here."
        )
    else:
        message = " ".join(exc.messages)
    return ValidationError({"consent_document": message})


def recipient_name(*, referrer: User | None, partner: PartnerOrganisation | None) -> str:
    """Whom a consent to share updates names: the referrer by name, else the partner (as
    ``referrer_recipient`` does for a saved referral)."""
    if referrer is not None:
        return referrer.display_name
    if partner is not None:
        return partner.name
    return ""


@transaction.atomic
def referral_submit(
    *,
    acting_user: User,
    organisation: Organisation,
    reason: str,
    urgency: str,
    consent_attested: bool,
    participant: Participant | None = None,
    new_person: dict[str, Any] | None = None,
    partner: PartnerOrganisation | None = None,
    referrer: User | None = None,
    discharge_date: date | None = None,
    consent: Consent | None = None,
    consent_document: UploadedFile | None = None,
) -> Referral:
    """A referral as the form sends it, all or nothing.

    The person is either ``participant`` (already known) or ``new_person`` (``preferred_name``, and
    ``email`` or ``phone``, optional ``date_of_birth``), recorded as an enquiry from a referral. With
    ``consent_document`` (the signed form, uploaded) a written consent to share updates with the
    referrer (or the partner) is recorded and the form kept with it. Any error leaves nothing written.
    """
    errors = _referral_errors(
        organisation,
        reason=reason,
        urgency=urgency,
        partner=partner,
        referrer=referrer,
        consent_attested=consent_attested,
    )
    if (participant is None) == (new_person is None):
        errors["participant"] = _("Choose the person, or give the details of someone new.")
    if new_person is not None:
        if not str(new_person.get("preferred_name", "")).strip():
            errors["preferred_name"] = _("Enter the name the person would like us to use.")
        if not str(new_person.get("email", "")).strip() and not str(new_person.get("phone", "")).strip():
            errors["email"] = _("Give an email address or a phone number, so we can reach them.")
    if consent is not None and consent_document is not None:
        errors["consent_document"] = _("Choose a recorded consent or upload a signed form, not both.")
    elif consent_document is not None:
        problem = _upload_errors(consent_document)
        if problem:
            errors["consent_document"] = problem
        elif not recipient_name(referrer=referrer, partner=partner):
            errors["consent_document"] = _(
                "Choose the referrer or the partner: the signed form says who may hear how it is going."
            )
    if discharge_date is not None:
        today = timezone.localdate()
        if not today - timedelta(days=365) <= discharge_date <= today + timedelta(days=90):
            errors["discharge_date"] = _("Enter a discharge date within the last year or the next 90 days.")
    if errors:
        raise ValidationError(errors)

    if new_person is not None:
        participant = services.participant_create(
            acting_user=acting_user,
            organisation=organisation,
            source=Source.REFERRAL,
            preferred_name=str(new_person["preferred_name"]).strip(),
            email=str(new_person.get("email", "")).strip().lower(),
            phone=str(new_person.get("phone", "")).strip(),
            date_of_birth=new_person.get("date_of_birth"),
        )
    assert participant is not None
    if consent_document is not None:
        from alongside.people import documents

        try:
            consent = services.consent_grant(
                acting_user=acting_user,
                participant=participant,
                purpose=ConsentPurpose.SHARE_REFERRER,
                given_by=ConsentGivenBy.SELF,
                method=ConsentMethod.WRITTEN,
                recipient=recipient_name(referrer=referrer, partner=partner),
            )
            documents.consent_document_attach(acting_user=acting_user, consent=consent, upload=consent_document)
        except ValidationError as exc:
            raise _as_consent_document_error(exc) from exc
    return referral_create(
        acting_user=acting_user,
        organisation=organisation,
        participant=participant,
        reason=reason,
        urgency=urgency,
        partner=partner,
        referrer=referrer,
        discharge_date=discharge_date,
        consent_attested=consent_attested,
        consent=consent,
    )


def referral_viewed(*, acting_user: User, referral: Referral) -> None:
    """A read of the reason (P3): every view of a referral is in the access log."""
    record(acting_user, "referral.view", referral)


# --- Access: the same 404 for a missing, foreign or someone else's referral ----------------------


def access_referral(org: OrgContext, referral_id: Any) -> Referral:
    """A referral of this organisation, for those who see the board (``referrals.view``)."""
    org.require("referrals.view")
    referral = (
        Referral.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(referral_id))
        .select_related("participant__organisation", "partner", "referrer", "consent", "created_by")
        .first()
    )
    if referral is None:
        raise Http404
    return referral


def access_own_referral(org: OrgContext, referral_id: Any) -> Referral:
    """One of the referrals this referrer made; anyone else's answers like a missing one."""
    org.require("referrals.view_own")
    referral = (
        Referral.objects.filter(organisation=org.organisation, referrer=org.user, pk=parse_uuid_or_404(referral_id))
        .select_related("participant__organisation", "partner", "referrer")
        .first()
    )
    if referral is None:
        raise Http404
    return referral


def access_partner(org: OrgContext, partner_id: Any, *, write: bool = False) -> PartnerOrganisation:
    org.require("partners.change" if write else "partners.view")
    partner = PartnerOrganisation.objects.filter(
        organisation=org.organisation, pk=parse_uuid_or_404(partner_id)
    ).first()
    if partner is None:
        raise Http404
    return partner


# --- Selectors for the pages --------------------------------------------------------------------

OPEN_STATUSES = (S.RECEIVED, S.CONTACT_ATTEMPTED, S.ENGAGED)


def active_referrers(organisation: Organisation) -> QuerySet[User]:
    """People who may be named as a referrer: an active referrer membership here."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation=organisation,
            memberships__role=Role.REFERRER,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def partner_list(organisation: Organisation, *, active_only: bool = False) -> QuerySet[PartnerOrganisation]:
    qs = PartnerOrganisation.objects.filter(organisation=organisation)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.prefetch_related("referrers").order_by("name")


def partners_of_referrer(organisation: Organisation, user: User) -> QuerySet[PartnerOrganisation]:
    """The active partners this referrer refers for."""
    return PartnerOrganisation.objects.filter(organisation=organisation, referrers=user, is_active=True).order_by(
        "name"
    )


def share_consents(participant: Participant) -> QuerySet[Consent]:
    """The person's current consents to share updates with a referrer (to choose on the form)."""
    return Consent.objects.filter(
        organisation=participant.organisation_id,
        participant=participant,
        purpose=ConsentPurpose.SHARE_REFERRER,
        withdrawn_at__isnull=True,
    ).order_by("-granted_at")


class ClockFacts(NamedTuple):
    """The few columns of a referral that the board filters on and the clocks read."""

    pk: Any
    organisation_id: Any
    participant_id: Any
    partner_id: Any
    status: str
    urgency: str
    received_at: datetime
    first_attempt_at: datetime | None
    engaged_at: datetime | None
    discharge_date: date | None


@dataclass(frozen=True)
class BoardItem:
    facts: ClockFacts
    clocks: list[Clock]

    @property
    def is_overdue(self) -> bool:
        return any(clock.is_overdue for clock in self.clocks)


def open_board(organisation: Organisation, now: datetime) -> list[BoardItem]:
    """Every open referral's clocks, longest waiting first, in two queries however many (a few
    columns of the referrals, and their people's contact times), without making model instances:
    the board counts, filters and pages this list, and reads only its page in full
    (``board_referrals``)."""
    facts = [
        ClockFacts(*row)
        for row in Referral.objects.filter(organisation=organisation, status__in=OPEN_STATUSES)
        .order_by("received_at", "id")
        .values_list(*ClockFacts._fields)
    ]
    times = _contact_times(facts)
    return [BoardItem(f, referral_clocks(f, now, times.get(f.participant_id, []))) for f in facts]


def board_referrals(organisation: Organisation, ids: list[Any]) -> dict[Any, Referral]:
    """One page of the board in full: the person's name, the partner, the referrer (never the
    reason or the person's notes, which would be decrypted for nothing)."""
    return {
        r.pk: r
        for r in Referral.objects.filter(organisation=organisation, pk__in=ids)
        .select_related("participant", "partner", "referrer")
        .defer("reason", "participant__notes")
    }


def my_referrals(organisation: Organisation, user: User) -> QuerySet[Referral]:
    """The referrals this referrer made, newest first; nothing about anyone else's."""
    return (
        Referral.objects.filter(organisation=organisation, referrer=user)
        .select_related("participant__organisation", "partner", "referrer")
        .defer("reason", "participant__notes")
        .order_by("-received_at", "id")
    )


def referral_events(referral: Referral) -> list[ReferralEvent]:
    return list(ReferralEvent.objects.filter(referral=referral).select_related("by").order_by("at", "id"))


# --- Clocks, as the pages show them ---------------------------------------------------------------

CLOCK_MET = "met"
CLOCK_MET_LATE = "met_late"
CLOCK_RUNNING = "running"
CLOCK_OVERDUE = "overdue"
CLOCK_NOT_MET = "not_met"  # the referral closed without meeting it
CLOCK_STOPPED = "stopped"  # closed before the clock mattered (no first attempt needed any more)


@dataclass(frozen=True)
class Clock:
    """One clock of a referral: which, when it is due (a time, or a day for the follow-ups), its
    state, and how late it is when overdue."""

    name: str
    due: datetime | date
    state: str
    late_by: timedelta | None = None

    @property
    def is_overdue(self) -> bool:
        return self.state == CLOCK_OVERDUE


def referral_clocks(
    referral: ClockSubject, now: datetime, contact_times: Iterable[datetime] | None = None
) -> list[Clock]:
    """Every clock of a referral with its state at ``now``. The overdue ones are exactly those
    ``overdue`` names (a test holds the two together)."""
    is_open = referral.status not in REFERRAL_FINAL_STATUSES
    due = first_attempt_due(referral)
    clocks: list[Clock] = []
    if referral.first_attempt_at is not None:
        state = CLOCK_MET if referral.first_attempt_at <= due else CLOCK_MET_LATE
        clocks.append(Clock(CLOCK_FIRST_ATTEMPT, due, state))
    elif not is_open:
        clocks.append(Clock(CLOCK_FIRST_ATTEMPT, due, CLOCK_STOPPED))
    elif now > due:
        clocks.append(Clock(CLOCK_FIRST_ATTEMPT, due, CLOCK_OVERDUE, now - due))
    else:
        clocks.append(Clock(CLOCK_FIRST_ATTEMPT, due, CLOCK_RUNNING))
    if referral.discharge_date is None:
        return clocks
    if contact_times is None:
        contact_times = _contact_times([referral]).get(referral.participant_id, [])
    times = list(contact_times)
    today = timezone.localdate(now)
    for name, day in ((CLOCK_FOLLOW_UP_7, follow_up_7_due(referral)), (CLOCK_FOLLOW_UP_30, follow_up_30_due(referral))):
        assert day is not None
        if _follow_up_met(referral, day, times):
            clocks.append(Clock(name, day, CLOCK_MET))
        elif today <= day:
            clocks.append(Clock(name, day, CLOCK_RUNNING if is_open else CLOCK_STOPPED))
        elif is_open:
            clocks.append(Clock(name, day, CLOCK_OVERDUE, timedelta(days=(today - day).days)))
        else:
            clocks.append(Clock(name, day, CLOCK_NOT_MET))
    return clocks


def follow_up_period(days: int, today: date | None = None) -> tuple[date, date]:
    """The discharge days [start, end) of "the last ``days`` days"."""
    today = today or timezone.localdate()
    return today - timedelta(days=days), today + timedelta(days=1)


# --- What the referrer may see, for a page of referrals at once -----------------------------------


def referrer_visibility(referrals: list[Referral], at: datetime | None = None) -> dict[Any, bool]:
    """``referrer_may_see_status`` for many referrals in one query.

    The same rule as ``services.consent_covers`` (current, not expired, naming this recipient, a Part
    2 consent for Part 2 records, only the young person's own consent once they may give it), applied
    to the consents read at once; ``tests/people/test_referral_pages.py`` checks that the two agree.
    Each referral's participant must come with its organisation (``select_related``).
    """
    if not referrals:
        return {}
    moment = at or timezone.now()
    consents: dict[Any, list[Consent]] = defaultdict(list)
    for consent in Consent.objects.filter(
        organisation=referrals[0].organisation_id,
        participant__in={r.participant_id for r in referrals},
        purpose=ConsentPurpose.SHARE_REFERRER,
        withdrawn_at__isnull=True,
        granted_at__lte=moment,
    ):
        consents[consent.participant_id].append(consent)
    visible: dict[Any, bool] = {}
    for referral in referrals:
        recipient = referrer_recipient(referral).strip().casefold()
        participant = referral.participant
        rule = services.consent_rule(participant, on=moment.date())
        visible[referral.pk] = bool(recipient) and any(
            (consent.valid_until is None or consent.valid_until >= moment.date())
            and consent.recipient.casefold() == recipient
            and (not participant.part2 or consent.part2)  # a sharing purpose: Part 2 records need Part 2
            and not (rule.is_minor and rule.may_consent_alone and consent.given_by != ConsentGivenBy.SELF)
            for consent in consents.get(referral.participant_id, [])
        )
    return visible
