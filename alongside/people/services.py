"""Every write about people: keyword-only, takes the acting user, atomic, audited.

``consent_covers`` is the one question every sharing path asks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alongside.accounts.models import Membership, Organisation, Program, Role, User
from alongside.audit.services import record
from alongside.core.services import apply_changes
from alongside.people.models import (
    SHARING_PURPOSES,
    AgeBand,
    ClosedReason,
    Consent,
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    ContactRecord,
    Enrolment,
    EnrolmentStatus,
    ExperienceCategory,
    FamilyLink,
    Guardian,
    LivedExperienceTerm,
    Participant,
    ParticipantExperience,
    ParticipantStatus,
    PeerProfile,
    Source,
)

# --- The lived-experience vocabulary ------------------------------------------------------------

DEFAULT_VOCABULARY: dict[str, list[str]] = {
    ExperienceCategory.MENTAL_HEALTH: [
        "Depression",
        "Anxiety",
        "Bipolar",
        "Psychosis / hearing voices",
        "Eating disorders",
        "Self-harm",
        "Suicide-attempt survivor",
        "PTSD",
    ],
    ExperienceCategory.TRAUMA: [
        "Childhood trauma",
        "Domestic violence",
        "Sexual violence",
        "Combat",
        "Community violence",
    ],
    ExperienceCategory.SUBSTANCE_USE: [
        "Alcohol",
        "Opioids",
        "Stimulants",
        "Cannabis",
        "Gambling",
        "Medication-assisted recovery",
    ],
    ExperienceCategory.LIFE: [
        "Homelessness",
        "Incarceration",
        "Foster care",
        "Military service",
        "Grief and loss",
        "Chronic illness",
        "Disability",
        "Immigration",
    ],
    ExperienceCategory.FAMILY: [
        "Parent or caregiver of someone with a mental-health condition",
        "Partner",
        "Sibling",
        "Young carer",
    ],
    ExperienceCategory.IDENTITY: ["LGBTQ+", "BIPOC", "Faith", "Language"],
}

logger = logging.getLogger(__name__)


@transaction.atomic
def vocabulary_ensure_defaults(*, acting_user: User | None, organisation: Organisation) -> int:
    """Give an organisation the default vocabulary (DOMAIN.md §9); existing terms are kept."""
    existing = set(LivedExperienceTerm.objects.filter(organisation=organisation).values_list("category", "label"))
    new = [
        LivedExperienceTerm(organisation=organisation, category=category, label=label)
        for category, labels in DEFAULT_VOCABULARY.items()
        for label in labels
        if (category, label) not in existing
    ]
    LivedExperienceTerm.objects.bulk_create(new)
    if new:
        record(acting_user, "vocabulary.load_defaults", organisation, object_type="people.livedexperienceterm")
    return len(new)


# --- Participants -------------------------------------------------------------------------------

PARTICIPANT_FIELDS = (
    "preferred_name",
    "legal_name",
    "pronouns",
    "date_of_birth",
    "age_band",
    "languages",
    "email",
    "phone",
    "preferred_contact",
    "safe_to_voicemail",
    "safe_to_text",
    "safe_to_email",
    "postcode",
    "accessibility_needs",
    "looking_for_mentorship",
    "looking_for_groups",
    "looking_for_warmline",
    "notes",
    "part2",
)


def phone_digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def _check_dob(value: date | None) -> None:
    if value is not None and (value > timezone.localdate() or value.year < 1900):
        raise ValidationError({"date_of_birth": _("Enter a date of birth in the past, or leave it empty.")})


def _check_peer(organisation: Organisation, peer: User | None) -> None:
    if peer is None:
        return
    if not Membership.objects.filter(organisation=organisation, user=peer, role=Role.PEER, is_active=True).exists():
        raise ValidationError({"assigned_peer": _("Choose a peer supporter of this organisation.")})


@transaction.atomic
def participant_create(
    *,
    acting_user: User | None,
    organisation: Organisation,
    source: str = Source.STAFF,
    assigned_peer: User | None = None,
    **fields: Any,
) -> Participant:
    participant = Participant(organisation=organisation, source=source, created_by=acting_user)
    apply_changes(participant, fields, PARTICIPANT_FIELDS)
    participant.preferred_name = participant.preferred_name.strip()
    participant.phone_digits = phone_digits(participant.phone)
    if not participant.preferred_name:
        raise ValidationError({"preferred_name": _("Enter the name this person would like us to use.")})
    _check_dob(participant.date_of_birth)
    _check_peer(organisation, assigned_peer)
    participant.assigned_peer = assigned_peer
    participant.full_clean(exclude=["created_by", "assigned_peer", "merged_into"])
    participant.save()
    record(acting_user, "participant.create", participant)
    return participant


@transaction.atomic
def participant_update(*, acting_user: User, participant: Participant, **fields: Any) -> Participant:
    participant = Participant.objects.select_for_update().get(
        pk=participant.pk, organisation=participant.organisation_id
    )
    refuse_if_restricted(participant)
    changed = apply_changes(participant, fields, PARTICIPANT_FIELDS)
    if "date_of_birth" in changed:
        _check_dob(participant.date_of_birth)
    if "phone" in changed:
        participant.phone_digits = phone_digits(participant.phone)
        changed.append("phone_digits")
    if changed:
        participant.full_clean(exclude=["created_by", "assigned_peer", "merged_into"])
        participant.save(update_fields=[*changed, "updated_at"])
        record(acting_user, "participant.update", participant)
    return participant


@transaction.atomic
def participant_set_status(
    *, acting_user: User, participant: Participant, status: str, closed_reason: str = ""
) -> Participant:
    participant = Participant.objects.select_for_update().get(
        pk=participant.pk, organisation=participant.organisation_id
    )
    refuse_if_restricted(participant)
    if status not in ParticipantStatus.values:
        raise ValidationError({"status": _("Choose one of the listed statuses.")})
    if status == ParticipantStatus.CLOSED:
        if closed_reason not in ClosedReason.values:
            raise ValidationError({"closed_reason": _("Say why the record is being closed.")})
        participant.closed_reason = closed_reason
        participant.closed_at = timezone.now()
    else:
        participant.closed_reason = ""
        participant.closed_at = None
    participant.status = status
    participant.save(update_fields=["status", "closed_reason", "closed_at", "updated_at"])
    record(acting_user, f"participant.status.{status}", participant)
    return participant


@transaction.atomic
def participant_assign_peer(*, acting_user: User, participant: Participant, peer: User | None) -> Participant:
    if peer is not None:
        refuse_if_restricted(participant)
    _check_peer(participant.organisation, peer)
    Participant.objects.filter(pk=participant.pk).update(assigned_peer=peer, updated_at=timezone.now())
    participant.assigned_peer = peer
    record(acting_user, "participant.assign_peer", participant)
    return participant


def refuse_if_restricted(participant: Participant) -> None:
    """Participants' rights (people/rights.py): nothing new is added to a record the person asked
    to erase, or to one already anonymised."""
    if participant.erasure_requested_at is not None or participant.anonymised_at is not None:
        raise ValidationError(
            {
                "participant": _(
                    "This record is restricted because the person asked for it to be erased, so nothing new can "
                    "be added to it."
                )
            }
        )


def participant_viewed(*, acting_user: User, participant: Participant) -> None:
    """A read of the record (P2/P3): every view is in the access log (SECURITY.md)."""
    record(acting_user, "participant.view", participant)


# Models whose rows participant_merge moves itself (duplicates removed, two foreign keys, ...).
_MERGED_BY_HAND = frozenset({"people.familylink", "people.enrolment", "people.participantexperience"})
# {model label: handler(keep, duplicate)} for rows that need more than a repointed foreign key.
MERGE_HANDLERS: dict[str, Callable[[Participant, Participant], None]] = {}


def register_merge_handler(label: str, handler: Callable[[Participant, Participant], None]) -> None:
    """An app whose rows about a person need care when two records merge (e.g. one open request
    per program) registers how to move them, in its AppConfig.ready()."""
    MERGE_HANDLERS[label] = handler


def _merge_related_rows(keep: Participant, duplicate: Participant) -> None:
    for relation in Participant._meta.related_objects:
        model = relation.related_model
        assert not isinstance(model, str)  # resolved once the apps are loaded
        label = model._meta.label_lower
        if not relation.one_to_many or label in _MERGED_BY_HAND or model is Participant:
            continue
        if label in MERGE_HANDLERS:
            MERGE_HANDLERS[label](keep, duplicate)
            continue
        field = relation.field.name
        model._base_manager.filter(**{field: duplicate}).update(**{field: keep})


@transaction.atomic
def participant_merge(*, acting_user: User, keep: Participant, duplicate: Participant) -> Participant:
    """Fold a duplicate record into ``keep``: its history moves over, the duplicate is closed."""
    if keep.pk == duplicate.pk or keep.organisation_id != duplicate.organisation_id:
        raise ValidationError(_("Choose two different records of this organisation."))
    if duplicate.merged_into_id is not None:
        raise ValidationError(_("That record was already merged."))
    refuse_if_restricted(keep)
    refuse_if_restricted(duplicate)
    org_id = keep.organisation_id
    # Rows other apps keep about the person (contacts, consents, referrals, match requests, ...)
    # move over: by a handler the app registered, else by repointing the foreign key.
    _merge_related_rows(keep, duplicate)
    FamilyLink.objects.filter(organisation=org_id, family_member=duplicate).exclude(loved_one=keep).update(
        family_member=keep
    )
    FamilyLink.objects.filter(organisation=org_id, loved_one=duplicate).exclude(family_member=keep).update(
        loved_one=keep
    )
    kept_programs = set(
        Enrolment.objects.filter(participant=keep, status=EnrolmentStatus.ACTIVE).values_list("program_id", flat=True)
    )
    for enrolment in Enrolment.objects.filter(organisation=org_id, participant=duplicate):
        if enrolment.status == EnrolmentStatus.ACTIVE and enrolment.program_id in kept_programs:
            enrolment.status = EnrolmentStatus.ENDED
            enrolment.ended_on = timezone.localdate()
        enrolment.participant = keep
        enrolment.save(update_fields=["participant", "status", "ended_on", "updated_at"])
    kept_terms = set(ParticipantExperience.objects.filter(participant=keep).values_list("term_id", flat=True))
    ParticipantExperience.objects.filter(participant=duplicate).exclude(term_id__in=kept_terms).update(participant=keep)
    ParticipantExperience.objects.filter(participant=duplicate).delete()  # the kept record's choice stands
    # Fill what the kept record lacks; never overwrite what it has.
    fill = [
        f for f in PARTICIPANT_FIELDS if f not in {"notes", "part2"} and not getattr(keep, f) and getattr(duplicate, f)
    ]
    for name in fill:
        setattr(keep, name, getattr(duplicate, name))
    if "phone" in fill:
        keep.phone_digits = phone_digits(keep.phone)
        fill.append("phone_digits")
    if duplicate.notes:
        keep.notes = "\n\n".join(part for part in (keep.notes, duplicate.notes) if part)
        fill.append("notes")
    keep.part2 = keep.part2 or duplicate.part2
    keep.save(update_fields=[*fill, "part2", "updated_at"])
    Participant.objects.filter(pk=duplicate.pk).update(
        status=ParticipantStatus.CLOSED,
        closed_reason=ClosedReason.MERGED,
        closed_at=timezone.now(),
        merged_into=keep,
        updated_at=timezone.now(),
    )
    record(acting_user, "participant.merge", keep)
    record(acting_user, "participant.merged_away", duplicate)
    return keep


@transaction.atomic
def participant_set_experiences(
    *, acting_user: User, participant: Participant, selections: dict[LivedExperienceTerm, bool]
) -> None:
    """Replace the person's lived-experience selections ({term: may be used for matching})."""
    refuse_if_restricted(participant)
    for term in selections:
        if term.organisation_id != participant.organisation_id or not term.is_active:
            raise ValidationError({"experiences": _("Choose from this organisation's list.")})
    ParticipantExperience.objects.filter(participant=participant).exclude(term__in=list(selections)).delete()
    existing = {pe.term_id: pe for pe in ParticipantExperience.objects.filter(participant=participant)}
    for term, use in selections.items():
        current = existing.get(term.pk)
        if current is None:
            ParticipantExperience.objects.create(
                organisation=participant.organisation, participant=participant, term=term, use_for_matching=use
            )
        elif current.use_for_matching != use:
            current.use_for_matching = use
            current.save(update_fields=["use_for_matching"])
    record(acting_user, "participant.update_experiences", participant)


# --- Programs, family, guardians ----------------------------------------------------------------


@transaction.atomic
def enrolment_start(*, acting_user: User, participant: Participant, program: Program) -> Enrolment:
    refuse_if_restricted(participant)
    if program.organisation_id != participant.organisation_id or not program.is_active:
        raise ValidationError({"program": _("Choose an active program of this organisation.")})
    youth_only = program.serves_youth and not (program.serves_adults or program.serves_families)
    if youth_only:
        age = participant_age(participant)
        org = participant.organisation
        if age is not None and not (org.youth_min_age <= age <= org.youth_max_age):
            raise ValidationError(
                {
                    "program": _("This youth program is for ages %(lo)d–%(hi)d.")
                    % {"lo": org.youth_min_age, "hi": org.youth_max_age}
                }
            )
    existing = Enrolment.objects.filter(participant=participant, program=program, status=EnrolmentStatus.ACTIVE).first()
    if existing:
        return existing
    enrolment = Enrolment.objects.create(
        organisation=participant.organisation, participant=participant, program=program, started_on=timezone.localdate()
    )
    if participant.status == ParticipantStatus.ENQUIRY:
        Participant.objects.filter(pk=participant.pk).update(status=ParticipantStatus.ACTIVE, updated_at=timezone.now())
        participant.status = ParticipantStatus.ACTIVE
    record(acting_user, "enrolment.start", enrolment)
    return enrolment


@transaction.atomic
def enrolment_end(*, acting_user: User, enrolment: Enrolment) -> Enrolment:
    if enrolment.status == EnrolmentStatus.ACTIVE:
        enrolment.status = EnrolmentStatus.ENDED
        enrolment.ended_on = timezone.localdate()
        enrolment.save(update_fields=["status", "ended_on", "updated_at"])
        record(acting_user, "enrolment.end", enrolment)
    return enrolment


@transaction.atomic
def family_link_create(
    *,
    acting_user: User,
    family_member: Participant,
    relationship: str,
    loved_one: Participant | None = None,
    loved_one_name: str = "",
) -> FamilyLink:
    refuse_if_restricted(family_member)
    if loved_one is not None:
        refuse_if_restricted(loved_one)
    if loved_one is not None and loved_one.organisation_id != family_member.organisation_id:
        raise ValidationError({"loved_one": _("Choose a person of this organisation.")})
    if loved_one is not None and loved_one.pk == family_member.pk:
        raise ValidationError({"loved_one": _("A person cannot be linked to themselves.")})
    if loved_one is None and not loved_one_name.strip():
        raise ValidationError({"loved_one_name": _("Give the loved one's first name, or choose their record.")})
    link = FamilyLink(
        organisation=family_member.organisation,
        family_member=family_member,
        loved_one=loved_one,
        loved_one_name=loved_one_name.strip(),
        relationship=relationship,
    )
    link.full_clean(exclude=["family_member", "loved_one"])
    link.save()
    record(acting_user, "family_link.create", link)
    return link


@transaction.atomic
def guardian_create(*, acting_user: User, participant: Participant, name: str, **fields: Any) -> Guardian:
    refuse_if_restricted(participant)
    guardian = Guardian(organisation=participant.organisation, participant=participant, name=name.strip(), **fields)
    guardian.full_clean(exclude=["participant"])
    guardian.save()
    record(acting_user, "guardian.create", guardian)
    return guardian


# --- Age and consent ----------------------------------------------------------------------------

_BAND_AGES: dict[str, int] = {
    AgeBand.UNDER_13: 12,
    AgeBand.TEEN: 13,
    AgeBand.YOUNG_ADULT: 18,
    AgeBand.ADULT: 26,
    AgeBand.OLDER_ADULT: 65,
}


def participant_age(participant: Participant, on: date | None = None) -> int | None:
    """Exact age from the date of birth; otherwise the youngest age of the age band (cautious)."""
    day = on or timezone.localdate()
    exact = participant.age_on(day)
    if exact is not None:
        return exact
    return _BAND_AGES.get(participant.age_band) if participant.age_band else None


@dataclass(frozen=True)
class ConsentRule:
    is_minor: bool
    may_consent_alone: bool


def consent_rule(participant: Participant, *, on: date | None = None) -> ConsentRule:
    """Who may consent for this person (standards §5.6; Part 2 §2.14 for substance-use records)."""
    org = participant.organisation
    age = participant_age(participant, on)
    if age is None or age >= org.age_of_majority:
        return ConsentRule(is_minor=False, may_consent_alone=True)
    threshold = org.minor_self_consent_age_substance_use if participant.part2 else org.minor_self_consent_age
    return ConsentRule(is_minor=True, may_consent_alone=age >= threshold)


@transaction.atomic
def consent_grant(
    *,
    acting_user: User,
    participant: Participant,
    purpose: str,
    given_by: str,
    method: str,
    recipient: str = "",
    guardian: Guardian | None = None,
    signature: str = "",
    witness: str = "",
    valid_until: date | None = None,
    part2: bool = False,
    part2_information: str = "",
    part2_discloser: str = "",
    part2_expiry_event: str = "",
) -> Consent:
    refuse_if_restricted(participant)
    errors: dict[str, str] = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Choose one of the listed purposes.")
    if method not in ConsentMethod.values:
        errors["method"] = _("Choose how consent was given.")
    if given_by not in ConsentGivenBy.values:
        errors["given_by"] = _("Say who gave consent.")
    recipient = recipient.strip()
    if purpose in SHARING_PURPOSES and not recipient:
        errors["recipient"] = _("Name who may receive the information.")
    if method == ConsentMethod.VERBAL and not witness.strip():
        errors["witness"] = _("Verbal consent needs the name of a witness.")
    if method == ConsentMethod.E_SIGNATURE and not signature.strip():
        errors["signature"] = _("An electronic signature needs the signer's typed name.")
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = _("Choose a date in the future, or leave it empty.")
    rule = consent_rule(participant)
    if given_by == ConsentGivenBy.GUARDIAN:
        if guardian is None or guardian.participant_id != participant.pk or not guardian.is_legal_guardian:
            errors["guardian"] = _("Choose this person's legal guardian.")
        elif not rule.is_minor:
            errors["given_by"] = _("An adult gives their own consent.")
        elif rule.may_consent_alone:
            # Where a young person may consent alone, only they may consent (Part 2 §2.14; HIPAA).
            errors["given_by"] = _("This young person may consent for themselves, so only they can give this consent.")
    elif rule.is_minor and not rule.may_consent_alone:
        errors["given_by"] = _("At this age a parent or guardian needs to give consent.")
    if participant.part2 and purpose in SHARING_PURPOSES and not part2:
        errors["part2"] = _("These records are covered by 42 CFR Part 2: use the Part 2 consent form.")
    if part2:
        for name, value in (
            ("part2_information", part2_information),
            ("part2_discloser", part2_discloser),
            ("part2_expiry_event", part2_expiry_event if valid_until is None else "date"),
        ):
            if not value.strip():
                errors[name] = _("A 42 CFR Part 2 consent needs this.")
        if method == ConsentMethod.VERBAL:
            errors["method"] = _("A 42 CFR Part 2 consent must be signed (electronically or on paper).")
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(
        organisation=participant.organisation,
        participant=participant,
        purpose=purpose,
        recipient=recipient,
        given_by=given_by,
        guardian=guardian if given_by == ConsentGivenBy.GUARDIAN else None,
        method=method,
        signature=signature.strip(),
        witness=witness.strip(),
        granted_at=timezone.now(),
        valid_until=valid_until,
        recorded_by=acting_user,
        part2=part2,
        part2_information=part2_information.strip(),
        part2_discloser=part2_discloser.strip(),
        part2_expiry_event=part2_expiry_event.strip(),
    )
    record(acting_user, "consent.grant", consent)
    return consent


@transaction.atomic
def consent_withdraw(*, acting_user: User | None, consent: Consent) -> Consent:
    """Withdrawal takes effect at once: the next ``consent_covers`` call already says no."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk, organisation=consent.organisation_id)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = acting_user
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        record(acting_user, "consent.withdraw", consent)
    return consent


def consent_covers(participant: Participant, purpose: str, *, recipient: str = "", at: datetime | None = None) -> bool:
    """Does a current consent cover this use? Every sharing path asks this, and only this."""
    if purpose not in ConsentPurpose.values:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    moment = at or timezone.now()
    candidates = Consent.objects.filter(
        organisation=participant.organisation_id,
        participant=participant,
        purpose=purpose,
        withdrawn_at__isnull=True,
        granted_at__lte=moment,
    )
    rule = consent_rule(participant, on=moment.date())
    for consent in candidates:
        if consent.valid_until is not None and consent.valid_until < moment.date():
            continue
        if purpose in SHARING_PURPOSES and consent.recipient.casefold() != recipient.strip().casefold():
            continue
        if participant.part2 and purpose in SHARING_PURPOSES and not consent.part2:
            continue
        if rule.is_minor and rule.may_consent_alone and consent.given_by != ConsentGivenBy.SELF:
            continue  # only the young person's own consent counts once they may give it
        return True
    return False


PART2_NOTICE = (
    "This record is protected by federal confidentiality rules (42 CFR part 2). 42 CFR part 2 prohibits "
    "unauthorized use or disclosure of these records. Federal law restricts any use of the information to "
    "investigate or prosecute with regard to a crime any patient with a substance use disorder, except as "
    "provided at 42 CFR 2.12(c)(5) and 2.65."
)


def redisclosure_notice(participant: Participant) -> str:
    """The notice attached to every disclosure of Part 2 records (empty for other records)."""
    return PART2_NOTICE if participant.part2 else ""


# --- Contact records ----------------------------------------------------------------------------


@transaction.atomic
def contact_record_create(
    *,
    acting_user: User,
    participant: Participant | None,
    organisation: Organisation,
    service_model: str,
    occurred_at: datetime,
    duration_minutes: int,
    mode: str,
    program: Program | None = None,
    topics: list[str] | None = None,
    notes: str = "",
    follow_up_needed: bool = False,
    peer: User | None = None,
) -> ContactRecord:
    if participant is not None and participant.organisation_id != organisation.pk:
        raise ValidationError({"participant": _("Choose a person of this organisation.")})
    if participant is not None:
        refuse_if_restricted(participant)
    if program is not None and program.organisation_id != organisation.pk:
        raise ValidationError({"program": _("Choose a program of this organisation.")})
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("A contact cannot be in the future.")})
    cleaned_topics = sorted({t.strip()[:60] for t in (topics or []) if t.strip()})
    contact = ContactRecord(
        organisation=organisation,
        participant=participant,
        program=program,
        service_model=service_model,
        occurred_at=occurred_at,
        duration_minutes=duration_minutes,
        mode=mode,
        peer=peer or acting_user,
        topics=cleaned_topics,
        notes=notes,
        follow_up_needed=follow_up_needed,
    )
    contact.full_clean(exclude=["participant", "program", "peer", "organisation"])
    contact.save()
    record(acting_user, "contact.create", contact)
    return contact


# --- Intake -------------------------------------------------------------------------------------


@transaction.atomic
def self_referral_submit(
    *,
    organisation: Organisation,
    preferred_name: str,
    email: str = "",
    phone: str = "",
    message: str = "",
    **fields: Any,
) -> Participant:
    """A person reaches out through the public form: only a first name and one way to reach them.
    Their message is screened for crisis signs: an urgent one goes to the top of the intake queue
    and the coordinators and admins are emailed at once (the email says only that one is waiting)."""
    from alongside.warmline import screening

    if not email.strip() and not phone.strip():
        raise ValidationError({"email": _("Give us an email address or a phone number, so we can reach you.")})
    verdict = screening.screen_door(message, organisation=organisation, door="reach-out form")
    participant = participant_create(
        acting_user=None,
        organisation=organisation,
        source=Source.SELF_REFERRAL,
        preferred_name=preferred_name,
        email=email.strip().lower(),
        phone=phone.strip(),
        notes=message.strip(),
        **fields,
    )
    if verdict.flag:
        participant.screening_tier = verdict.tier
        participant.screening_concepts = list(verdict.concepts)
        participant.save(update_fields=["screening_tier", "screening_concepts", "updated_at"])
        record(None, "enquiry.screening_flag", participant)
        if verdict.urgent:
            alert_urgent_screening(
                organisation=organisation,
                link=settings.SITE_URL + reverse("people:intake_queue", args=[organisation.slug]),
                where=_("the reach-out form"),
                object_id=participant.pk,
            )
    return participant


def alert_urgent_screening(*, organisation: Organisation, link: str, where: Any, object_id: Any) -> None:
    """Email the organisation's active coordinators and admins, after commit, that crisis
    screening found signs of danger in something a person just wrote (``where``: "the reach-out
    form"), with the page to open: never the person's name or words (email is not for P2/P3)."""
    users = {
        m.user_id: m.user
        for m in Membership.objects.filter(
            organisation=organisation, is_active=True, role__in=[Role.COORDINATOR, Role.ADMIN], user__is_active=True
        ).select_related("user")
    }
    messages = []
    for user in users.values():
        if not user.email:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("Urgent: someone may be in danger (%(org)s)") % {"org": organisation.name}
            body = _(
                "Someone wrote to %(org)s through %(where)s, and crisis screening found signs that they may be in "
                "danger now. Please contact them as soon as you can; they were shown the crisis options.\n\n"
                "Open: %(link)s\n\nThis email holds no name or message on purpose."
            ) % {"org": organisation.name, "where": where, "link": link}
        messages.append(EmailMessage(subject=subject, body=body, to=[user.email]))

    def send() -> None:
        for message in messages:
            try:
                message.send(fail_silently=False)
            except Exception as exc:  # one failed email must not stop the others
                logger.error("urgent screening alert not sent (%s): %s", object_id, type(exc).__name__)

    transaction.on_commit(send)


# --- Peer supporter profiles --------------------------------------------------------------------

PEER_PROFILE_FIELDS = (
    "bio",
    "languages",
    "specialties",
    "modalities",
    "service_area",
    "availability",
    "caseload_limit",
    "status",
)


@transaction.atomic
def peer_profile_update(
    *,
    acting_user: User,
    organisation: Organisation,
    user: User,
    shared_experiences: list[LivedExperienceTerm] | None = None,
    **fields: Any,
) -> PeerProfile:
    if not Membership.objects.filter(organisation=organisation, user=user, role=Role.PEER, is_active=True).exists():
        raise ValidationError(_("Only peer supporters have a peer profile."))
    profile, created = PeerProfile.objects.get_or_create(organisation=organisation, user=user)
    changed = apply_changes(profile, fields, PEER_PROFILE_FIELDS)
    if changed:
        profile.full_clean(exclude=["user", "organisation"])
        profile.save(update_fields=[*changed, "updated_at"])
    if shared_experiences is not None:
        if any(t.organisation_id != organisation.pk for t in shared_experiences):
            raise ValidationError({"shared_experiences": _("Choose from this organisation's list.")})
        profile.shared_experiences.set(shared_experiences)
    if created or changed or shared_experiences is not None:
        record(acting_user, "peer_profile.update", profile)
    return profile


# --- Participants' rights: export ---------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


@dataclass(frozen=True)
class ExportSection:
    """Rows another app holds about a person, for their export: a title, and one flat dict per row
    (values already plain: strings, numbers, dates as ISO text)."""

    title: Any
    rows: Callable[[Participant], list[dict[str, Any]]]


# {key: section}: apps register theirs in AppConfig.ready() (e.g. matching: requests, mentorships).
EXPORT_SECTIONS: dict[str, ExportSection] = {}


def register_export_section(key: str, section: ExportSection) -> None:
    EXPORT_SECTIONS[key] = section


def export_more_sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The registered sections of an export, for the readable page and the PDF:
    [{"title", "items"}], each item a list of (label in words, value as text) pairs."""
    sections = []
    for meta in data.get("more", []):
        items = [
            [(key.replace("_", " ").capitalize(), "" if value is None else _plain(value)) for key, value in row.items()]
            for row in data.get(meta["key"], [])
        ]
        sections.append({"title": meta["title"], "items": items})
    return sections


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items() if v not in (None, "", []))
    return str(value)


def participant_export(*, acting_user: User | None, participant: Participant) -> dict[str, Any]:
    """Everything held about one person, for them (right of access) or a consented disclosure.

    ``acting_user`` is None when the person downloads their own copy through their private access
    link (no account); the audit row then names the role "participant". Audited as
    ``participant.export``. Part 2 records carry the redisclosure notice.
    """
    from alongside.people.documents import consent_documents
    from alongside.people.models import Referral
    from alongside.people.selectors import participant_profile

    profile = participant_profile(participant, contacts=100_000)
    fields = [f for f in PARTICIPANT_FIELDS if f != "part2"]
    # Signed forms: names and checksums only, never the files themselves.
    documents = list(consent_documents(participant))
    referrals = list(
        Referral.objects.filter(participant=participant)
        .select_related("partner", "referrer")
        .prefetch_related("events")
        .order_by("received_at")
    )
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "organisation": participant.organisation.name,
        "redisclosure_notice": redisclosure_notice(participant),
        "participant": {
            "id": str(participant.pk),
            **{name: _iso(getattr(participant, name)) for name in fields},
            "status": participant.status,
            "closed_reason": participant.closed_reason,
            "source": participant.source,
            "covered_by_42_cfr_part_2": participant.part2,
            "peer_supporter": participant.assigned_peer.display_name if participant.assigned_peer else None,
            "created_at": participant.created_at.isoformat(),
        },
        "programs": [
            {
                "program": e.program.name,
                "status": e.status,
                "started_on": _iso(e.started_on),
                "ended_on": _iso(e.ended_on),
            }
            for e in profile.enrolments
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "recipient": c.recipient,
                "given_by": c.given_by,
                "guardian": c.guardian.name if c.guardian else None,
                "method": c.method,
                "granted_at": _iso(c.granted_at),
                "valid_until": _iso(c.valid_until),
                "withdrawn_at": _iso(c.withdrawn_at),
                "part2": c.part2,
                "documents": [d.filename for d in documents if d.consent_id == c.pk],
            }
            for c in profile.consents
        ],
        "consent_documents": [
            {
                "filename": d.filename,
                "content_type": d.content_type,
                "size": d.size,
                "sha256": d.sha256,
                "uploaded_at": _iso(d.uploaded_at),
                "uploaded_by": d.uploaded_by.display_name if d.uploaded_by else None,
                "consent_purpose": d.consent.purpose if d.consent else None,
            }
            for d in documents
        ],
        "referrals": [
            {
                "partner": r.partner.name if r.partner else None,
                "referrer": r.referrer.display_name if r.referrer else None,
                "received_at": _iso(r.received_at),
                "urgency": r.urgency,
                "status": r.status,
                "discharge_date": _iso(r.discharge_date),
                "reason": r.reason,
                "closed_at": _iso(r.closed_at),
                "history": [{"status": e.status, "at": _iso(e.at)} for e in r.events.all()],
            }
            for r in referrals
        ],
        "contacts": [
            {
                "occurred_at": _iso(c.occurred_at),
                "minutes": c.duration_minutes,
                "mode": c.mode,
                "kind_of_support": c.service_model,
                "program": c.program.name if c.program else None,
                "peer_supporter": c.peer.display_name,
                "topics": c.topics,
                "notes": c.notes,
                "follow_up_needed": c.follow_up_needed,
            }
            for c in profile.contacts
        ],
        "family": [
            {
                "relationship": link.relationship,
                "loved_one": link.loved_one.preferred_name if link.loved_one else link.loved_one_name,
            }
            for link in profile.family
        ],
        "guardians": [
            {"name": g.name, "relationship": g.relationship, "phone": g.phone, "email": g.email}
            for g in profile.guardians
        ],
        "lived_experience": [
            {"experience": e.term.label, "use_for_matching": e.use_for_matching} for e in profile.experiences
        ],
    }
    # What other parts of Alongside hold about the person, each under its own key, plus the titles
    # the readable page and the PDF show them under.
    data["more"] = []
    for key, section in EXPORT_SECTIONS.items():
        data[key] = section.rows(participant)
        data["more"].append({"key": key, "title": str(section.title)})
    if acting_user is None:  # the person themself, through their private link (people/rights.py)
        record(None, "participant.self_export", participant, role="participant")
    else:
        record(acting_user, "participant.export", participant)
    return data
