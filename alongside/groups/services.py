"""Every write about groups, their schedules, sessions and agreements: keyword-only, takes the
acting user, one transaction, audited with identifiers only, and errors as
``ValidationError({field: message})`` a person can act on.

Other apps build on two stable parts of this module (see docs/groups.md):

- ``session_for(group=..., key=...)`` turns an occurrence key (``Occurrence.key``) into its
  ``Session`` row, making the row the first time (idempotent and safe when two requests race).
- ``register_change_listener(fn)``: ``fn(group)`` runs after the commit of every write to a group,
  its schedules or its sessions (the directory refreshes its listing this way, so groups never
  imports the directory).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.models import Membership, Organisation, Program, Role, Site, User, validate_timezone
from alongside.audit.services import record
from alongside.core.listeners import ChangeListeners
from alongside.core.services import apply_changes
from alongside.core.slugs import clean_slug
from alongside.groups import schedules as rules
from alongside.groups.models import Group, GroupAgreement, GroupStatus, Schedule, Session, SessionStatus
from alongside.groups.vocab import Accessibility, Audience, Community, GroupFormat, Joining, Topic
from alongside.web.forms import LANGUAGE_CHOICES

log = logging.getLogger("alongside.groups")

# Who may facilitate a group. Training-based eligibility arrives with the workforce capability.
FACILITATOR_ROLES = (Role.PEER, Role.COORDINATOR, Role.SUPERVISOR)
YOUTH_AGE_MIN, YOUTH_AGE_MAX = 10, 25
MAX_CO_FACILITATORS = 4
AGREEMENT_MAX_LENGTH = 6000
NOTE_MAX_LENGTH = 300
LANGUAGES = {code for code, _label in LANGUAGE_CHOICES}

# --- Change listeners ------------------------------------------------------------------------

# After commit, ``fn(group)`` for each registered listener (the directory's sync): see
# core/listeners.py.
_listeners: ChangeListeners[Group] = ChangeListeners("group")
register_change_listener = _listeners.register
unregister_change_listener = _listeners.unregister
_changed = _listeners.changed


# --- Validation helpers ------------------------------------------------------------------------


def _text(errors: dict[str, str], name: str, value: Any, limit: int, *, required: str | None = None) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("This must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = _("Keep this to %(n)d characters or fewer.") % {"n": limit}
    return value


def _codes(errors: dict[str, str], name: str, value: Any, allowed: Iterable[str], message: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        errors[name] = message
        return []
    allowed = set(allowed)
    codes = []
    for code in value:
        if not isinstance(code, str) or code not in allowed:
            errors[name] = message
            return []
        if code not in codes:
            codes.append(code)
    return codes


def _facilitator_ok(organisation: Organisation, user: Any) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    return Membership.objects.filter(
        organisation=organisation, user=user, is_active=True, role__in=FACILITATOR_ROLES
    ).exists()


def _https_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname) and " " not in value


DIAL_IN = re.compile(r"^[0-9+()\-.,#* ]{7,40}$")

GROUP_FIELDS = (
    "name",
    "slug",
    "description",
    "program",
    "audience",
    "communities",
    "age_min",
    "age_max",
    "topics",
    "language",
    "format",
    "site",
    "online_url",
    "dial_in",
    "join_details_public",
    "joining",
    "capacity",
    "is_open",
    "facilitator",
    "accessibility",
    "accessibility_notes",
    "is_free",
    "cost_description",
    "timezone",
    "is_public",
)


def _clean_group(organisation: Organisation, data: dict[str, Any], *, instance: Group | None) -> dict[str, Any]:
    """Every group field checked together (the whole group, after the change), or ValidationError."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    out["name"] = _text(errors, "name", data.get("name"), 120, required=_("Give the group a name."))
    out["description"] = _text(errors, "description", data.get("description"), 2000)

    out["slug"] = clean_slug(
        errors,
        data.get("slug"),
        existing=Group.objects.filter(organisation=organisation),
        instance=instance,
        name=out["name"],
        fallback="group",
        taken_message=_("Another group already uses this web address name. Choose a different one."),
    )

    program = data.get("program")
    if not isinstance(program, Program) or program.organisation_id != organisation.pk or not program.is_active:
        errors["program"] = _("Choose a program of this organisation.")
        program = None
    elif not program.offers_groups:
        errors["program"] = _("This program does not offer peer support groups. Choose one that does.")
    out["program"] = program

    audience = data.get("audience") or Audience.ADULTS
    if audience not in Audience.values:
        errors["audience"] = _("Choose who the group is for.")
    out["audience"] = audience
    out["communities"] = _codes(
        errors, "communities", data.get("communities"), Community.values, _("Choose communities from the list.")
    )
    if audience == Audience.COMMUNITY and not out["communities"] and "communities" not in errors:
        errors["communities"] = _("Choose the community the group is for.")

    age_min, age_max = data.get("age_min"), data.get("age_max")
    for name, value in (("age_min", age_min), ("age_max", age_max)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120):
            errors[name] = _("Enter an age as a whole number.")
    if audience == Audience.YOUTH and program is not None and "age_min" not in errors and "age_max" not in errors:
        if not program.serves_youth:
            errors["audience"] = _(
                "This program does not serve youth. Choose a program that does, or another audience."
            )
        if age_min is None or age_max is None:
            errors["age_min"] = _("A youth group needs an age range: the youngest and oldest age welcome.")
        elif not YOUTH_AGE_MIN <= age_min <= age_max <= YOUTH_AGE_MAX:
            errors["age_min"] = _("The age range of a youth group must be within %(lo)d to %(hi)d, youngest first.") % {
                "lo": YOUTH_AGE_MIN,
                "hi": YOUTH_AGE_MAX,
            }
    elif isinstance(age_min, int) and isinstance(age_max, int) and age_min > age_max and "age_min" not in errors:
        errors["age_min"] = _("The youngest age must not be above the oldest age.")
    if audience == Audience.FAMILIES and program is not None and not program.serves_families:
        errors["audience"] = _("This program does not serve families. Choose a program that does, or another audience.")
    if audience == Audience.ADULTS and program is not None and not program.serves_adults:
        errors["audience"] = _("This program does not serve adults. Choose a program that does, or another audience.")
    out["age_min"], out["age_max"] = age_min, age_max

    out["topics"] = _codes(errors, "topics", data.get("topics"), Topic.values, _("Choose topics from the list."))
    language = data.get("language") or "en"
    if language not in LANGUAGES:
        errors["language"] = _("Choose a language from the list.")
    out["language"] = language

    fmt = data.get("format")
    if fmt not in GroupFormat.values:
        errors["format"] = _("Choose how the group meets: in person, online, both, or by phone.")
    out["format"] = fmt
    site = data.get("site")
    if fmt in (GroupFormat.IN_PERSON, GroupFormat.HYBRID):
        if not isinstance(site, Site) or site.organisation_id != organisation.pk or not site.is_active:
            errors["site"] = _("A group that meets in person needs a site of this organisation.")
            site = None
    elif site is not None and (not isinstance(site, Site) or site.organisation_id != organisation.pk):
        errors["site"] = _("Choose a site of this organisation.")
        site = None
    out["site"] = site
    online_url = _text(errors, "online_url", data.get("online_url"), 500)
    if fmt in (GroupFormat.ONLINE, GroupFormat.HYBRID) and not online_url and "online_url" not in errors:
        errors["online_url"] = _("A group that meets online needs its video link.")
    if online_url and not _https_url(online_url):
        errors["online_url"] = _("Enter the video link as a full address starting with https://.")
    out["online_url"] = online_url
    dial_in = _text(errors, "dial_in", data.get("dial_in"), 40)
    if fmt == GroupFormat.PHONE and not dial_in and "dial_in" not in errors:
        errors["dial_in"] = _("A group that meets by phone needs the number people call to join.")
    if dial_in and not DIAL_IN.match(dial_in):
        errors["dial_in"] = _("Enter the phone number with digits, spaces, +, -, or # only.")
    out["dial_in"] = dial_in
    out["join_details_public"] = bool(data.get("join_details_public", False))

    joining = data.get("joining") or Joining.DROP_IN
    if joining not in Joining.values:
        errors["joining"] = _("Choose whether people drop in or register first.")
    out["joining"] = joining
    capacity = data.get("capacity")
    if capacity is not None and (
        isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 500
    ):
        errors["capacity"] = _("Enter the number of places, from 1 to 500.")
    elif joining == Joining.REGISTRATION and capacity is None:
        errors["capacity"] = _("A group people register for needs the number of places.")
    out["capacity"] = capacity
    if joining == Joining.REGISTRATION and out["join_details_public"]:
        errors["join_details_public"] = _(
            "The online link of a group people register for is shown only to registered people."
        )
    out["is_open"] = bool(data.get("is_open", True))

    facilitator = data.get("facilitator")
    if facilitator is not None and not _facilitator_ok(organisation, facilitator):
        errors["facilitator"] = _("The facilitator must be an active peer supporter, coordinator or supervisor here.")
    out["facilitator"] = facilitator

    out["accessibility"] = _codes(
        errors,
        "accessibility",
        data.get("accessibility"),
        Accessibility.values,
        _("Choose accessibility features from the list."),
    )
    out["accessibility_notes"] = _text(errors, "accessibility_notes", data.get("accessibility_notes"), 500)
    out["is_free"] = bool(data.get("is_free", True))
    out["cost_description"] = _text(errors, "cost_description", data.get("cost_description"), 200)
    if not out["is_free"] and not out["cost_description"] and "cost_description" not in errors:
        errors["cost_description"] = _("Say what it costs, and whether anyone can come for free.")

    tz = data.get("timezone") or organisation.timezone
    try:
        validate_timezone(tz)
    except ValidationError:
        errors["timezone"] = _("Choose a time zone from the list.")
    out["timezone"] = tz
    out["is_public"] = bool(data.get("is_public", True))
    if errors:
        raise ValidationError(errors)
    return out


def _clean_co_facilitators(organisation: Organisation, users: Any, facilitator: Any) -> list[User]:
    users = list(users or [])
    if len(users) > MAX_CO_FACILITATORS:
        raise ValidationError(
            {"co_facilitators": _("A group can have up to %(n)d co-facilitators.") % {"n": MAX_CO_FACILITATORS}}
        )
    unique: list[User] = []
    for user in users:
        if not _facilitator_ok(organisation, user):
            raise ValidationError(
                {
                    "co_facilitators": _(
                        "Co-facilitators must be active peer supporters, coordinators or supervisors here."
                    )
                }
            )
        if user != facilitator and user not in unique:
            unique.append(user)
    return unique


# --- Groups --------------------------------------------------------------------------------


@transaction.atomic
def group_create(
    *, acting_user: User, organisation: Organisation, co_facilitators: Iterable[User] = (), **fields: Any
) -> Group:
    """A new group (meeting, listed publicly unless ``is_public=False``). Fields are those of
    ``GROUP_FIELDS``; ``slug`` is made from the name when not given; the time zone defaults to the
    organisation's."""
    unknown = set(fields) - set(GROUP_FIELDS)
    if unknown:
        raise ValueError(f"unknown group fields: {', '.join(sorted(unknown))}")
    clean = _clean_group(organisation, fields, instance=None)
    co = _clean_co_facilitators(organisation, co_facilitators, clean["facilitator"])
    group = Group.objects.create(organisation=organisation, created_by=acting_user, **clean)
    group.co_facilitators.set(co)
    record(acting_user, "group.create", group)
    _changed(group)
    return group


@transaction.atomic
def group_update(
    *, acting_user: User, group: Group, co_facilitators: Iterable[User] | None = None, **fields: Any
) -> Group:
    """Change some of a group's fields (the whole group is checked again). ``co_facilitators``
    replaces the list when given."""
    unknown = set(fields) - set(GROUP_FIELDS)
    if unknown:
        raise ValueError(f"unknown group fields: {', '.join(sorted(unknown))}")
    organisation = group.organisation
    current = {name: getattr(group, name) for name in GROUP_FIELDS}
    current.update(fields)
    clean = _clean_group(organisation, current, instance=group)
    changed = apply_changes(group, {k: clean[k] for k in GROUP_FIELDS}, GROUP_FIELDS)
    if changed:
        group.save(update_fields=[*changed, "updated_at"])
    co_changed = False
    if co_facilitators is not None:
        co = _clean_co_facilitators(organisation, co_facilitators, group.facilitator)
        if {u.pk for u in co} != set(group.co_facilitators.values_list("pk", flat=True)):
            group.co_facilitators.set(co)
            co_changed = True
    if changed or co_changed:
        record(acting_user, "group.update", group)
        _changed(group)
    return group


@transaction.atomic
def group_set_status(*, acting_user: User, group: Group, status: str) -> Group:
    """Meeting, paused for now, or no longer meeting (the directory lists only meeting groups)."""
    if status not in GroupStatus.values:
        raise ValidationError({"status": _("Choose meeting, paused for now, or no longer meeting.")})
    if group.status != status:
        group.status = status
        group.save(update_fields=["status", "updated_at"])
        record(acting_user, f"group.status_{status}", group)
        _changed(group)
    return group


@transaction.atomic
def agreement_publish(*, acting_user: User, group: Group, text: str) -> GroupAgreement:
    """A new version of the group's agreement (earlier versions stay: acknowledgements name the
    version read). The same text as the latest version makes no new version."""
    errors: dict[str, str] = {}
    text = _text(errors, "text", text, AGREEMENT_MAX_LENGTH, required=_("Write the agreement the group shares."))
    if errors:
        raise ValidationError(errors)
    Group.objects.select_for_update().filter(organisation=group.organisation_id, pk=group.pk).first()
    latest = GroupAgreement.objects.filter(organisation=group.organisation_id, group=group).order_by("-version").first()
    if latest is not None and latest.text == text:
        raise ValidationError(
            {"text": _("This is the same as the current version. Change the text to publish a new one.")}
        )
    agreement = GroupAgreement.objects.create(
        organisation=group.organisation,
        group=group,
        version=(latest.version if latest else 0) + 1,
        text=text,
        created_by=acting_user,
    )
    record(acting_user, "group_agreement.publish", agreement)
    return agreement


def current_agreement(group: Group) -> GroupAgreement | None:
    return GroupAgreement.objects.filter(organisation=group.organisation_id, group=group).order_by("-version").first()


# --- Schedules -----------------------------------------------------------------------------


def _clean_schedule(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    try:
        out["rrule"] = rules.check_rule(data.get("rrule") or "")
    except rules.RuleError as exc:
        errors["rrule"] = str(exc)
    start_date, start_time = data.get("start_date"), data.get("start_time")
    if not isinstance(start_date, date) or isinstance(start_date, datetime):
        errors["start_date"] = _("Enter the date of the first session.")
    if not isinstance(start_time, time):
        errors["start_time"] = _("Enter the time the group starts.")
    duration = data.get("duration_minutes", 90)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 15 <= duration <= 8 * 60:
        errors["duration_minutes"] = _("A session lasts from 15 minutes to 8 hours.")
    until = data.get("until")
    if until is not None:
        if not isinstance(until, date) or isinstance(until, datetime):
            errors["until"] = _("Enter the last date as a date.")
        elif isinstance(start_date, date) and until < start_date:
            errors["until"] = _("The last date must not be before the first session.")
    if errors:
        raise ValidationError(errors)
    out.update(start_date=start_date, start_time=start_time, duration_minutes=duration, until=until)
    return out


@transaction.atomic
def schedule_add(
    *,
    acting_user: User,
    group: Group,
    rrule: str,
    start_date: date,
    start_time: time,
    duration_minutes: int = 90,
    until: date | None = None,
) -> Schedule:
    """A recurring schedule: ``rrule`` within ``schedules.check_rule``'s subset, from ``start_date``
    at ``start_time`` wall-clock time in the group's time zone."""
    clean = _clean_schedule(
        {
            "rrule": rrule,
            "start_date": start_date,
            "start_time": start_time,
            "duration_minutes": duration_minutes,
            "until": until,
        }
    )
    schedule = Schedule.objects.create(organisation=group.organisation, group=group, **clean)
    record(acting_user, "group_schedule.create", schedule)
    _changed(group)
    return schedule


SCHEDULE_FIELDS = ("rrule", "start_date", "start_time", "duration_minutes", "until")


@transaction.atomic
def schedule_update(*, acting_user: User, schedule: Schedule, **fields: Any) -> Schedule:
    """Change a schedule. Sessions already moved, cancelled or held keep their rows (and their
    times); the rest follow the new rule."""
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown schedule fields: {', '.join(sorted(unknown))}")
    current = {name: getattr(schedule, name) for name in SCHEDULE_FIELDS}
    current.update(fields)
    clean = _clean_schedule(current)
    changed = apply_changes(schedule, clean, SCHEDULE_FIELDS)
    if changed:
        schedule.save(update_fields=[*changed, "updated_at"])
        record(acting_user, "group_schedule.update", schedule)
        _changed(schedule.group)
    return schedule


@transaction.atomic
def schedule_end(*, acting_user: User, schedule: Schedule, last_date: date) -> Schedule:
    """The schedule's last session is on or before ``last_date`` (it may not end before it began)."""
    if not isinstance(last_date, date) or isinstance(last_date, datetime):
        raise ValidationError({"until": _("Enter the last date as a date.")})
    if last_date < schedule.start_date:
        raise ValidationError({"until": _("The last date must not be before the first session.")})
    if schedule.until is not None and schedule.until <= last_date:
        raise ValidationError({"until": _("This schedule already ends by then.")})
    schedule.until = last_date
    schedule.save(update_fields=["until", "updated_at"])
    record(acting_user, "group_schedule.end", schedule)
    _changed(schedule.group)
    return schedule


# --- Sessions ------------------------------------------------------------------------------

KEY_TIME = "%Y%m%dT%H%M%SZ"


def _bad_key() -> ValidationError:
    return ValidationError({"key": _("That session is not one of this group's sessions.")})


def session_for(*, group: Group, key: str) -> Session:
    """The ``Session`` row of one of the group's occurrences, made the first time it is needed.

    ``key`` is an ``Occurrence.key``: a session id, or ``<schedule id>_<UTC start YYYYmmddTHHMMSSZ>``
    for an occurrence of one of the group's schedules. Idempotent, and safe when two requests make
    the same row at once (the unique constraint decides, the loser reads the winner's row). A key
    that is not one of the group's occurrences raises ``ValidationError({"key": ...})``.
    """
    if not isinstance(key, str) or not key or len(key) > 80:
        raise _bad_key()
    scope = {"organisation": group.organisation_id, "group": group}
    if "_" not in key:
        try:
            session_id = UUID(key)
        except ValueError:
            raise _bad_key() from None
        session = Session.objects.filter(pk=session_id, **scope).first()
        if session is None:
            raise _bad_key()
        return session
    schedule_part, _sep, time_part = key.partition("_")
    try:
        schedule_id = UUID(schedule_part)
        moment = datetime.strptime(time_part, KEY_TIME).replace(tzinfo=UTC)
    except ValueError:
        raise _bad_key() from None
    schedule = Schedule.objects.filter(pk=schedule_id, **scope).first()
    if schedule is None:
        raise _bad_key()
    existing = Session.objects.filter(schedule=schedule, original_start=moment, **scope).first()
    if existing is not None:
        return existing
    starts = rules.rule_starts(
        schedule.rrule,
        schedule.start_date,
        schedule.start_time,
        ZoneInfo(group.timezone),
        until=schedule.until,
        window=(moment, moment + timedelta(seconds=1)),
    )
    if moment not in starts:
        raise _bad_key()
    try:
        with transaction.atomic():
            return Session.objects.create(
                organisation=group.organisation,
                group=group,
                schedule=schedule,
                original_start=moment,
                starts_at=moment,
                ends_at=moment + timedelta(minutes=schedule.duration_minutes),
            )
    except IntegrityError:
        # Someone else made it first: theirs is the row.
        return Session.objects.get(schedule=schedule, original_start=moment, **scope)


def _lock(session: Session) -> Session:
    return Session.objects.select_for_update().get(organisation=session.organisation_id, pk=session.pk)


def _note(note: Any) -> str:
    errors: dict[str, str] = {}
    value = _text(errors, "note", note, NOTE_MAX_LENGTH)
    if errors:
        raise ValidationError(errors)
    return value


@transaction.atomic
def session_cancel(*, acting_user: User, group: Group, key: str, note: str = "") -> Session:
    """Cancel one session (it stays listed as cancelled, with the note for attendees)."""
    note = _note(note)
    session = _lock(session_for(group=group, key=key))
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError({"key": _("This session is already cancelled.")})
    if session.attendance_taken_at is not None:
        raise ValidationError({"key": _("Attendance was taken for this session, so it cannot be cancelled.")})
    session.status = SessionStatus.CANCELLED
    session.change_note = note
    session.save(update_fields=["status", "change_note", "updated_at"])
    record(acting_user, "group_session.cancel", session)
    _changed(group)
    return session


@transaction.atomic
def session_reinstate(*, acting_user: User, group: Group, key: str) -> Session:
    """Undo a cancellation: the session happens after all."""
    session = _lock(session_for(group=group, key=key))
    if session.status != SessionStatus.CANCELLED:
        raise ValidationError({"key": _("This session is not cancelled.")})
    session.status = SessionStatus.SCHEDULED
    session.change_note = ""
    session.save(update_fields=["status", "change_note", "updated_at"])
    record(acting_user, "group_session.reinstate", session)
    _changed(group)
    return session


def _clean_when(starts_at: Any, duration_minutes: Any) -> tuple[datetime, timedelta]:
    errors: dict[str, str] = {}
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        errors["starts_at"] = _("Enter the date and time the session starts.")
    if isinstance(duration_minutes, bool) or not isinstance(duration_minutes, int) or not 15 <= duration_minutes <= 480:
        errors["duration_minutes"] = _("A session lasts from 15 minutes to 8 hours.")
    if not errors and starts_at < timezone.now() - timedelta(days=1):
        errors["starts_at"] = _("Choose a time that has not passed yet.")
    if errors:
        raise ValidationError(errors)
    return starts_at, timedelta(minutes=duration_minutes)


@transaction.atomic
def session_move(
    *, acting_user: User, group: Group, key: str, starts_at: datetime, duration_minutes: int, note: str = ""
) -> Session:
    """Move one session to a new time and length (the schedule keeps its other sessions)."""
    start, length = _clean_when(starts_at, duration_minutes)
    note = _note(note)
    session = _lock(session_for(group=group, key=key))
    if session.attendance_taken_at is not None:
        raise ValidationError({"key": _("Attendance was taken for this session, so it cannot be moved.")})
    session.starts_at, session.ends_at = start, start + length
    session.status = SessionStatus.SCHEDULED
    session.change_note = note
    session.save(update_fields=["starts_at", "ends_at", "status", "change_note", "updated_at"])
    record(acting_user, "group_session.move", session)
    _changed(group)
    return session


@transaction.atomic
def session_add_one_off(
    *, acting_user: User, group: Group, starts_at: datetime, duration_minutes: int, note: str = ""
) -> Session:
    """A session outside the schedules (a holiday special, a first meeting)."""
    start, length = _clean_when(starts_at, duration_minutes)
    note = _note(note)
    session = Session.objects.create(
        organisation=group.organisation,
        group=group,
        schedule=None,
        original_start=None,
        starts_at=start,
        ends_at=start + length,
        change_note=note,
    )
    record(acting_user, "group_session.add_one_off", session)
    _changed(group)
    return session
