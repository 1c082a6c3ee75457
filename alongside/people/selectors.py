"""Reads about people, already scoped (see access.visible_participants for the record scope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When

from alongside.accounts.access import OrgContext
from alongside.accounts.models import Organisation, Role, User
from alongside.people.access import supported_by, visible_participants
from alongside.people.models import (
    Consent,
    ContactRecord,
    Enrolment,
    FamilyLink,
    Guardian,
    LivedExperienceTerm,
    Participant,
    ParticipantExperience,
    ParticipantStatus,
    PeerProfile,
)


def intake_queue(org: OrgContext) -> QuerySet[Participant]:
    """Enquiries not yet taken on: those crisis screening marked urgent first, then check in, then
    longest waiting first (never a record the person asked to erase)."""
    rank = Case(
        When(screening_tier="urgent", then=Value(0)),
        When(screening_tier="check_in", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        visible_participants(org)
        .filter(status=ParticipantStatus.ENQUIRY, erasure_requested_at__isnull=True, anonymised_at__isnull=True)
        .order_by(rank, "created_at")
    )


def caseload(org: OrgContext) -> QuerySet[Participant]:
    """The people this peer supporter supports (assigned, or through a mentorship) who are still
    being supported, with their last contact."""
    return (
        visible_participants(org)
        .filter(supported_by(org.organisation.pk, [org.user.pk]))
        .filter(erasure_requested_at__isnull=True, anonymised_at__isnull=True)
        .exclude(status=ParticipantStatus.CLOSED)
        .annotate(last_contact=Max("contacts__occurred_at"), contact_count=Count("contacts"))
        .order_by("preferred_name")
    )


def participant_list(org: OrgContext, *, status: str = "", query: str = "") -> QuerySet[Participant]:
    qs = visible_participants(org).select_related("assigned_peer")
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(preferred_name__icontains=query) | Q(legal_name__icontains=query))
    return qs.order_by("preferred_name", "created_at")


def possible_duplicates(
    organisation: Organisation,
    *,
    preferred_name: str,
    date_of_birth: date | None = None,
    email: str = "",
    phone: str = "",
    exclude_id: UUID | None = None,
) -> list[Participant]:
    """Same name and birth date, or the same email or phone: likely the same person."""
    match = Q(pk__in=[])
    if preferred_name and date_of_birth:
        match |= Q(preferred_name__iexact=preferred_name.strip(), date_of_birth=date_of_birth)
    if email.strip():
        match |= Q(email__iexact=email.strip())
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) >= 7:
        # The last ten digits: the same number with or without a country code.
        match |= Q(phone_digits__endswith=digits[-10:])
    qs = Participant.objects.filter(organisation=organisation, merged_into__isnull=True).filter(match)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by("created_at")[:10])


@dataclass
class ParticipantProfile:
    participant: Participant
    enrolments: list[Enrolment]
    consents: list[Consent]
    contacts: list[ContactRecord]
    family: list[FamilyLink]
    family_of: list[FamilyLink]
    guardians: list[Guardian]
    experiences: list[ParticipantExperience]


def participant_profile(participant: Participant, *, contacts: int = 20) -> ParticipantProfile:
    """Everything the profile page shows, in a fixed number of queries."""
    return ParticipantProfile(
        participant=participant,
        enrolments=list(Enrolment.objects.filter(participant=participant).select_related("program")),
        consents=list(
            Consent.objects.filter(participant=participant).select_related("guardian", "recorded_by", "withdrawn_by")
        ),
        contacts=list(
            ContactRecord.objects.filter(participant=participant).select_related("peer", "program")[:contacts]
        ),
        family=list(FamilyLink.objects.filter(family_member=participant).select_related("loved_one")),
        family_of=list(FamilyLink.objects.filter(loved_one=participant).select_related("family_member")),
        guardians=list(Guardian.objects.filter(participant=participant)),
        experiences=list(ParticipantExperience.objects.filter(participant=participant).select_related("term")),
    )


def vocabulary(organisation: Organisation) -> QuerySet[LivedExperienceTerm]:
    return LivedExperienceTerm.objects.filter(organisation=organisation, is_active=True).order_by("category", "label")


def peer_profile(organisation: Organisation, user_id: UUID) -> PeerProfile | None:
    return (
        PeerProfile.objects.filter(organisation=organisation, user_id=user_id)
        .prefetch_related("shared_experiences")
        .first()
    )


# --- Added for the participant pages (people/views/participants.py) -----------------------------


def active_peers(organisation: Organisation) -> QuerySet[User]:
    """Peer supporters who may be chosen for someone: an active peer membership here."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation=organisation,
            memberships__role=Role.PEER,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


# --- Added for the record pages (people/views/records.py) ------------------------------------


def participant_consent(participant: Participant, consent_id: str) -> Consent | None:
    """One consent of this participant, or None (a malformed id is simply not found)."""
    try:
        pk = UUID(str(consent_id))
    except ValueError:
        return None
    return Consent.objects.filter(organisation=participant.organisation_id, participant=participant, pk=pk).first()
