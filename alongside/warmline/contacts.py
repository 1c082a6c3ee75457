"""Warm-line call and chat records and repeat-caller plans: every write, the scoped reads and the
access functions of this part (see docs/warmline.md).

Writes are keyword-only, take the acting user, run in one transaction and write their audit row
with identifiers only (never the alias, the notes or what was said). Errors are
``ValidationError({field: message})`` a peer can act on.

Other parts call:

- ``contact_start(acting_user=, line=, channel=, caller_alias="", participant=None, at=)``: a draft
  record when a call or chat starts (phone routing; the "Log a call" page).
- ``contact_prefill(acting_user=, line=, channel=, started_at=, ended_at=, caller_alias=,
  first_line=, participant=None)``: a draft from a closed chat, for the peer to finish.
- ``plans_for(organisation, alias=, participant=, at=None, line=None)``: the active plans to show
  the peer while they answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.accounts.models import Organisation, Role, SupervisionLink, User
from alongside.accounts.permissions import has_permission
from alongside.accounts.selectors import roles_for
from alongside.audit.services import record
from alongside.people.models import ContactMode, ContactRecord, Participant, ServiceModel
from alongside.people.services import refuse_if_restricted
from alongside.safety import services as safety_services
from alongside.safety.models import Escalation, Source
from alongside.warmline.models import (
    CallerKind,
    CallerPlan,
    Channel,
    ContactState,
    Helped,
    Line,
    LineContact,
    PlanPeriod,
    ResourceGiven,
    WarmlineTopic,
)

ALIAS_MAX_LENGTH = 100
NOTES_MAX_LENGTH = 4000
RESOURCES_OTHER_MAX_LENGTH = 500
PLAN_NOTES_MAX_LENGTH = 2000
LONGEST_CONTACT = timedelta(hours=12)
# Clocks differ a little between a phone and the server; more than this ahead is a mistake.
CLOCK_SLACK = timedelta(minutes=5)
PAGE_SIZE = 25
ALIAS_SALT = "alongside.warmline.caller_alias"
SEE_ALL_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})

_MODE = {Channel.CALL: ContactMode.PHONE, Channel.CHAT: ContactMode.CHAT}
_SOURCE = {Channel.CALL: Source.CALL, Channel.CHAT: Source.CHAT}

# What a peer fills in when finishing a record (``contact_complete`` / ``contact_update``).
DETAIL_FIELDS = (
    "started_at",
    "ended_at",
    "caller_alias",
    "caller_kind",
    "topics",
    "mood_start",
    "mood_end",
    "helped",
    "resources",
    "resources_other",
    "notes",
    "follow_up_needed",
    "participant",
)


# --- Helpers ---------------------------------------------------------------------------------


def alias_key(organisation: Any, alias: str) -> str:
    """A keyed hash (HMAC-SHA256 from SECRET_KEY) of the alias, case and spaces ignored, per
    organisation: finds the same caller without storing or searching the alias in plain text."""
    normal = " ".join((alias or "").split()).casefold()
    if not normal:
        return ""
    org_id = getattr(organisation, "pk", organisation)
    return salted_hmac(ALIAS_SALT, f"{org_id}:{normal}", algorithm="sha256").hexdigest()


def _may_answer(user: Any, organisation: Organisation) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return has_permission(roles_for(user, organisation.pk), "warmline.answer")


def _text(errors: dict[str, str], name: str, value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = _("This must be text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[name] = _("Keep this to %(n)d characters or fewer.") % {"n": limit}
    return value


def _codes(errors: dict[str, str], name: str, value: Any, allowed: list[str], message: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        errors[name] = message
        return []
    codes: list[str] = []
    for code in value:
        if not isinstance(code, str) or code not in allowed:
            errors[name] = message
            return []
        if code not in codes:
            codes.append(code)
    return codes


def _mood(errors: dict[str, str], name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[name] = _("Choose a mood from 1 to 5, or leave it blank.")
        return None
    try:
        mood = int(value)
    except (TypeError, ValueError):
        mood = 0
    if str(mood) != str(value).strip() or not 1 <= mood <= 5:
        errors[name] = _("Choose a mood from 1 to 5, or leave it blank.")
        return None
    return mood


def _moment(errors: dict[str, str], name: str, value: Any, *, required: str) -> datetime | None:
    if value is None:
        errors[name] = required
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        errors[name] = _("Give a date and time.")
        return None
    if value > timezone.now() + CLOCK_SLACK:
        errors[name] = _("This time is in the future.")
        return None
    return value


def _participant(errors: dict[str, str], organisation: Organisation, participant: Any) -> Participant | None:
    if participant is None:
        return None
    if (
        not isinstance(participant, Participant)
        or participant.organisation_id != organisation.pk
        or participant.merged_into_id is not None
    ):
        errors["participant"] = _("Choose a person from this organisation's records, or leave it blank.")
        return None
    try:
        refuse_if_restricted(participant)
    except ValidationError as exc:
        errors["participant"] = " ".join(exc.messages)
        return None
    return participant


def _duration(started_at: datetime, ended_at: datetime) -> int:
    return max(1, math.ceil((ended_at - started_at).total_seconds() / 60))


def _locked(contact: LineContact) -> LineContact:
    """The one lock shape of this part: the contact's row, then (always in this order) its record."""
    locked = (
        LineContact.objects.select_for_update()
        .select_related("contact", "line")
        .get(pk=contact.pk, organisation=contact.organisation_id)
    )
    return locked


def _may_write(user: User, contact: LineContact) -> None:
    """The peer who took the contact, or staff who supervise warm-line work (the view has already
    checked that it is within their scope)."""
    if contact.contact.peer_id == user.pk:
        return
    if has_permission(roles_for(user, contact.organisation_id), "warmline.supervise"):
        return
    raise ValidationError(_("Only the peer supporter who took this contact, or their supervisor, can change it."))


def _repeat_guess(organisation: Organisation, key: str, participant: Participant | None) -> str:
    """A first guess the peer can change: known from an earlier contact, else "not sure"."""
    if not key and participant is None:
        return CallerKind.NOT_SURE
    earlier = Q(pk__in=[])
    if key:
        earlier |= Q(alias_key=key)
    if participant is not None:
        earlier |= Q(contact__participant=participant)
    seen = LineContact.objects.filter(organisation=organisation).filter(earlier).exists()
    return CallerKind.REPEAT if seen else CallerKind.NOT_SURE


# --- Starting a record -------------------------------------------------------------------------


def _start(
    *,
    acting_user: User,
    line: Any,
    channel: Any,
    caller_alias: Any,
    participant: Any,
    started_at: Any,
    ended_at: Any = None,
    notes: str = "",
) -> LineContact:
    errors: dict[str, str] = {}
    if not isinstance(line, Line) or line.pk is None:
        raise ValidationError({"line": _("Choose one of this organisation's lines.")})
    organisation = line.organisation
    if not _may_answer(acting_user, organisation):
        raise ValidationError({"line": _("Choose one of this organisation's lines.")})
    if not line.is_active:
        errors["line"] = _("This line is not in service. Choose another line.")
    if channel not in Channel.values:
        errors["channel"] = _("Say whether this was a call or a chat.")
    alias = _text(errors, "caller_alias", caller_alias, ALIAS_MAX_LENGTH)
    person = _participant(errors, organisation, participant)
    start = _moment(errors, "started_at", started_at, required=_("Say when the contact started."))
    end: datetime | None = None
    if ended_at is not None:
        end = _moment(errors, "ended_at", ended_at, required="")
        if start is not None and end is not None and end < start:
            errors["ended_at"] = _("The end must be after the start.")
    if errors:
        raise ValidationError(errors)
    assert start is not None
    key = alias_key(organisation, alias)
    record_row = ContactRecord.objects.create(
        organisation=organisation,
        participant=person,
        program=line.program,
        service_model=ServiceModel.WARMLINE,
        occurred_at=start,
        duration_minutes=_duration(start, end) if end is not None else 1,
        mode=_MODE[Channel(channel)],
        peer=acting_user,
        notes=notes,
    )
    record(acting_user, "contact.create", record_row)
    contact = LineContact.objects.create(
        organisation=organisation,
        contact=record_row,
        line=line,
        channel=channel,
        state=ContactState.DRAFT,
        started_at=start,
        ended_at=end,
        caller_alias=alias,
        alias_key=key,
        caller_kind=_repeat_guess(organisation, key, person),
    )
    record(acting_user, "warmline_contact.start", contact)
    return contact


@transaction.atomic
def contact_start(
    *,
    acting_user: User,
    line: Line,
    channel: str,
    caller_alias: str = "",
    participant: Participant | None = None,
    at: datetime,
) -> LineContact:
    """A draft record for a call or chat that starts (or started) at ``at``, taken by
    ``acting_user``. Anonymous callers are normal: no participant is needed, an alias is optional."""
    return _start(
        acting_user=acting_user,
        line=line,
        channel=channel,
        caller_alias=caller_alias,
        participant=participant,
        started_at=at,
    )


@transaction.atomic
def contact_prefill(
    *,
    acting_user: User,
    line: Line,
    channel: str,
    started_at: datetime,
    ended_at: datetime,
    caller_alias: str,
    first_line: str,
    participant: Participant | None = None,
) -> LineContact:
    """A draft from a conversation that has closed (the chat part calls this): start, end and
    alias filled in, and the person's first message as the start of the private notes, for the
    peer to edit and finish."""
    errors: dict[str, str] = {}
    notes = _text(errors, "notes", first_line, NOTES_MAX_LENGTH)
    if ended_at is None:
        errors["ended_at"] = _("Say when the contact ended.")
    if errors:
        raise ValidationError(errors)
    return _start(
        acting_user=acting_user,
        line=line,
        channel=channel,
        caller_alias=caller_alias,
        participant=participant,
        started_at=started_at,
        ended_at=ended_at,
        notes=notes,
    )


# --- Finishing and correcting -------------------------------------------------------------------


def _clean_details(contact: LineContact, given: dict[str, Any]) -> dict[str, Any]:
    """Every detail after the change, checked together, or ValidationError."""
    unknown = set(given) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"cannot set {', '.join(sorted(unknown))}")
    record_row = contact.contact
    current: dict[str, Any] = {
        "started_at": contact.started_at,
        "ended_at": contact.ended_at,
        "caller_alias": contact.caller_alias,
        "caller_kind": contact.caller_kind,
        "topics": list(record_row.topics),
        "mood_start": contact.mood_start,
        "mood_end": contact.mood_end,
        "helped": list(contact.helped),
        "resources": list(contact.resources),
        "resources_other": contact.resources_other,
        "notes": record_row.notes,
        "follow_up_needed": record_row.follow_up_needed,
        "participant": record_row.participant,
    }
    data = {**current, **given}
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    out["started_at"] = _moment(errors, "started_at", data["started_at"], required=_("Say when the contact started."))
    out["ended_at"] = _moment(errors, "ended_at", data["ended_at"], required=_("Say when the contact ended."))
    start, end = out["started_at"], out["ended_at"]
    if start is not None and end is not None:
        if end < start:
            errors["ended_at"] = _("The end must be after the start.")
        elif end - start > LONGEST_CONTACT:
            errors["ended_at"] = _("A contact of more than 12 hours is likely a typing mistake: check the times.")
    out["caller_alias"] = _text(errors, "caller_alias", data["caller_alias"], ALIAS_MAX_LENGTH)
    if data["caller_kind"] not in CallerKind.values:
        errors["caller_kind"] = _("Say whether this was their first time, or that you are not sure.")
    out["caller_kind"] = data["caller_kind"]
    out["topics"] = _codes(errors, "topics", data["topics"], WarmlineTopic.values, _("Choose topics from the list."))
    out["mood_start"] = _mood(errors, "mood_start", data["mood_start"])
    out["mood_end"] = _mood(errors, "mood_end", data["mood_end"])
    out["helped"] = _codes(errors, "helped", data["helped"], Helped.values, _("Choose what helped from the list."))
    out["resources"] = _codes(
        errors, "resources", data["resources"], ResourceGiven.values, _("Choose resources from the list.")
    )
    out["resources_other"] = _text(errors, "resources_other", data["resources_other"], RESOURCES_OTHER_MAX_LENGTH)
    out["notes"] = _text(errors, "notes", data["notes"], NOTES_MAX_LENGTH)
    if not isinstance(data["follow_up_needed"], bool):
        errors["follow_up_needed"] = _("Say whether a follow-up is needed: yes or no.")
    out["follow_up_needed"] = data["follow_up_needed"]
    if data["participant"] is not None and data["participant"] == record_row.participant:
        out["participant"] = record_row.participant  # unchanged: kept even if since restricted
    else:
        out["participant"] = _participant(errors, contact.line.organisation, data["participant"])
    if errors:
        raise ValidationError(errors)
    return out


def _save_details(contact: LineContact, out: dict[str, Any]) -> bool:
    """Write the checked details on both rows; whether anything changed."""
    record_row = contact.contact
    record_changes = {
        "occurred_at": out["started_at"],
        "duration_minutes": _duration(out["started_at"], out["ended_at"]),
        "topics": out["topics"],
        "notes": out["notes"],
        "follow_up_needed": out["follow_up_needed"],
        "participant": out["participant"],
    }
    detail_changes = {
        name: out[name]
        for name in (
            "started_at",
            "ended_at",
            "caller_alias",
            "caller_kind",
            "mood_start",
            "mood_end",
            "helped",
            "resources",
            "resources_other",
        )
    }
    detail_changes["alias_key"] = alias_key(contact.organisation_id, out["caller_alias"])
    changed_record = [name for name, value in record_changes.items() if getattr(record_row, name) != value]
    changed_detail = [name for name, value in detail_changes.items() if getattr(contact, name) != value]
    for name in changed_record:
        setattr(record_row, name, record_changes[name])
    for name in changed_detail:
        setattr(contact, name, detail_changes[name])
    if "notes" in changed_record:
        # What the caller said is screened like a chat message: the page prompts the peer to check
        # in or to raise a safety concern (policy words kept, never the notes).
        tier, concepts = _screen_notes(contact, out["notes"])
        if (tier, concepts) != (contact.screening_tier, contact.screening_concepts):
            contact.screening_tier, contact.screening_concepts = tier, concepts
            changed_detail += ["screening_tier", "screening_concepts"]
    if changed_record:
        record_row.save(update_fields=[*changed_record, "updated_at"])
    if changed_detail:
        contact.save(update_fields=[*changed_detail, "updated_at"])
    return bool(changed_record or changed_detail)


def _screen_notes(contact: LineContact, notes: str) -> tuple[str, list[str]]:
    from alongside.warmline import screening

    verdict = screening.screen_door(notes, organisation=contact.organisation, door=f"contact {contact.pk}")
    return verdict.tier, list(verdict.concepts)


@transaction.atomic
def contact_complete(*, acting_user: User, contact: LineContact, ended_at: datetime, **details: Any) -> LineContact:
    """Finish a draft: the end (and any correction of the start), then what the peer noted
    (``DETAIL_FIELDS``). The duration is computed from start and end. Finishing a record that is
    already finished saves it as a correction (a resent form)."""
    contact = _locked(contact)
    _may_write(acting_user, contact)
    out = _clean_details(contact, {**details, "ended_at": ended_at})
    if contact.state == ContactState.COMPLETE:
        if _save_details(contact, out):
            record(acting_user, "warmline_contact.update", contact)
        return contact
    _save_details(contact, out)
    contact.state, contact.completed_at = ContactState.COMPLETE, timezone.now()
    contact.save(update_fields=["state", "completed_at", "updated_at"])
    record(acting_user, "warmline_contact.complete", contact)
    return contact


@transaction.atomic
def contact_update(*, acting_user: User, contact: LineContact, **details: Any) -> LineContact:
    """Correct a record (only the details given change; a draft stays a draft). Nothing changed:
    nothing recorded."""
    contact = _locked(contact)
    _may_write(acting_user, contact)
    out = _clean_details(contact, details)
    if contact.state == ContactState.DRAFT and out["ended_at"] is None:
        raise ValidationError({"ended_at": _("Say when the contact ended.")})
    if _save_details(contact, out):
        record(acting_user, "warmline_contact.update", contact)
    return contact


@transaction.atomic
def contact_escalate(*, acting_user: User, contact: LineContact, summary: str) -> Escalation:
    """A peer raises a safety concern about this call or chat by hand: the safety protocol
    (``safety.services.escalation_raise``: crisis options, supervisor alerted, checklist, follow-up)
    with the contact record linked. The outcome is recorded on the escalation."""
    contact = _locked(contact)
    _may_write(acting_user, contact)
    escalation = safety_services.escalation_raise(
        acting_user=acting_user,
        organisation=contact.line.organisation,
        source=_SOURCE[Channel(contact.channel)],
        summary=summary,
        participant=contact.contact.participant,
        contact=contact.contact,
    )
    if contact.escalation_id != escalation.pk:
        contact.escalation = escalation
        contact.save(update_fields=["escalation", "updated_at"])
        record(acting_user, "warmline_contact.escalate", contact)
    return escalation


def contact_viewed(*, acting_user: User, contact: LineContact) -> None:
    """The alias, the notes and the other free text were shown (P2/P3): one access-log row."""
    record(acting_user, "warmline_contact.view", contact)


# --- Repeat-caller plans -------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    acting_user: User,
    organisation: Organisation,
    starts_on: date,
    expires_on: date,
    line: Line | None = None,
    caller_alias: str = "",
    participant: Participant | None = None,
    max_contacts: int | None = None,
    period: str = "",
    max_minutes: int | None = None,
    notes: str = "",
) -> CallerPlan:
    """Record what the line agreed with someone who is often in touch: at most N contacts a day
    or a week and/or up to M minutes each, from ``starts_on`` until ``expires_on`` (required: a
    plan is reviewed, never open-ended)."""
    if not has_permission(roles_for(acting_user, organisation.pk), "warmline.caller_plans"):
        raise ValidationError(_("Only a supervisor, coordinator or admin can agree a caller plan."))
    errors: dict[str, str] = {}
    if line is not None and (not isinstance(line, Line) or line.organisation_id != organisation.pk):
        errors["line"] = _("Choose one of this organisation's lines, or every line.")
    alias = _text(errors, "caller_alias", caller_alias, ALIAS_MAX_LENGTH)
    person = _participant(errors, organisation, participant)
    if not alias and person is None and "participant" not in errors and "caller_alias" not in errors:
        errors["caller_alias"] = _("Say who the plan is with: the name they use on the line.")
    for name, value, low, high in (("max_contacts", max_contacts, 1, 50), ("max_minutes", max_minutes, 5, 240)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            errors[name] = _("Choose a number from %(low)d to %(high)d.") % {"low": low, "high": high}
    if max_contacts is None and max_minutes is None and "max_contacts" not in errors:
        errors["max_contacts"] = _("Agree how often, how long, or both.")
    if max_contacts is not None and period not in PlanPeriod.values:
        errors["period"] = _("Say whether that is a day or a week.")
    if max_contacts is None and period:
        period = ""
    text = _text(errors, "notes", notes, PLAN_NOTES_MAX_LENGTH)
    if not isinstance(starts_on, date) or isinstance(starts_on, datetime):
        errors["starts_on"] = _("Give the day the plan starts.")
    if not isinstance(expires_on, date) or isinstance(expires_on, datetime):
        errors["expires_on"] = _("Give the day the plan expires.")
    elif isinstance(starts_on, date) and expires_on < starts_on:
        errors["expires_on"] = _("The plan must expire on or after the day it starts.")
    elif isinstance(starts_on, date) and expires_on > starts_on + timedelta(days=366):
        errors["expires_on"] = _("Review a plan at least once a year: choose an expiry within a year.")
    if errors:
        raise ValidationError(errors)
    plan = CallerPlan.objects.create(
        organisation=organisation,
        line=line,
        caller_alias=alias,
        alias_key=alias_key(organisation, alias),
        participant=person,
        max_contacts=max_contacts,
        period=period,
        max_minutes=max_minutes,
        plan_notes=text,
        starts_on=starts_on,
        expires_on=expires_on,
        created_by=acting_user,
    )
    record(acting_user, "caller_plan.create", plan)
    return plan


@transaction.atomic
def plan_end(*, acting_user: User, plan: CallerPlan) -> CallerPlan:
    """End a plan before it expires. Already ended: nothing changes."""
    plan = CallerPlan.objects.select_for_update().get(pk=plan.pk, organisation=plan.organisation_id)
    if plan.ended_at is not None:
        return plan
    plan.ended_at, plan.ended_by = timezone.now(), acting_user
    plan.save(update_fields=["ended_at", "ended_by", "updated_at"])
    record(acting_user, "caller_plan.end", plan)
    return plan


def plan_viewed(*, acting_user: User, plan: CallerPlan) -> None:
    record(acting_user, "caller_plan.view", plan)


def local_today(organisation: Organisation, at: datetime | None = None) -> date:
    return timezone.localtime(at or timezone.now(), ZoneInfo(organisation.timezone)).date()


def plans_for(
    organisation: Organisation,
    *,
    alias: str = "",
    participant: Participant | None = None,
    at: datetime | None = None,
    line: Line | None = None,
) -> list[CallerPlan]:
    """The plans in force for this caller (by alias, or by their record) on the day of ``at`` in
    the organisation's time zone: started, not expired, not ended; for ``line`` or every line."""
    key = alias_key(organisation, alias)
    who = Q(pk__in=[])
    if key:
        who |= Q(alias_key=key)
    if participant is not None:
        who |= Q(participant=participant)
    if not key and participant is None:
        return []
    today = local_today(organisation, at)
    qs = CallerPlan.objects.filter(
        organisation=organisation, ended_at__isnull=True, starts_on__lte=today, expires_on__gte=today
    ).filter(who)
    if line is not None:
        qs = qs.filter(Q(line__isnull=True) | Q(line=line))
    return list(qs.select_related("line").order_by("expires_on"))


# --- Participants' rights (people.rights; registered in warmline/apps.py) ---------------------------------


def participant_restricted(participant: Participant, acting_user: User | None, now: datetime) -> None:
    """The person asked for erasure: their plans end (nothing new is linked to the record:
    ``contact_start`` and the form refuse it already)."""
    plans = CallerPlan.objects.filter(
        organisation=participant.organisation_id, participant=participant, ended_at__isnull=True
    )
    for plan in plans:
        plan.ended_at, plan.ended_by = now, acting_user
        plan.save(update_fields=["ended_at", "ended_by", "updated_at"])
        record(acting_user, "caller_plan.end", plan)


def participant_anonymised(participant: Participant, acting_user: User | None, now: datetime) -> None:
    """The person's record is anonymised: the alias and free text of their warm-line records and
    plans are cleared (people clears the contact records' notes); that a contact happened, when,
    for how long and its codes stay."""
    org_id = participant.organisation_id
    for contact in LineContact.objects.filter(organisation=org_id, contact__participant=participant):
        contact.caller_alias, contact.alias_key, contact.resources_other = "", "", ""
        contact.save(update_fields=["caller_alias", "alias_key", "resources_other", "updated_at"])
        record(acting_user, "warmline_contact.cleared", contact)
    for plan in CallerPlan.objects.filter(organisation=org_id, participant=participant):
        plan.caller_alias, plan.alias_key, plan.plan_notes = "", "", ""
        plan.ended_at = plan.ended_at or now
        plan.save(update_fields=["caller_alias", "alias_key", "plan_notes", "ended_at", "updated_at"])
        record(acting_user, "caller_plan.cleared", plan)


# --- Retention (called by ``alongside retention run``) --------------------------------------------

TEXTS_BATCH = 500


def texts_due(organisation: Organisation, now: datetime) -> QuerySet[LineContact]:
    """Warm-line details whose contact is past the organisation's notes period: those whose notes
    are still there (they are cleared in the same run, after this), and any alias left behind."""
    cutoff = now - timedelta(days=organisation.retention_notes_days)
    return LineContact.objects.filter(organisation=organisation, contact__occurred_at__lte=cutoff).filter(
        Q(contact__notes_cleared_at__isnull=True) | ~Q(alias_key="")
    )


def texts_purge(*, organisation: Organisation, now: datetime | None = None, dry_run: bool = False) -> int:
    """Clear the caller's alias (and its key) and the "other resources" text of warm-line contacts
    past the notes period, with the contact notes (run it before people clears the notes). Codes,
    times and moods stay. Batched UPDATEs; one ``retention.warmline_texts_cleared`` audit row per
    run when any. Runs inside the organisation's tenant scope; returns how many (would be) cleared."""
    moment = now or timezone.now()
    if dry_run:
        return texts_due(organisation, moment).count()
    cleared = 0
    after: Any = None
    while True:
        # A batch of ids in pk order (the notes stay until people clears them, so the rows stay due).
        with transaction.atomic():
            due = texts_due(organisation, moment)
            if after is not None:
                due = due.filter(pk__gt=after)
            ids = list(due.order_by("pk").values_list("pk", flat=True)[:TEXTS_BATCH])
            if not ids:
                break
            after = ids[-1]
            cleared += LineContact.objects.filter(organisation=organisation, pk__in=ids).update(
                caller_alias="", alias_key="", resources_other="", updated_at=moment
            )
    if cleared:
        record(None, "retention.warmline_texts_cleared", organisation=organisation, object_type="warmline.linecontact")
    return cleared


# --- Reads and access ----------------------------------------------------------------------------


def visible_contacts(org: OrgContext) -> QuerySet[LineContact]:
    """Peers: the contacts they took. Supervisors (warmline.contacts_view): also their team's
    (open supervision links). Coordinators and admins: every contact of the organisation."""
    qs = LineContact.objects.filter(organisation=org.organisation)
    if org.can("warmline.contacts_view") and org.roles & SEE_ALL_ROLES:
        return qs
    scope = Q(contact__peer=org.user)
    if org.can("warmline.contacts_view") and Role.SUPERVISOR in org.roles:
        team = SupervisionLink.objects.filter(
            organisation=org.organisation, supervisor=org.user, ended_at__isnull=True
        ).values("peer_id")
        scope |= Q(contact__peer__in=team)
    return qs.filter(scope)


def access_contact(org: OrgContext, contact_id: Any, *, write: bool = False) -> LineContact:
    """The contact if this person may see it (and change it, with ``write``: the peer who took it,
    or warm-line supervisors within their scope), else the same 404 as a missing id."""
    contact = (
        visible_contacts(org)
        .filter(pk=parse_uuid_or_404(contact_id))
        .select_related("contact", "contact__peer", "contact__participant", "line", "escalation")
        .first()
    )
    if contact is None:
        raise Http404
    if write and contact.contact.peer_id != org.user.pk and not org.can("warmline.supervise"):
        raise Http404
    return contact


def access_plan(org: OrgContext, plan_id: Any) -> CallerPlan:
    org.require("warmline.caller_plans")
    plan = (
        CallerPlan.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(plan_id))
        .select_related("line", "participant", "created_by", "ended_by")
        .first()
    )
    if plan is None:
        raise Http404
    return plan


@dataclass(frozen=True)
class ContactFilters:
    alias: str = ""
    day: date | None = None
    line: str = ""


def _list(qs: QuerySet[LineContact], org: OrgContext, filters: ContactFilters) -> QuerySet[LineContact]:
    if filters.alias.strip():
        qs = qs.filter(alias_key=alias_key(org.organisation, filters.alias))
    if filters.day is not None:
        zone = ZoneInfo(org.organisation.timezone)
        start = datetime.combine(filters.day, datetime.min.time(), tzinfo=zone)
        qs = qs.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))
    if filters.line:
        qs = qs.filter(line__slug=filters.line)
    # The list never shows the alias or notes (encrypted; reading them is audited on the detail page).
    return (
        qs.select_related("line", "contact", "contact__peer")
        .defer("caller_alias", "resources_other", "contact__notes")
        .order_by("-started_at", "-created_at")
    )


def own_contacts_page(org: OrgContext, filters: ContactFilters, *, page: Any = None) -> Page[LineContact]:
    """The peer's own contacts, newest first (drafts included)."""
    qs = LineContact.objects.filter(organisation=org.organisation, contact__peer=org.user)
    return Paginator(_list(qs, org, filters), PAGE_SIZE).get_page(page)


def contacts_page(org: OrgContext, filters: ContactFilters, *, page: Any = None) -> Page[LineContact]:
    """Every contact within the person's scope (see ``visible_contacts``), newest first."""
    return Paginator(_list(visible_contacts(org), org, filters), PAGE_SIZE).get_page(page)


def own_drafts(org: OrgContext, limit: int = 10) -> list[LineContact]:
    """The peer's records still to finish, oldest first."""
    qs = LineContact.objects.filter(organisation=org.organisation, contact__peer=org.user, state=ContactState.DRAFT)
    return list(qs.select_related("line").defer("caller_alias", "resources_other").order_by("started_at")[:limit])


def plans_page(org: OrgContext, *, page: Any = None, at: datetime | None = None) -> Page[Any]:
    """Plans in force first (soonest to expire first), then ended or expired ones."""
    org.require("warmline.caller_plans")
    today = local_today(org.organisation, at)
    in_force = Q(ended_at__isnull=True, starts_on__lte=today, expires_on__gte=today)
    qs = (
        CallerPlan.objects.filter(organisation=org.organisation)
        .annotate(in_force=ExpressionWrapper(in_force, output_field=BooleanField()))
        .select_related("line", "participant", "created_by")
        .defer("caller_alias", "plan_notes")
        .order_by("-in_force", "expires_on", "created_at")
    )
    return Paginator(qs, PAGE_SIZE).get_page(page)


def lines_for(organisation: Organisation) -> QuerySet[Line]:
    return Line.objects.filter(organisation=organisation, is_active=True).order_by("name")
