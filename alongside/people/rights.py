"""Participants' rights (DOMAIN.md §4–§5): anonymisation, erasure requests that respect retention,
the retention run, the record's access history, and the person's private self-service link.

Writes are keyword-only, atomic and audited (identifiers only). Reads are selectors.

* ``participant_anonymise`` removes identity and sensitive content from one record and keeps the
  de-identified facts that counts and reports need (rows, dates, kinds of support, topics).
* ``participant_erasure_request`` restricts a record at once and anonymises it as soon as the
  organisation's retention period for closed records allows (or at once, when an admin confirms
  there is no legal duty to keep it).
* ``retention_run`` applies one organisation's retention periods; ``alongside retention run``
  calls it for every active organisation.
* ``access_history`` answers "who viewed my record" from the audit log, in plain words.
* ``access_link_*`` give the person a private link (only its SHA-256 is stored).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.models import Organisation, Role, User, hash_token
from alongside.accounts.permissions import has_permission
from alongside.accounts.selectors import roles_for, users_by_id
from alongside.audit.models import AuditEvent
from alongside.audit.services import record
from alongside.core.tenancy import unscoped
from alongside.people import services
from alongside.people.models import (
    AgeBand,
    ClosedReason,
    Consent,
    ConsentDocument,
    ConsentMethod,
    ConsentPurpose,
    ContactMethod,
    ContactMode,
    ContactRecord,
    Enrolment,
    EnrolmentStatus,
    FamilyLink,
    FamilyRelationship,
    Guardian,
    Participant,
    ParticipantAccessLink,
    ParticipantExperience,
    ParticipantStatus,
    Referral,
    ServiceModel,
)

# What an anonymised record is called. A fixed marker in the database; pages may translate it.
ANONYMISED_NAME = "Anonymised person"
# Put where a column must not be empty (a loved one without a record; a verbal consent's witness).
REMOVED = "Removed"

ACCESS_LINK_VALID_FOR = timedelta(days=14)
# A self-service visit lasts at most this long after "Continue" (and never beyond the link).
SELF_SERVICE_SESSION_LIMIT = timedelta(hours=1)
# Rows read or written per batch by the retention run: memory stays constant however many.
RETENTION_BATCH = 2000

# The role the audit log names for the person acting through their own private link.
PARTICIPANT_ROLE = "participant"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def is_restricted(participant: Participant) -> bool:
    """The person asked for erasure (or the record is already anonymised): nothing new is added."""
    return participant.erasure_requested_at is not None or participant.anonymised_at is not None


# --- Anonymisation ------------------------------------------------------------------------------


def age_band_for(age: int) -> str:
    if age < 13:
        return AgeBand.UNDER_13
    if age < 18:
        return AgeBand.TEEN
    if age < 26:
        return AgeBand.YOUNG_ADULT
    if age < 65:
        return AgeBand.ADULT
    return AgeBand.OLDER_ADULT


def _derived_age_band(participant: Participant, day: date) -> str:
    """The age band the date of birth implied on ``day`` (the day the record closed), else the one given."""
    age = participant.age_on(day)
    if age is None or age < 0:
        return participant.age_band
    return age_band_for(age)


# Other apps keep rows about a person (match requests, later group registrations, ...). They
# register what happens to them when the person asks to be erased (``on_restrict``: stop new work)
# and when the record is anonymised (``on_anonymise``: clear what identifies or is sensitive), in
# their AppConfig.ready(). Each handler runs inside the same transaction.
RightsHandler = Callable[[Participant, User | None, datetime], None]
RESTRICT_HANDLERS: list[RightsHandler] = []
ANONYMISE_HANDLERS: list[RightsHandler] = []


def register_rights_handlers(*, on_restrict: RightsHandler, on_anonymise: RightsHandler) -> None:
    RESTRICT_HANDLERS.append(on_restrict)
    ANONYMISE_HANDLERS.append(on_anonymise)


def _anonymise_one(participant_id: UUID, organisation_id: UUID, *, acting_user: User | None, now: datetime) -> int:
    """Anonymise one record and the duplicates merged into it; how many records that was (0 when
    it already was anonymised)."""
    participant = (
        Participant.objects.select_for_update().filter(pk=participant_id, organisation=organisation_id).first()
    )
    if participant is None or participant.anonymised_at is not None:
        return 0
    org_id = participant.organisation_id
    closed_day = timezone.localdate(participant.closed_at or now)

    participant.age_band = _derived_age_band(participant, closed_day)
    participant.preferred_name = ANONYMISED_NAME
    for name in ("legal_name", "pronouns", "email", "phone", "phone_digits", "preferred_contact", "postcode"):
        setattr(participant, name, "")
    participant.accessibility_needs = ""
    participant.notes = ""
    participant.date_of_birth = None
    participant.safe_to_voicemail = participant.safe_to_text = participant.safe_to_email = None
    if participant.status != ParticipantStatus.CLOSED:
        participant.status = ParticipantStatus.CLOSED
        participant.closed_reason = ClosedReason.OTHER
        participant.closed_at = now
    elif not participant.closed_reason:
        participant.closed_reason = ClosedReason.OTHER
    participant.anonymised_at = now
    participant.save()

    # What they chose to share about their lived experience: gone (matching can no longer use it).
    ParticipantExperience.objects.filter(organisation=org_id, participant=participant).delete()
    # Contacts stay (counts, minutes, kinds of support, topics); their notes go.
    ContactRecord.objects.filter(organisation=org_id, participant=participant).update(
        notes="", notes_cleared_at=now, updated_at=now
    )
    Referral.objects.filter(organisation=org_id, participant=participant).update(reason="", updated_at=now)
    # A loved one without a record of their own is known only by a first name: remove it (the
    # column may not be empty there, so it says "Removed"). Links naming a record keep the link.
    FamilyLink.objects.filter(organisation=org_id, family_member=participant, loved_one__isnull=True).update(
        loved_one_name=REMOVED, updated_at=now
    )
    FamilyLink.objects.filter(organisation=org_id, family_member=participant, loved_one__isnull=False).update(
        loved_one_name="", updated_at=now
    )
    # Consents point at guardians (PROTECT): the rows stay, with nothing that names anyone.
    Guardian.objects.filter(organisation=org_id, participant=participant).update(
        name="", phone="", email="", updated_at=now
    )
    # Consent records stay as evidence that consent existed (purpose, dates, method); who signed
    # or witnessed it, and the free-text Part 2 description, go.
    consents = Consent.objects.filter(organisation=org_id, participant=participant)
    consents.filter(method=ConsentMethod.VERBAL).update(signature="", witness=REMOVED, part2_information="")
    consents.exclude(method=ConsentMethod.VERBAL).update(signature="", witness="", part2_information="")
    ConsentDocument.objects.filter(organisation=org_id, participant=participant).delete()
    Enrolment.objects.filter(organisation=org_id, participant=participant, status=EnrolmentStatus.ACTIVE).update(
        status=EnrolmentStatus.ENDED, ended_on=closed_day, updated_at=now
    )
    ParticipantAccessLink.objects.filter(organisation=org_id, participant=participant, revoked_at__isnull=True).update(
        revoked_at=now
    )
    for handler in (*RESTRICT_HANDLERS, *ANONYMISE_HANDLERS):
        handler(participant, acting_user, now)
    record(acting_user, "participant.anonymise", participant)

    # Records merged into this one are the same person: they go the same way.
    merged = list(
        Participant.objects.filter(organisation=org_id, merged_into=participant, anonymised_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    return 1 + sum(_anonymise_one(pk, org_id, acting_user=acting_user, now=now) for pk in merged)


@transaction.atomic
def participant_anonymise(*, acting_user: User | None, participant: Participant, now: datetime | None = None) -> bool:
    """Remove identity and sensitive content from a record, keeping de-identified facts for counts.

    Idempotent: a record already anonymised is left as it is (and False is returned). ``acting_user``
    is None for the retention run. Audited ``participant.anonymise``.
    """
    done = _anonymise_one(participant.pk, participant.organisation_id, acting_user=acting_user, now=_now(now))
    participant.refresh_from_db()
    return done > 0


# --- Erasure requests ---------------------------------------------------------------------------


def retention_ends(participant: Participant) -> datetime | None:
    """When the organisation may stop keeping this record: closed_at + the closed-records period."""
    if participant.closed_at is None:
        return None
    return participant.closed_at + timedelta(days=participant.organisation.retention_closed_records_days)


@dataclass(frozen=True)
class ErasureOutcome:
    participant: Participant
    anonymised: bool
    # When the retention run will anonymise a restricted record (None once anonymised).
    anonymise_on: datetime | None


@transaction.atomic
def participant_erasure_request(
    *,
    acting_user: User,
    participant: Participant,
    override_retention: bool = False,
    now: datetime | None = None,
) -> ErasureOutcome:
    """The person asked for their record to be erased.

    The record is closed and restricted at once (nothing new may be added; it leaves the intake
    queue and caseloads; private links stop working). It is anonymised now when the retention
    period for closed records has ended, or when an admin confirms there is no legal duty to keep
    it (``override_retention``, audited ``participant.erasure_override``); otherwise the retention
    run anonymises it on the day the period ends.
    """
    moment = _now(now)
    organisation = participant.organisation
    if override_retention and not has_permission(roles_for(acting_user, organisation.pk), "participants.erase"):
        raise ValidationError(
            {"override_retention": _("Only an organisation admin can confirm there is no legal duty to keep a record.")}
        )
    locked = Participant.objects.select_for_update().get(pk=participant.pk, organisation=organisation.pk)
    if locked.anonymised_at is not None:
        return ErasureOutcome(locked, anonymised=True, anonymise_on=None)
    if locked.merged_into_id is not None:
        raise ValidationError(
            {"participant": _("This record was merged into another one. Ask for erasure on the record that was kept.")}
        )
    if locked.erasure_requested_at is None:
        locked.erasure_requested_at = moment
        if locked.status != ParticipantStatus.CLOSED:
            locked.status = ParticipantStatus.CLOSED
            locked.closed_reason = ClosedReason.CHOSE_TO_STOP
            locked.closed_at = moment
        locked.save(update_fields=["erasure_requested_at", "status", "closed_reason", "closed_at", "updated_at"])
        Enrolment.objects.filter(
            organisation=organisation.pk, participant=locked, status=EnrolmentStatus.ACTIVE
        ).update(status=EnrolmentStatus.ENDED, ended_on=timezone.localdate(moment), updated_at=moment)
        ParticipantAccessLink.objects.filter(
            organisation=organisation.pk, participant=locked, revoked_at__isnull=True
        ).update(revoked_at=moment)
        for handler in RESTRICT_HANDLERS:
            handler(locked, acting_user, moment)
        record(acting_user, "participant.erasure_request", locked)
    due = retention_ends(locked)
    if override_retention:
        record(acting_user, "participant.erasure_override", locked)
    if override_retention or (due is not None and due <= moment):
        _anonymise_one(locked.pk, organisation.pk, acting_user=acting_user, now=moment)
        locked.refresh_from_db()
        participant.refresh_from_db()
        return ErasureOutcome(locked, anonymised=True, anonymise_on=None)
    participant.refresh_from_db()
    return ErasureOutcome(locked, anonymised=False, anonymise_on=due)


# --- The retention run --------------------------------------------------------------------------


@dataclass
class RetentionSummary:
    organisation: str
    notes_cleared: int = 0
    records_anonymised: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "notes_cleared": self.notes_cleared,
            "records_anonymised": self.records_anonymised,
        }


def notes_due(organisation: Organisation, now: datetime) -> Any:
    """Contacts whose notes are older than the organisation keeps notes for (and not yet cleared)."""
    cutoff = now - timedelta(days=organisation.retention_notes_days)
    return ContactRecord.objects.filter(
        organisation=organisation, occurred_at__lte=cutoff, notes_cleared_at__isnull=True
    )


def records_due(organisation: Organisation, now: datetime) -> Any:
    """Closed records kept longer than the closed-records period (erasure requests included)."""
    cutoff = now - timedelta(days=organisation.retention_closed_records_days)
    return Participant.objects.filter(
        organisation=organisation,
        status=ParticipantStatus.CLOSED,
        closed_at__lte=cutoff,
        anonymised_at__isnull=True,
    )


def _clear_notes_batched(organisation: Organisation, now: datetime) -> int:
    cleared = 0
    while True:
        # A batch of ids, then one UPDATE: memory stays constant over any number of contacts.
        with transaction.atomic():
            ids = list(notes_due(organisation, now).order_by().values_list("pk", flat=True)[:RETENTION_BATCH])
            if not ids:
                break
            cleared += ContactRecord.objects.filter(
                organisation=organisation, pk__in=ids, notes_cleared_at__isnull=True
            ).update(notes="", notes_cleared_at=now, updated_at=now)
    return cleared


def retention_run(
    organisation: Organisation, *, now: datetime | None = None, dry_run: bool = False
) -> RetentionSummary:
    """Apply one organisation's retention periods. Runs inside the organisation's tenant scope.

    (a) contact notes older than ``retention_notes_days`` are cleared (one
    ``retention.notes_cleared`` audit row for the run, when any were); (b) closed records older than
    ``retention_closed_records_days`` are anonymised (one ``participant.anonymise`` row each).
    ``dry_run`` counts without writing. A second run finds nothing left to do.
    """
    moment = _now(now)
    summary = RetentionSummary(organisation=organisation.slug)
    if dry_run:
        summary.notes_cleared = notes_due(organisation, moment).count()
        summary.records_anonymised = records_due(organisation, moment).count()
        return summary

    summary.notes_cleared = _clear_notes_batched(organisation, moment)
    if summary.notes_cleared:
        record(None, "retention.notes_cleared", organisation=organisation, object_type="people.contactrecord")

    while True:
        # Each anonymised record leaves ``records_due``, so the next batch is the next records.
        ids = list(
            records_due(organisation, moment).order_by("closed_at", "pk").values_list("pk", flat=True)[:RETENTION_BATCH]
        )
        done = 0
        for participant_id in ids:
            with transaction.atomic():
                done += _anonymise_one(participant_id, organisation.pk, acting_user=None, now=moment)
        summary.records_anonymised += done
        if len(ids) < RETENTION_BATCH or not done:
            break
    return summary


# --- Access history -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessEvent:
    at: datetime
    who: str
    role: str
    what: str
    action: str
    by_staff: bool


def _action_descriptions() -> dict[str, str]:
    return {
        "participant.view": _("Viewed your record"),
        "participant.create": _("Created your record"),
        "participant.update": _("Updated your details"),
        "participant.assign_peer": _("Chose your peer supporter"),
        "participant.merge": _("Joined a duplicate record into yours"),
        "participant.merged_away": _("Joined this record into another one"),
        "participant.update_experiences": _("Updated the lived experience you chose to share"),
        "participant.erasure_request": _("Recorded your request to erase your record"),
        "participant.erasure_override": _("Confirmed there is no legal duty to keep your record"),
        "participant.anonymise": _("Anonymised your record"),
        "participant.access_link.create": _("Made you a private link"),
        "participant.access_link.revoke": _("Switched off your private links"),
        "participant.access_link.use": _("Opened your private link"),
        "participant.self_view": _("Looked at your private page"),
        "participant.self_export": _("Downloaded your information"),
        "audit.view_log": _("Looked at who has viewed your record"),
        "enrolment.start": _("Added you to a program"),
        "enrolment.end": _("Ended your place in a program"),
        "family_link.create": _("Added a family link"),
        "guardian.create": _("Added a parent or guardian"),
        "consent.grant": _("Recorded your consent"),
        "consent.withdraw": _("Recorded that you withdrew a consent"),
        "contact.create": _("Logged a contact"),
        "referral.create": _("Recorded a referral from your care team"),
        "consent_document.upload": _("Kept a copy of a consent form you signed"),
        "consent_document.download": _("Opened a consent form you signed"),
        "consent_document.delete": _("Removed a consent form that was uploaded by mistake"),
        "referral.view": _("Read a referral from your care team"),
        "referral.fhir_export": _("Sent your referral's details to your care team's system"),
        "consent.fhir_export": _("Sent a record of your consent to another system"),
        "match_request.create": _("Asked for a peer supporter for you"),
        "match_request.view": _("Looked at your request for a peer supporter"),
        "match_request.view_suggestions": _("Looked at peer supporters suggested for you"),
        "match_request.more_suggestions": _("Asked for more peer supporters to choose from"),
        "match_request.withdraw": _("Withdrew your request for a peer supporter"),
        "match.propose": _("Asked a peer supporter to walk alongside you"),
        "match.choose": _("Recorded the peer supporter you chose"),
        "match.accept": _("Your peer supporter said yes"),
        "match.decline": _("A peer supporter could not take this on"),
        "match.start": _("Started your mentorship"),
        "match.pause": _("Paused your mentorship"),
        "match.resume": _("Resumed your mentorship"),
        "match.close": _("Closed your mentorship"),
        "match.change_peer": _("Recorded that you asked for a different peer supporter"),
        "match.withdraw": _("Withdrew a proposal of a peer supporter"),
        "match.view": _("Looked at your mentorship"),
        "mentorship.view": _("Looked at your mentorship"),
        "mentorship.self_view": _("Looked at your mentorship page"),
        "support_plan.update": _("Updated your support plan"),
        "next_session.set": _("Set your next session"),
        "next_session.download": _("Downloaded the calendar invite for your next session"),
        "next_session.cancel": _("Cancelled your next session"),
        "next_session.remind_person": _("Emailed you a reminder of your next session"),
        "next_session.remind_peer": _("Emailed your peer supporter a reminder of your next session"),
        "closure_summary.write": _("Wrote the summary of your mentorship"),
        "closure_summary.download": _("Downloaded the summary of your mentorship"),
    }


def describe_action(action: str) -> str:
    """The action in plain words, as the person reads it. Unknown codes get a generic sentence."""
    known = _action_descriptions()
    if action in known:
        return known[action]
    if action.startswith("participant.export"):
        return _("Exported your information")
    if action.startswith("participant.status."):
        status = action.rsplit(".", 1)[-1]
        if status in ParticipantStatus.values:
            return _("Changed your record's status to “%(status)s”") % {"status": ParticipantStatus(status).label}
    if action.startswith("referral.status."):
        return _("Updated your referral")
    if action.startswith("consent_document."):
        return _("Worked on a consent form you signed")
    return _("Worked on your record")


def _role_label(actor_role: str) -> str:
    labels = []
    for code in actor_role.split("+"):
        if code in Role.values:
            labels.append(str(Role(code).label))
    return ", ".join(labels)


def staff_name(user: User | None) -> str:
    """A staff member by name, never by email address (the person sees this)."""
    if user is None:
        return _("A former staff member")
    return user.preferred_name or user.full_name or _("A staff member")


def _record_object_ids(participant: Participant) -> list[str]:
    """The ids the audit log uses for this person's record and every row that hangs off it, in any
    app (consents, contacts, referrals, match requests and matches, ...): one query."""
    parts: list[Any] = []
    for relation in Participant._meta.related_objects:
        model = relation.related_model
        if not relation.one_to_many or model is Participant or isinstance(model, str):
            continue
        parts.append(
            model._base_manager.filter(**{relation.field.name: participant}).order_by().values_list("pk", flat=True)
        )
    first, *rest = parts
    ids = {str(pk) for pk in first.union(*rest, all=True)}
    ids.add(str(participant.pk))
    return sorted(ids)


def access_history(participant: Participant, limit: int = 200) -> list[AccessEvent]:
    """Who viewed or changed this person's record, newest first, in plain words.

    The audit events whose object is the record or something of it (consents, contacts, referrals,
    enrolments, guardians, family links, consent forms). Three queries, however long the history.
    """
    ids = _record_object_ids(participant)
    events = list(
        AuditEvent.objects.filter(organisation_id=participant.organisation_id, object_id__in=ids).order_by("-id")[
            :limit
        ]
    )
    actors = users_by_id({e.actor_id for e in events if e.actor_id})
    rows = []
    for event in events:
        if event.actor_id is not None:
            who, role, by_staff = staff_name(actors.get(event.actor_id)), _role_label(event.actor_role), True
        elif event.actor_role == PARTICIPANT_ROLE:
            who, role, by_staff = _("You, with your private link"), "", False
        else:
            who, role, by_staff = _("Alongside (automatic)"), "", False
        rows.append(
            AccessEvent(
                at=event.created_at,
                who=who,
                role=role,
                what=describe_action(event.action),
                action=event.action,
                by_staff=by_staff,
            )
        )
    return rows


def access_history_viewed(*, acting_user: User, participant: Participant) -> None:
    """Reading the access log is itself a sensitive read (SECURITY.md)."""
    record(acting_user, "audit.view_log", participant, object_type="people.participant")


# --- The person's private link ------------------------------------------------------------------


@transaction.atomic
def access_link_create(
    *, acting_user: User, participant: Participant, now: datetime | None = None
) -> tuple[ParticipantAccessLink, str]:
    """A new private link for the person (earlier ones stop working). Returns the link and its token,
    which is shown once and never stored: only its SHA-256 is."""
    moment = _now(now)
    locked = Participant.objects.select_for_update().get(pk=participant.pk, organisation=participant.organisation_id)
    if is_restricted(locked):
        raise ValidationError(
            {"participant": _("This person asked for their record to be erased, so it has no private link any more.")}
        )
    if locked.merged_into_id is not None:
        raise ValidationError(
            {"participant": _("This record was merged into another one. Use the record that was kept.")}
        )
    ParticipantAccessLink.objects.filter(
        organisation=locked.organisation_id, participant=locked, revoked_at__isnull=True
    ).update(revoked_at=moment)
    token = secrets.token_urlsafe(32)
    link = ParticipantAccessLink.objects.create(
        organisation_id=locked.organisation_id,
        participant=locked,
        token_hash=hash_token(token),
        created_by=acting_user,
        created_at=moment,
        expires_at=moment + ACCESS_LINK_VALID_FOR,
    )
    record(acting_user, "participant.access_link.create", locked)
    return link, token


@transaction.atomic
def access_links_revoke(*, acting_user: User, participant: Participant, now: datetime | None = None) -> int:
    """Switch off every private link of the person. Returns how many were still working."""
    moment = _now(now)
    revoked = ParticipantAccessLink.objects.filter(
        organisation=participant.organisation_id, participant=participant, revoked_at__isnull=True
    ).update(revoked_at=moment)
    if revoked:
        record(acting_user, "participant.access_link.revoke", participant)
    return revoked


def access_links_open(participant: Participant, now: datetime | None = None) -> int:
    return ParticipantAccessLink.objects.filter(
        organisation=participant.organisation_id,
        participant=participant,
        revoked_at__isnull=True,
        expires_at__gt=_now(now),
    ).count()


def link_is_usable(link: ParticipantAccessLink, now: datetime | None = None) -> bool:
    """Not revoked or expired, the organisation active, the record neither restricted nor merged."""
    participant = link.participant
    return (
        link.revoked_at is None
        and link.expires_at > _now(now)
        and participant.organisation.is_active
        and not is_restricted(participant)
        and participant.merged_into_id is None
    )


def _links(query: Q) -> ParticipantAccessLink | None:
    # A token (or a session) names its own organisation: nobody is signed in to scope it.
    with unscoped("a private link is looked up by its token hash or id before its organisation is known"):
        return (
            ParticipantAccessLink.objects.filter(query)
            .select_related("participant", "participant__organisation")
            .first()
        )


def access_link_for_token(token: str, now: datetime | None = None) -> ParticipantAccessLink | None:
    """The usable link with this token, or None: unknown, expired and revoked look the same."""
    if not token or len(token) > 200:
        return None
    link = _links(Q(token_hash=hash_token(token)))
    return link if link is not None and link_is_usable(link, now) else None


def access_link_by_id(link_id: Any, now: datetime | None = None) -> ParticipantAccessLink | None:
    try:
        pk = UUID(str(link_id))
    except ValueError:
        return None
    link = _links(Q(pk=pk))
    return link if link is not None and link_is_usable(link, now) else None


@transaction.atomic
def access_link_use(*, link: ParticipantAccessLink, now: datetime | None = None) -> None:
    """The person pressed "Continue": audited ``participant.access_link.use`` (no actor)."""
    moment = _now(now)
    ParticipantAccessLink.objects.filter(pk=link.pk, organisation=link.organisation_id).update(last_used_at=moment)
    link.last_used_at = moment
    record(None, "participant.access_link.use", link.participant, role=PARTICIPANT_ROLE)


def self_service_viewed(*, participant: Participant) -> None:
    """The person read their own page (P2/P3): audited ``participant.self_view`` (no actor)."""
    record(None, "participant.self_view", participant, role=PARTICIPANT_ROLE)


@transaction.atomic
def self_service_export(*, participant: Participant) -> dict[str, Any]:
    """Everything held about the person, for them: audited ``participant.self_export``."""
    return services.participant_export(acting_user=None, participant=participant)


def _label(choices: Any, value: Any) -> Any:
    try:
        return choices(value).label
    except ValueError:
        return value


def readable_export(data: dict[str, Any]) -> dict[str, Any]:
    """The export with codes in words, for the person's readable page."""
    contacts = [
        {
            **c,
            "mode": _label(ContactMode, c["mode"]),
            "kind_of_support": _label(ServiceModel, c["kind_of_support"]),
        }
        for c in data["contacts"]
    ]
    consents = [
        {**c, "purpose": _label(ConsentPurpose, c["purpose"]), "method": _label(ConsentMethod, c["method"])}
        for c in data["consents"]
    ]
    family = [{**f, "relationship": _label(FamilyRelationship, f["relationship"])} for f in data["family"]]
    person = dict(data["participant"])
    person["preferred_contact"] = _label(ContactMethod, person.get("preferred_contact") or "") or ""
    person["age_band"] = _label(AgeBand, person.get("age_band") or "") or ""
    person["status"] = _label(ParticipantStatus, person.get("status") or "")
    return {**data, "participant": person, "contacts": contacts, "consents": consents, "family": family}
