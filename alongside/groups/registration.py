"""Registration and the waitlist (docs/groups.md, "Registration and waitlist").

A group that needs registration has ``capacity`` places (no capacity: no limit). People register
on the public page with minimal details, or staff register a participant of the organisation.
When every place is taken the person joins the waitlist, in the order they asked; when a
registered person cancels, the first person waiting is promoted at once (and emailed after the
commit when they gave an email address).

Two people can never take the last place: every write that counts or fills places first locks the
group row (``lock_group``, the one lock shape for seats), so a second registration waits for the
first to commit and then counts it.

A second registration by the same person (the same normalised email or phone, compared through an
HMAC keyed from ``SECRET_KEY``, ``contact_hash``) makes no second row: their own link is renewed
and emailed to the address on the first one, so nobody learns from the page whether someone else
registered. The registrant's own link carries a random token, stored only as a SHA-256.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alongside.accounts.models import User, hash_token
from alongside.audit.services import record
from alongside.groups.models import Group, GroupAgreement, GroupStatus, Registration, RegistrationStatus
from alongside.groups.services import current_agreement
from alongside.groups.vocab import Audience, GroupFormat, Joining
from alongside.people.models import ConsentPurpose, Participant
from alongside.people.services import consent_covers, consent_rule, refuse_if_restricted

logger = logging.getLogger(__name__)

CONTACT_HASH_SALT = "alongside.groups.registration.contact"
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)


# --- Small pure helpers --------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    return (value or "").strip().casefold()


def normalise_phone(value: str) -> str:
    """Digits only (a leading + kept): "(555) 010-2000" and "555.010.2000" are the same phone."""
    raw = (value or "").strip()
    digits = re.sub(r"\D", "", raw)
    return f"+{digits}" if raw.startswith("+") and digits else digits


def contact_hash(*, email: str = "", phone: str = "") -> str:
    """HMAC-SHA256 (keyed from SECRET_KEY) of the normalised email, else the phone; "" for none."""
    value = f"email:{normalise_email(email)}" if email.strip() else ""
    if not value and normalise_phone(phone):
        value = f"phone:{normalise_phone(phone)}"
    if not value:
        return ""
    return salted_hmac(CONTACT_HASH_SALT, value, algorithm="sha256").hexdigest()


def new_token() -> tuple[str, str]:
    """A registrant's link token and its SHA-256 (only the hash is stored)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def needs_registration(group: Group) -> bool:
    return group.joining == Joining.REGISTRATION


def is_youth(group: Group) -> bool:
    return group.audience == Audience.YOUTH


def registered_count(group: Group) -> int:
    return Registration.objects.filter(
        organisation=group.organisation_id, group=group, status=RegistrationStatus.REGISTERED
    ).count()


def places_left(group: Group) -> int | None:
    """Free places (None: no limit). Unlocked: for showing, never for deciding."""
    if group.capacity is None:
        return None
    return max(0, group.capacity - registered_count(group))


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first person waiting (None when not waiting)."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.waitlisted_at is None:
        return None
    ahead = Registration.objects.filter(
        organisation=registration.organisation_id,
        group=registration.group_id,
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at__lt=registration.waitlisted_at,
    ).count()
    return ahead + 1


def registration_by_token(group: Group, token: str) -> Registration | None:
    """The registration this link names, in this group (None for anything else)."""
    if not token or len(token) > 100:
        return None
    return (
        Registration.objects.filter(organisation=group.organisation_id, group=group, token_hash=hash_token(token))
        .select_related("group", "group__site")
        .first()
    )


# --- Locks and places ----------------------------------------------------------------------------


def lock_group(group: Group) -> Group:
    """Lock the group row (the seat lock): callers count and fill places only after this."""
    return Group.objects.select_for_update().get(pk=group.pk, organisation=group.organisation_id)


def _fill_places(group: Group, *, acting_user: User | None, now: datetime) -> list[Registration]:
    """Promote the people waiting, first come first served, into free places (group locked)."""
    if group.capacity is None:
        free = None
    else:
        free = group.capacity - registered_count(group)
        if free <= 0:
            return []
    waiting = Registration.objects.filter(
        organisation=group.organisation_id, group=group, status=RegistrationStatus.WAITLISTED
    ).order_by("waitlisted_at", "created_at", "pk")
    if free is not None:
        waiting = waiting[:free]
    promoted = list(waiting.select_for_update())
    for registration in promoted:
        registration.status = RegistrationStatus.REGISTERED
        registration.registered_at = now
        registration.save(update_fields=["status", "registered_at", "updated_at"])
        record(acting_user, "registration.promote", registration)
        _email_after_commit(registration, "promoted", now=now)
    return promoted


def waitlist_fill(*, acting_user: User | None, group: Group) -> list[Registration]:
    """Fill places that opened without a cancellation (for example more places were added)."""
    with transaction.atomic():
        locked = lock_group(group)
        return _fill_places(locked, acting_user=acting_user, now=timezone.now())


# --- Email ---------------------------------------------------------------------------------------


def email_for(registration: Registration, *, now: datetime | None = None) -> str:
    """Where to write to this registrant ("" for nowhere). A participant's record decides for staff
    registrations: an email on the record, recorded as safe, and a current consent to email."""
    participant = registration.participant
    if participant is None:
        return registration.email
    moment = now or timezone.now()
    if participant.erasure_requested_at is not None or participant.anonymised_at is not None:
        return ""
    if not participant.email or participant.safe_to_email is not True:
        return ""
    if not consent_covers(participant, ConsentPurpose.CONTACT_EMAIL, at=moment):
        return ""
    return str(participant.email)


def own_link(registration: Registration, token: str) -> str:
    group = registration.group
    return settings.SITE_URL + reverse("groups:registration_own", args=[group.organisation.slug, group.slug, token])


def _email_after_commit(registration: Registration, kind: str, *, now: datetime, token: str = "") -> None:
    """Registered / waitlisted / promoted / link: one email, after the commit, never logged with
    an address. Names only the group, the organisation and the person's first name."""
    to = email_for(registration, now=now)
    if not to:
        return
    group = registration.group
    organisation = group.organisation
    language = group.language if any(group.language == code for code, _n in settings.LANGUAGES) else None
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            "kind": kind,
            "first_name": registration.first_name,
            "group": group.name,
            "organisation": organisation.name,
            "link": own_link(registration, token) if token else "",
            "page": settings.SITE_URL + reverse("groups:public_group", args=[organisation.slug, group.slug]),
            "crisis_options": [
                str(o.get("label", ""))
                for o in organisation.crisis_options or []
                if isinstance(o, dict) and o.get("label")
            ],
        }
        subjects = {
            "registered": _("Your place in %(group)s"),
            "waitlisted": _("You are on the waitlist for %(group)s"),
            "promoted": _("A place opened for you in %(group)s"),
            "link": _("Your link for %(group)s"),
        }
        subject = subjects[kind] % {"group": group.name}
        body = render_to_string("groups/registrations/email.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[to])
    registration_id = registration.pk

    def send() -> None:
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # the registration stands; the exception may name the address
            logger.error("registration email not sent (registration %s): %s", registration_id, type(exc).__name__)

    transaction.on_commit(send)


# --- Registering ---------------------------------------------------------------------------------


@dataclass
class RegistrationResult:
    """``token`` is the registrant's link token (shown once); ``duplicate`` says the person was
    already registered or waiting (no new row; their link was renewed and emailed to them)."""

    registration: Registration
    token: str
    duplicate: bool = False


def _check_open(group: Group, *, public: bool) -> None:
    if group.status != GroupStatus.ACTIVE:
        raise ValidationError(_("This group is not taking registrations right now."))
    if not needs_registration(group):
        raise ValidationError(_("This group is drop-in: there is no need to register."))
    if public and (not group.is_public or not group.is_open):
        raise ValidationError(_("This group is not taking registrations through this page."))


def _check_agreement(group: Group, acknowledged: bool, errors: dict[str, Any]) -> GroupAgreement | None:
    agreement = current_agreement(group)
    if agreement is not None and not acknowledged:
        errors["agreement_acknowledged"] = _("Please read the group agreement and tick the box to say you have.")
    return agreement


def _place(group: Group, registration: Registration, *, now: datetime) -> None:
    """Registered when a place is free (no one waiting first), else on the waitlist (group locked)."""
    waiting = Registration.objects.filter(
        organisation=group.organisation_id, group=group, status=RegistrationStatus.WAITLISTED
    ).exists()
    if group.capacity is None or (not waiting and registered_count(group) < group.capacity):
        registration.status = RegistrationStatus.REGISTERED
        registration.registered_at = now
    else:
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlisted_at = now


def register_public(
    *,
    group: Group,
    first_name: str,
    email: str = "",
    phone: str = "",
    age: int | None = None,
    guardian_name: str = "",
    guardian_contact: str = "",
    guardian_consent: bool = False,
    agreement_acknowledged: bool = False,
) -> RegistrationResult:
    """Someone registers on the public page (no account; the audit actor is nobody)."""
    _check_open(group, public=True)
    errors: dict[str, Any] = {}
    first_name = (first_name or "").strip()
    email, phone = (email or "").strip(), (phone or "").strip()
    if not first_name:
        errors["first_name"] = _("Give a first name or a nickname.")
    elif len(first_name) > 60:
        errors["first_name"] = _("Use at most 60 characters.")
    if not email and not phone:
        errors["email"] = _("Give an email address or a phone number, so the group can reach you.")
    if phone and not 7 <= len(normalise_phone(phone)) <= 16:
        errors["phone"] = _("Enter a phone number with 7 to 15 digits.")
    minor = False
    if is_youth(group):
        if age is None:
            errors["age"] = _("Give your age: this group is for young people of certain ages.")
        elif (group.age_min is not None and age < group.age_min) or (group.age_max is not None and age > group.age_max):
            errors["age"] = _("This group is for ages %(lo)s to %(hi)s.") % {
                "lo": group.age_min if group.age_min is not None else "—",
                "hi": group.age_max if group.age_max is not None else "—",
            }
        else:
            minor = age < group.organisation.age_of_majority
        if minor:
            if not guardian_name.strip():
                errors["guardian_name"] = _("Give a parent or guardian's name.")
            if not guardian_contact.strip():
                errors["guardian_contact"] = _("Give a parent or guardian's phone or email.")
            if not guardian_consent:
                errors["guardian_consent"] = _("A parent or guardian needs to agree before someone under 18 joins.")
    agreement = _check_agreement(group, agreement_acknowledged, errors)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    digest = contact_hash(email=email, phone=phone)
    token, token_digest = new_token()
    with transaction.atomic():
        locked = lock_group(group)
        existing = (
            Registration.objects.filter(
                organisation=group.organisation_id, group=group, contact_hash=digest, status__in=ACTIVE
            )
            .select_for_update()
            .first()
        )
        if existing is not None:
            existing.token_hash = token_digest
            existing.save(update_fields=["token_hash", "updated_at"])
            record(None, "registration.link_renew", existing)
            _email_after_commit(existing, "link", now=now, token=token)
            return RegistrationResult(existing, "", duplicate=True)
        registration = Registration(
            organisation=group.organisation,
            group=locked,
            first_name=first_name,
            email=email,
            phone=phone,
            contact_hash=digest,
            age=age if is_youth(group) else None,
            guardian_name=guardian_name.strip() if minor else "",
            guardian_contact=guardian_contact.strip() if minor else "",
            guardian_consent_at=now if minor else None,
            agreement=agreement,
            agreement_acknowledged_at=now if agreement is not None else None,
            token_hash=token_digest,
            source="public",
        )
        _place(locked, registration, now=now)
        registration.full_clean(exclude=["group", "organisation", "participant", "agreement", "created_by"])
        registration.save()
        record(None, f"registration.{registration.status}", registration)
        _email_after_commit(registration, str(registration.status), now=now, token=token)
    return RegistrationResult(registration, token)


def register_staff(
    *,
    acting_user: User,
    group: Group,
    participant: Participant,
    agreement_acknowledged: bool = False,
) -> RegistrationResult:
    """Staff register a participant (the view has already checked the record scope). Youth groups:
    the age from the date of birth must be in the range, and where the person may not consent
    alone (``people.services.consent_rule``) a current consent to receive support, given by their
    guardian, must be on the record."""
    _check_open(group, public=False)
    if participant.organisation_id != group.organisation_id:
        raise ValidationError({"participant": _("Choose a person of this organisation.")})
    refuse_if_restricted(participant)
    errors: dict[str, Any] = {}
    today = timezone.localdate()
    minor = False
    if is_youth(group):
        age = participant.age_on(today)
        if age is None:
            errors["participant"] = _("Add this person's date of birth first: this youth group has an age range.")
        elif (group.age_min is not None and age < group.age_min) or (group.age_max is not None and age > group.age_max):
            errors["participant"] = _("This group is for ages %(lo)s to %(hi)s.") % {
                "lo": group.age_min if group.age_min is not None else "—",
                "hi": group.age_max if group.age_max is not None else "—",
            }
        else:
            rule = consent_rule(participant, on=today)
            minor = rule.is_minor
            if rule.is_minor and not rule.may_consent_alone and not consent_covers(participant, ConsentPurpose.SERVICE):
                errors["participant"] = _(
                    "Record a parent or guardian's consent to peer support on this person's record first."
                )
    agreement = _check_agreement(group, agreement_acknowledged, errors)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    token, token_digest = new_token()
    with transaction.atomic():
        locked = lock_group(group)
        if Registration.objects.filter(
            organisation=group.organisation_id, group=group, participant=participant, status__in=ACTIVE
        ).exists():
            raise ValidationError({"participant": _("This person is already registered or on the waitlist.")})
        registration = Registration(
            organisation=group.organisation,
            group=locked,
            participant=participant,
            first_name=(participant.preferred_name or "").split(" ")[0][:60] or "—",
            age=participant.age_on(today) if is_youth(group) else None,
            guardian_consent_at=now if minor else None,
            agreement=agreement,
            agreement_acknowledged_at=now if agreement is not None else None,
            token_hash=token_digest,
            source="staff",
            created_by=acting_user,
        )
        _place(locked, registration, now=now)
        registration.save()
        record(acting_user, f"registration.{registration.status}", registration)
        _email_after_commit(registration, str(registration.status), now=now, token=token)
    return RegistrationResult(registration, token)


def registration_cancel(*, acting_user: User | None, registration: Registration) -> Registration:
    """Cancel a place or a place on the waitlist; a freed place goes to the first person waiting."""
    now = timezone.now()
    with transaction.atomic():
        group = lock_group(registration.group)
        current = Registration.objects.select_for_update().get(pk=registration.pk, organisation=group.organisation_id)
        if current.status == RegistrationStatus.CANCELLED:
            return current
        current.status = RegistrationStatus.CANCELLED
        current.cancelled_at = now
        current.save(update_fields=["status", "cancelled_at", "updated_at"])
        record(acting_user, "registration.cancel", current)
        _fill_places(group, acting_user=None, now=now)
    return current


def registration_viewed(*, acting_user: User | None, registration: Registration) -> None:
    """A read of a registration's contact details (P2) or the registrant's own page."""
    record(acting_user, "registration.view", registration)


# --- Reminders (``alongside groups remind``, hourly) ----------------------------------------------

REMIND_AHEAD = timedelta(hours=24)


@dataclass
class RemindSummary:
    """What a run did (or, dry, would do): sessions reminded and emails sent."""

    sessions: int = 0
    emails: int = 0

    def __iadd__(self, other: RemindSummary) -> RemindSummary:
        self.sessions += other.sessions
        self.emails += other.emails
        return self

    def as_dict(self) -> dict[str, int]:
        return {"sessions": self.sessions, "emails": self.emails}


def _reminder(registration: Registration, to: str, occurrence_start: datetime) -> EmailMessage:
    group = registration.group
    organisation = group.organisation
    language = group.language if any(group.language == code for code, _n in settings.LANGUAGES) else None
    with translation.override(language or settings.LANGUAGE_CODE):
        local = timezone.localtime(occurrence_start, ZoneInfo(group.timezone))
        site = group.site if group.format in (GroupFormat.IN_PERSON, GroupFormat.HYBRID) else None
        context = {
            "first_name": registration.first_name,
            "group": group.name,
            "organisation": organisation.name,
            "when": date_format(local, "l j F Y, H:i"),
            "timezone": group.timezone,
            "venue": ", ".join(p for p in (site.name, site.address_line1, site.address_line2, site.city) if p)
            if site
            else "",
            "online_url": group.online_url if group.format != GroupFormat.IN_PERSON else "",
            "dial_in": group.dial_in if group.format != GroupFormat.IN_PERSON else "",
            "crisis_options": [
                str(o.get("label", ""))
                for o in organisation.crisis_options or []
                if isinstance(o, dict) and o.get("label")
            ],
        }
        body = render_to_string("groups/registrations/reminder.txt", context)
        subject = _("Reminder: %(group)s tomorrow") % {"group": group.name}
    return EmailMessage(subject=subject, body=body, to=[to])


def session_remind(*, group: Group, key: str, now: datetime, dry_run: bool = False) -> RemindSummary:
    """Remind the group's registered people of one session, once (``Session.reminded_at``, set
    under the session's lock in the same transaction as the audit row; emails after commit)."""
    from alongside.groups.running import session_for

    summary = RemindSummary()
    people = list(
        Registration.objects.filter(
            organisation=group.organisation_id, group=group, status=RegistrationStatus.REGISTERED
        ).select_related("participant", "participant__organisation", "group", "group__organisation", "group__site")
    )
    addresses = [(r, email_for(r, now=now)) for r in people]
    addresses = [(r, to) for r, to in addresses if to]
    if dry_run:
        return RemindSummary(sessions=1, emails=len(addresses))
    with transaction.atomic():
        session = session_for(group=group, key=key)
        session = type(session).objects.select_for_update().get(pk=session.pk, organisation=group.organisation_id)
        if session.reminded_at is not None or session.status == "cancelled":
            return summary
        session.reminded_at = timezone.now()
        session.save(update_fields=["reminded_at", "updated_at"])
        record(None, "session.remind", session)
        summary.sessions = 1
        for registration, to in addresses:
            message = _reminder(registration, to, session.starts_at)
            registration_id = registration.pk

            def send(message: EmailMessage = message, registration_id: Any = registration_id) -> None:
                try:
                    message.send(fail_silently=False)
                except Exception as exc:  # one failed email must not stop the others
                    logger.error("group reminder not sent (registration %s): %s", registration_id, type(exc).__name__)

            transaction.on_commit(send)
            summary.emails += 1
    return summary


def reminders_send(organisation: Any, *, now: datetime, dry_run: bool = False) -> RemindSummary:
    """Every session of the organisation's registration groups starting within the next 24 hours
    that was not reminded yet (inside the organisation's tenant scope)."""
    from alongside.groups.schedules import occurrences

    total = RemindSummary()
    groups = Group.objects.filter(
        organisation=organisation, status=GroupStatus.ACTIVE, joining=Joining.REGISTRATION
    ).order_by("pk")
    for group in groups:
        for occurrence in occurrences(group, now, now + REMIND_AHEAD, include_cancelled=False):
            if occurrence.session is not None and occurrence.session.reminded_at is not None:
                continue
            total += session_remind(group=group, key=occurrence.key, now=now, dry_run=dry_run)
    return total


# --- The person's record: merges and rights (registered in apps.py) -------------------------------


def registrations_merge(keep: Participant, duplicate: Participant) -> None:
    """Two records of one person merge: the duplicate's registrations and attendance move to
    ``keep``. Where both hold a place (or a waitlist place) in the same group, the duplicate's is
    cancelled, its freed place going to the first person waiting."""
    org = keep.organisation_id
    kept_groups = set(
        Registration.objects.filter(organisation=org, participant=keep, status__in=ACTIVE).values_list(
            "group_id", flat=True
        )
    )
    now = timezone.now()
    for registration in Registration.objects.filter(
        organisation=org, participant=duplicate, status__in=ACTIVE, group_id__in=kept_groups
    ):
        group = lock_group(registration.group)
        Registration.objects.filter(pk=registration.pk).update(
            status=RegistrationStatus.CANCELLED, cancelled_at=now, updated_at=now
        )
        record(None, "registration.cancel", registration)
        _fill_places(group, acting_user=None, now=now)
    Registration.objects.filter(organisation=org, participant=duplicate).update(participant=keep)
    # Attendance rows follow by people's default (their participant key is repointed).


def participant_restricted(participant: Participant, acting_user: User | None, now: datetime) -> None:
    """The person asked for erasure: no new work, so their places and waitlist places are
    cancelled (the first people waiting are promoted)."""
    for registration in Registration.objects.filter(
        organisation=participant.organisation_id, participant=participant, status__in=ACTIVE
    ):
        registration_cancel(acting_user=acting_user, registration=registration)


def participant_anonymised(participant: Participant, acting_user: User | None, now: datetime) -> None:
    """The record is anonymised: what identifies the person on their registrations is cleared;
    that someone was registered and attended stays, for the counts."""
    rows = Registration.objects.filter(organisation=participant.organisation_id, participant=participant)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return
    rows.update(
        first_name="—",
        email="",
        phone="",
        contact_hash="",
        guardian_name="",
        guardian_contact="",
        token_hash="",
        updated_at=now,
    )
    for pk in ids:
        record(
            acting_user,
            "registration.anonymise",
            organisation=participant.organisation,
            object_type="groups.registration",
            object_id=pk,
        )


def export_rows(participant: Participant) -> list[dict[str, Any]]:
    """The person's group registrations for their export (people.services.participant_export):
    the group, the place, the dates and how many sessions they attended. Nothing about others."""
    from django.db.models import Count, Q

    rows = (
        Registration.objects.filter(organisation=participant.organisation_id, participant=participant)
        .select_related("group", "agreement")
        .annotate(attended=Count("attendance", filter=Q(attendance__present=True)))
        .order_by("created_at")
    )

    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    return [
        {
            "group": r.group.name,
            "status": r.get_status_display(),
            "registered_at": iso(r.registered_at),
            "waitlisted_at": iso(r.waitlisted_at),
            "cancelled_at": iso(r.cancelled_at),
            "agreement_version": r.agreement.version if r.agreement else None,
            "sessions_attended": r.attended,
        }
        for r in rows
    ]
