"""Every write about safety concerns: keyword-only, takes the acting user, atomic, audited with
identifiers only (never the summary or the notes, which are P3).

``escalation_raise`` is the one entry point for every source: the group roster, a contact, the
generic "Raise a safety concern" page, and later the warm line and outcome surveys.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alongside.accounts.models import Membership, Organisation, Role, User
from alongside.accounts.permissions import has_permission
from alongside.accounts.selectors import roles_for, supervisors_of
from alongside.audit.services import record
from alongside.safety.models import (
    DEFAULT_STEPS,
    MAX_STEPS,
    NOTE_MAX_LENGTH,
    STEP_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    AlertReason,
    Escalation,
    EscalationAlert,
    EscalationChecklist,
    FollowUp,
    Outcome,
    Source,
)

logger = logging.getLogger("alongside.safety")

# A second identical "raise" by the same person within this window is the same concern (a double
# click, a resent form), not a new one.
DUPLICATE_WINDOW = timedelta(minutes=10)
FOLLOW_UP_HOUR = time(10, 0)


def _text(value: Any, *, field: str, limit: int, required: bool, errors: dict[str, str], missing: str) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("This must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = missing
    elif len(value) > limit:
        errors[field] = _("Keep this to %(n)d characters or fewer.") % {"n": limit}
    return value


def _require_staff(acting_user: User | None, organisation: Organisation, permission: str, message: str) -> User:
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise ValidationError(message)
    if not has_permission(roles_for(acting_user, organisation.pk), permission):
        raise ValidationError(message)
    return acting_user


def default_due(organisation: Organisation, now: datetime | None = None) -> datetime:
    """The next day at 10:00 in the organisation's time zone."""
    zone = ZoneInfo(organisation.timezone)
    local = timezone.localtime(now or timezone.now(), zone)
    return datetime.combine(local.date() + timedelta(days=1), FOLLOW_UP_HOUR, tzinfo=zone)


def current_steps(organisation: Organisation) -> tuple[list[str], int]:
    """The organisation's checklist and its version (0: the built-in default, in today's language)."""
    saved = EscalationChecklist.objects.filter(organisation=organisation).first()
    if saved is not None and saved.steps:
        return list(saved.steps), saved.version
    return [str(step) for step in DEFAULT_STEPS], 0


# --- Raising a concern -----------------------------------------------------------------------


@transaction.atomic
def escalation_raise(
    *,
    acting_user: User,
    organisation: Organisation,
    source: str,
    summary: str,
    participant: Any = None,
    group_session: Any = None,
    contact: Any = None,
) -> Escalation:
    """Record a safety concern, copy the organisation's checklist into it, schedule a follow-up
    and alert the reporter's supervisors (or, when they have none, the coordinators and admins)
    by email once committed. Raising the same concern twice within a few minutes returns the first.

    The caller decides whether the acting person may see ``participant`` (their record scope);
    here every object must belong to ``organisation``.
    """
    user = _require_staff(
        acting_user, organisation, "safety.raise", _("Only staff of this organisation can raise a safety concern here.")
    )
    errors: dict[str, str] = {}
    if not isinstance(source, str) or source not in Source.values:
        errors["source"] = _("Say where the concern came up.")
    summary = _text(
        summary,
        field="summary",
        limit=SUMMARY_MAX_LENGTH,
        required=True,
        errors=errors,
        missing=_("Write a few words about what happened, in your own words."),
    )
    if participant is not None and (
        getattr(participant, "organisation_id", None) != organisation.pk or participant.merged_into_id is not None
    ):
        errors["participant"] = _("Choose a person from this organisation's records.")
    if group_session is not None:
        if getattr(group_session, "organisation_id", None) != organisation.pk:
            errors["group_session"] = _("Choose a group session of this organisation.")
        elif source != Source.GROUP_SESSION:
            errors["source"] = _("A concern raised from a group session has the source “group session”.")
    elif source == Source.GROUP_SESSION:
        errors["group_session"] = _("Say which group session the concern came up in.")
    if contact is not None:
        if getattr(contact, "organisation_id", None) != organisation.pk:
            errors["contact"] = _("Choose a contact record of this organisation.")
        elif source not in (Source.CONTACT, Source.CHAT, Source.CALL):
            errors["source"] = _("A concern raised from a contact has the source “contact”, “chat” or “call”.")
    elif source == Source.CONTACT:
        errors["contact"] = _("Say which contact the concern came up in.")
    if errors:
        raise ValidationError(errors)
    if participant is None and contact is not None and contact.participant_id is not None:
        participant = contact.participant

    # Serialise this person's raises (one lock shape: their user row), so a double click cannot
    # slip two copies past the duplicate check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    recent = Escalation.objects.filter(
        organisation=organisation,
        raised_by=user,
        source=source,
        raised_at__gte=now - DUPLICATE_WINDOW,
        participant=participant,
        group_session=group_session,
        contact=contact,
        closed_at__isnull=True,
    )
    for earlier in recent:
        if earlier.summary == summary:
            return earlier

    steps, version = current_steps(organisation)
    escalation = Escalation.objects.create(
        organisation=organisation,
        source=source,
        group_session=group_session,
        contact=contact,
        participant=participant,
        raised_by=user,
        raised_at=now,
        summary=summary,
        checklist=[{"text": text, "done": False, "at": None, "by": None} for text in steps],
        checklist_version=version,
    )
    record(user, "escalation.raise", escalation)
    followup = FollowUp.objects.create(
        organisation=organisation, escalation=escalation, due_at=default_due(organisation, now), assigned_to=user
    )
    record(user, "escalation_followup.create", followup)
    _alert(escalation, user, now)
    return escalation


def alert_recipients(organisation: Organisation, reporter: User) -> list[tuple[User, str]]:
    """The reporter's supervisors (open supervision links); when there are none, the
    organisation's coordinators and admins. Never the reporter; only active accounts."""
    supervisors = [u for u in supervisors_of(organisation, reporter) if u.pk != reporter.pk and u.is_active]
    if supervisors:
        return [(u, AlertReason.SUPERVISOR) for u in supervisors]
    memberships = (
        Membership.objects.filter(
            organisation=organisation, is_active=True, role__in=[Role.COORDINATOR, Role.ADMIN], user__is_active=True
        )
        .exclude(user=reporter)
        .select_related("user")
        .order_by("user__email", "role")
    )
    chosen: dict[Any, tuple[User, str]] = {}
    for m in memberships:
        # Someone who is both coordinator and admin is told once, as coordinator.
        reason = AlertReason.COORDINATOR if m.role == Role.COORDINATOR else AlertReason.ADMIN
        if m.user_id not in chosen or reason == AlertReason.COORDINATOR:
            chosen[m.user_id] = (m.user, reason)
    return list(chosen.values())


def _alert(escalation: Escalation, reporter: User, now: datetime) -> None:
    organisation = escalation.organisation
    link = settings.SITE_URL + reverse("safety:escalation", args=[organisation.slug, escalation.pk])
    for user, reason in alert_recipients(organisation, reporter):
        alert = EscalationAlert.objects.create(
            organisation=organisation, escalation=escalation, user=user, reason=reason, alerted_at=now
        )
        record(reporter, "escalation.alert", alert)
        if user.email:
            _send_after_commit(_alert_message(escalation, reporter, user, link), escalation.pk)


def _alert_message(escalation: Escalation, reporter: User, to: User, link: str) -> EmailMessage:
    """The email says that a concern was raised, by whom, and where to read it: never what it says
    (email is not a place for P3 text)."""
    zone = ZoneInfo(escalation.organisation.timezone)
    with translation.override(to.language or settings.LANGUAGE_CODE), timezone.override(zone):
        subject = _("Safety concern raised by %(name)s") % {"name": reporter.display_name}
        body = render_to_string(
            "safety/email_alert.txt",
            {
                "escalation": escalation,
                "reporter": reporter,
                "recipient": to,
                "organisation": escalation.organisation,
                "link": link,
                "raised_at": escalation.raised_at,
            },
        )
    return EmailMessage(subject=subject, body=body, to=[to.email])


def _send_after_commit(message: EmailMessage, escalation_id: Any) -> None:
    def send() -> None:
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # one failed email must not stop the others
            # The exception text may name the address (P2): its type and the escalation id only.
            logger.error("safety alert not sent (escalation %s): %s", escalation_id, type(exc).__name__)

    transaction.on_commit(send)


# --- Working through it --------------------------------------------------------------------------


def _locked(escalation: Escalation) -> Escalation:
    return Escalation.objects.select_for_update().get(pk=escalation.pk, organisation=escalation.organisation_id)


@transaction.atomic
def checklist_step_done(*, acting_user: User, escalation: Escalation, index: Any, done: bool = True) -> Escalation:
    """Tick (or untick) one step of the escalation's own copy of the checklist. Ticking a ticked
    step changes nothing and records nothing (a double click)."""
    escalation = _locked(escalation)
    if escalation.closed_at is not None:
        raise ValidationError(_("This concern is closed; its checklist can no longer change."))
    try:
        position = int(index)
    except (TypeError, ValueError):
        position = -1
    if isinstance(index, bool) or not 0 <= position < len(escalation.checklist):
        raise ValidationError({"step": _("Choose one of the steps of this checklist.")})
    if not isinstance(done, bool):
        raise ValidationError({"done": _("Say whether the step is done: yes or no.")})
    step = escalation.checklist[position]
    if bool(step.get("done")) == done:
        return escalation
    step.update(
        done=done,
        at=timezone.now().isoformat() if done else None,
        by=str(acting_user.pk) if done else None,
    )
    escalation.save(update_fields=["checklist"])
    record(acting_user, "escalation.step_done" if done else "escalation.step_undone", escalation)
    return escalation


@transaction.atomic
def escalation_record_outcome(
    *, acting_user: User, escalation: Escalation, outcome: Any, notes: Any = ""
) -> Escalation:
    """Say what happened next. It can be corrected until the concern is closed."""
    escalation = _locked(escalation)
    if escalation.closed_at is not None:
        raise ValidationError(_("This concern is closed; its outcome can no longer change."))
    errors: dict[str, str] = {}
    if not isinstance(outcome, str) or outcome not in Outcome.values:
        errors["outcome"] = _("Choose what happened next.")
    notes = _text(notes, field="notes", limit=NOTE_MAX_LENGTH, required=False, errors=errors, missing="")
    if outcome == Outcome.OTHER and not notes and "notes" not in errors:
        errors["notes"] = _("You chose “something else”: write a few words about what happened.")
    if errors:
        raise ValidationError(errors)
    if escalation.outcome == outcome and escalation.outcome_notes == notes:
        return escalation
    escalation.outcome, escalation.outcome_notes = outcome, notes
    escalation.outcome_at, escalation.outcome_by = timezone.now(), acting_user
    escalation.save(update_fields=["outcome", "outcome_notes", "outcome_at", "outcome_by"])
    record(acting_user, "escalation.outcome", escalation)
    return escalation


@transaction.atomic
def escalation_close(*, acting_user: User, escalation: Escalation) -> Escalation:
    """A person closes the concern once its outcome is recorded. Already closed: nothing changes.
    Nothing ever closes one automatically."""
    escalation = _locked(escalation)
    if escalation.closed_at is not None:
        return escalation
    if not escalation.outcome:
        raise ValidationError({"outcome": _("Record what happened next before closing this concern.")})
    escalation.closed_at, escalation.closed_by = timezone.now(), acting_user
    escalation.save(update_fields=["closed_at", "closed_by"])
    record(acting_user, "escalation.close", escalation)
    return escalation


@transaction.atomic
def followup_done(*, acting_user: User, followup: FollowUp, note: Any = "") -> FollowUp:
    """Mark a follow-up done, with an optional note. Already done: nothing changes."""
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk, organisation=followup.organisation_id)
    errors: dict[str, str] = {}
    note = _text(note, field="note", limit=NOTE_MAX_LENGTH, required=False, errors=errors, missing="")
    if errors:
        raise ValidationError(errors)
    if followup.done_at is not None:
        return followup
    followup.done_at, followup.done_by, followup.note = timezone.now(), acting_user, note
    followup.save(update_fields=["done_at", "done_by", "note"])
    record(acting_user, "escalation_followup.done", followup)
    return followup


# --- Reminders (``alongside safety remind``, hourly) ------------------------------------------------


def followups_remind(*, organisation: Organisation, now: datetime | None = None) -> int:
    """Email the assignee of each follow-up that is due (open, of an open concern, not reminded
    yet), once; how many were reminded. Each follow-up is claimed with a conditional update, so
    two runs at once never remind twice. The email names no one and says nothing of the concern."""
    moment = now or timezone.now()
    due = FollowUp.objects.filter(
        organisation=organisation,
        done_at__isnull=True,
        reminded_at__isnull=True,
        due_at__lte=moment,
        escalation__closed_at__isnull=True,
    ).select_related("assigned_to", "escalation")
    reminded = 0
    for followup in due:
        with transaction.atomic():
            claimed = FollowUp.objects.filter(
                organisation=organisation, pk=followup.pk, reminded_at__isnull=True
            ).update(reminded_at=moment)
            if not claimed:
                continue
            record(None, "escalation_followup.remind", followup)
            to = followup.assigned_to
            if to.email and to.is_active:
                path = reverse("safety:escalation", args=[organisation.slug, followup.escalation_id])
                link = settings.SITE_URL + path
                zone = ZoneInfo(organisation.timezone)
                with translation.override(to.language or settings.LANGUAGE_CODE), timezone.override(zone):
                    subject = _("A safety follow-up is due")
                    body = render_to_string(
                        "safety/email_followup.txt",
                        {"recipient": to, "followup": followup, "organisation": organisation, "link": link},
                    )
                _send_after_commit(EmailMessage(subject=subject, body=body, to=[to.email]), followup.escalation_id)
            reminded += 1
    return reminded


# --- The organisation's checklist ---------------------------------------------------------------


@transaction.atomic
def checklist_update(*, acting_user: User, organisation: Organisation, steps: Any) -> EscalationChecklist:
    """Replace the organisation's checklist (a new version). Escalations already raised keep the
    copy they were raised with."""
    _require_staff(
        acting_user, organisation, "safety.checklist", _("Only an organisation admin can change the safety checklist.")
    )
    if not isinstance(steps, list | tuple) or not all(isinstance(s, str) for s in steps):
        raise ValidationError({"steps": _("Write the steps as text, one per line.")})
    cleaned = [s.strip() for s in steps if s.strip()]
    if not cleaned:
        raise ValidationError({"steps": _("Keep at least one step.")})
    if len(cleaned) > MAX_STEPS:
        raise ValidationError({"steps": _("Keep the checklist to %(n)d steps or fewer.") % {"n": MAX_STEPS}})
    too_long = [i + 1 for i, s in enumerate(cleaned) if len(s) > STEP_MAX_LENGTH]
    if too_long:
        raise ValidationError(
            {
                "steps": _("Step %(step)d is too long: keep each step to %(n)d characters or fewer.")
                % {"step": too_long[0], "n": STEP_MAX_LENGTH}
            }
        )
    checklist = EscalationChecklist.objects.select_for_update().filter(organisation=organisation).first()
    if checklist is None:
        checklist = EscalationChecklist.objects.create(
            organisation=organisation, steps=cleaned, version=1, updated_by=acting_user
        )
    elif checklist.steps == cleaned:
        return checklist
    else:
        checklist.steps, checklist.version, checklist.updated_by = cleaned, checklist.version + 1, acting_user
        checklist.save(update_fields=["steps", "version", "updated_by", "updated_at"])
    record(acting_user, "escalation_checklist.update", checklist)
    return checklist


# --- Reads of P3 text (audited) -------------------------------------------------------------------


def escalation_viewed(*, acting_user: User, escalation: Escalation) -> None:
    """The summary, outcome notes and follow-up notes were shown (P3): one access-log row."""
    record(acting_user, "escalation.view", escalation)


# --- Participants' rights (people.rights) ----------------------------------------------------------


def participant_restricted(participant: Any, acting_user: User | None, now: datetime) -> None:
    """The person asked for erasure: safety concerns are kept until anonymisation (a safety
    record is not new work, so nothing stops here)."""


def participant_anonymised(participant: Any, acting_user: User | None, now: datetime) -> None:
    """The person's record is anonymised: the words of each concern about them are cleared; that
    a concern was raised, when, and what was done stays (for the organisation's own safety record)."""
    escalations = Escalation.objects.filter(organisation=participant.organisation_id, participant=participant)
    ids = list(escalations.values_list("pk", flat=True))
    if not ids:
        return
    escalations.update(summary="", outcome_notes="", cleared_at=now)
    FollowUp.objects.filter(organisation=participant.organisation_id, escalation_id__in=ids).update(note="")
    for pk in ids:
        record(
            acting_user,
            "escalation.cleared",
            organisation=participant.organisation,
            object_type="safety.escalation",
            object_id=pk,
        )
