"""Every write about warm lines, their weekly hours and closures: keyword-only, takes the acting
user, one transaction, audited with identifiers only, and errors as
``ValidationError({field: message})`` a person can act on.

``register_change_listener(fn)``: ``fn(line)`` runs after the commit of every write to a line, its
hours or its closures (the directory refreshes its listing this way, so the warm line never
imports the directory).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.accounts.models import Organisation, Program, User
from alongside.audit.services import record
from alongside.core.listeners import ChangeListeners
from alongside.core.services import apply_changes
from alongside.core.slugs import clean_slug
from alongside.core.tenancy import tenant_scope
from alongside.warmline.hours import DAY_NAMES, Period
from alongside.warmline.models import Line, LineAudience, LineClosure

log = logging.getLogger("alongside.warmline")

LINE_FIELDS = (
    "name",
    "slug",
    "description",
    "program",
    "phone_numbers",
    "chat_enabled",
    "languages",
    "audience",
    "max_chats_per_peer",
    "is_public",
    "is_active",
)
MAX_PHONE_NUMBERS = 3
MAX_PERIODS_PER_DAY = 4
REASON_MAX_LENGTH = 120

# --- Change listeners ------------------------------------------------------------------------------

# After commit, ``fn(line)`` for each registered listener (the directory's sync): see
# core/listeners.py.
_listeners: ChangeListeners[Line] = ChangeListeners("line")
register_change_listener = _listeners.register
unregister_change_listener = _listeners.unregister
_changed = _listeners.changed


def lock_line(line: Line) -> Line:
    """The one row lock for writes to a line's hours and closures (two editors at once)."""
    return Line.objects.select_for_update().get(organisation=line.organisation_id, pk=line.pk)


# --- Validation --------------------------------------------------------------------------------------


def normalise_phone(value: Any) -> str:
    """E.164 ("+12075550100") from what a person types: "+1 207 555 0100", "(207) 555-0100",
    "207.555.0100" or "1-207-555-0100" (numbers without + are read as US numbers), checked against
    the numbering plans that ship with ``phonenumbers``. ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError("not text")
    raw = value.strip()
    if not re.fullmatch(r"[0-9+()\-. ]{7,25}", raw) or raw.count("+") > 1 or "+" in raw[1:]:
        raise ValueError("not a phone number")
    try:
        parsed = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid number")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


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


def _phones(errors: dict[str, str], value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        errors["phone_numbers"] = _("Give each phone number with a label, such as “Call or text”.")
        return []
    if len(value) > MAX_PHONE_NUMBERS:
        errors["phone_numbers"] = _("A line can show up to %(n)d phone numbers.") % {"n": MAX_PHONE_NUMBERS}
        return []
    out: list[dict[str, Any]] = []
    for entry in value:
        if not isinstance(entry, dict):
            errors["phone_numbers"] = _("Give each phone number with a label, such as “Call or text”.")
            return []
        label = entry.get("label") or _("Call")
        if not isinstance(label, str) or len(label.strip()) > 60:
            errors["phone_numbers"] = _("Keep each phone label to 60 characters or fewer.")
            return []
        try:
            number = normalise_phone(entry.get("number"))
        except ValueError:
            errors["phone_numbers"] = _(
                "“%(number)s” is not a phone number we can use. Enter a US number such as (207) 555-0100, "
                "or an international one starting with +."
            ) % {"number": str(entry.get("number") or "")[:30]}
            return []
        if any(p["number"] == number for p in out):
            errors["phone_numbers"] = _("The same phone number is listed twice.")
            return []
        out.append({"label": label.strip(), "number": number, "public": bool(entry.get("public", True))})
    return out


def _clean_line(organisation: Organisation, data: dict[str, Any], *, instance: Line | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    out["name"] = _text(errors, "name", data.get("name"), 120, required=_("Give the line a name."))
    out["description"] = _text(errors, "description", data.get("description"), 2000)

    out["slug"] = clean_slug(
        errors,
        data.get("slug"),
        existing=Line.objects.filter(organisation=organisation),
        instance=instance,
        name=out["name"],
        fallback="line",
        taken_message=_("Another line already uses this web address name. Choose a different one."),
    )

    program = data.get("program")
    if program is not None:
        if not isinstance(program, Program) or program.organisation_id != organisation.pk or not program.is_active:
            errors["program"] = _("Choose a program of this organisation.")
            program = None
        elif not program.offers_warmline:
            errors["program"] = _("This program does not offer a warm line. Choose one that does, or none.")
    out["program"] = program

    out["phone_numbers"] = _phones(errors, data.get("phone_numbers"))
    out["chat_enabled"] = bool(data.get("chat_enabled", False))
    if not out["phone_numbers"] and not out["chat_enabled"] and "phone_numbers" not in errors:
        errors["phone_numbers"] = _("Give people a way to reach the line: a phone number, or turn chat on.")

    languages = data.get("languages")
    offered = list(organisation.languages or ["en"])
    if languages is None or languages == []:
        languages = offered[:1]
    if isinstance(languages, str) or not isinstance(languages, list | tuple):
        errors["languages"] = _("Choose the languages the line answers in.")
        languages = []
    else:
        unknown = [code for code in languages if code not in offered]
        if unknown:
            errors["languages"] = _("Choose from the languages your organisation offers.")
        languages = list(dict.fromkeys(code for code in languages if code in offered))
    out["languages"] = languages

    audience = data.get("audience") or LineAudience.EVERYONE
    if audience not in LineAudience.values:
        errors["audience"] = _("Choose who the line is for.")
    out["audience"] = audience
    chats = data.get("max_chats_per_peer", 2)
    if isinstance(chats, bool) or not isinstance(chats, int) or not 1 <= chats <= 5:
        errors["max_chats_per_peer"] = _("A peer supporter can hold from 1 to 5 chats at once.")
    out["max_chats_per_peer"] = chats
    out["is_public"] = bool(data.get("is_public", True))
    out["is_active"] = bool(data.get("is_active", True))
    if errors:
        raise ValidationError(errors)
    return out


# --- Lines ---------------------------------------------------------------------------------------------


@transaction.atomic
def line_create(*, acting_user: User, organisation: Organisation, **fields: Any) -> Line:
    """A new line (listed publicly unless ``is_public=False``), with no hours yet: it shows as
    closed until ``line_hours_set``. ``slug`` is made from the name when not given."""
    unknown = set(fields) - set(LINE_FIELDS)
    if unknown:
        raise ValueError(f"unknown line fields: {', '.join(sorted(unknown))}")
    clean = _clean_line(organisation, fields, instance=None)
    line = Line.objects.create(organisation=organisation, **clean)
    record(acting_user, "warmline_line.create", line)
    _changed(line)
    return line


@transaction.atomic
def line_update(*, acting_user: User, line: Line, **fields: Any) -> Line:
    """Change some of a line's fields (the whole line is checked again)."""
    unknown = set(fields) - set(LINE_FIELDS)
    if unknown:
        raise ValueError(f"unknown line fields: {', '.join(sorted(unknown))}")
    current = {name: getattr(line, name) for name in LINE_FIELDS}
    current.update(fields)
    clean = _clean_line(line.organisation, current, instance=line)
    changed = apply_changes(line, {k: clean[k] for k in LINE_FIELDS}, LINE_FIELDS)
    if changed:
        line.save(update_fields=[*changed, "updated_at"])
        record(acting_user, "warmline_line.update", line)
        _changed(line)
    return line


# --- Weekly hours -------------------------------------------------------------------------------------


def _minutes_words(minute: int) -> str:
    return f"{(minute % 1440) // 60:02d}:{minute % 60:02d}"


def clean_periods(value: Any) -> list[Period]:
    """Periods from ``[{"day": 0-6 (Monday = 0), "opens": time, "closes": time, "overnight": bool}]``,
    checked: the end after the start (or ``overnight``), no two periods overlapping (an overnight
    one included), at most MAX_PERIODS_PER_DAY a day. Errors are keyed by ``day_<n>``."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValidationError({"hours": _("The hours could not be read.")})
    errors: dict[str, str] = {}
    found: list[Period] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise ValidationError({"hours": _("The hours could not be read.")})
        day, opens, closes = entry.get("day"), entry.get("opens"), entry.get("closes")
        overnight = bool(entry.get("overnight", False))
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValidationError({"hours": _("The hours could not be read.")})
        key = f"day_{day}"
        if not isinstance(opens, time) or not isinstance(closes, time):
            errors[key] = _("Enter both the opening and the closing time.")
            continue
        if opens.second or closes.second or opens.microsecond or closes.microsecond:
            errors[key] = _("Enter times in hours and minutes.")
            continue
        if not overnight and closes <= opens:
            errors[key] = _(
                "%(day)s: the line closes before it opens. If it stays open past midnight, tick “closes the next day”."
            ) % {"day": DAY_NAMES[day]}
            continue
        if overnight and closes > opens:
            errors[key] = _(
                "%(day)s: a period that closes the next day must close before the time it opens "
                "(for 24 hours, open at 00:00 and close at 00:00 the next day)."
            ) % {"day": DAY_NAMES[day]}
            continue
        found.append(Period(day, opens, closes, overnight))
    for day in range(7):
        if sum(1 for p in found if p.day == day) > MAX_PERIODS_PER_DAY:
            errors.setdefault(f"day_{day}", _("Up to %(n)d opening periods a day.") % {"n": MAX_PERIODS_PER_DAY})
    found.sort(key=lambda p: p.start_minute)
    # Overlaps on the week's circle (Sunday night runs into Monday morning).
    week = 7 * 1440
    spans = [(p.start_minute, p.end_minute, p) for p in found]
    for i, (start, end, _period) in enumerate(spans):
        for other_start, other_end, other in spans[i + 1 :]:
            for shift in (0, week, -week):
                if other_start + shift < end and start < other_end + shift:
                    errors.setdefault(
                        f"day_{other.day}",
                        _("%(day)s: the period from %(opens)s overlaps another one. Join them or change the times.")
                        % {"day": DAY_NAMES[other.day], "opens": _minutes_words(other.start_minute)},
                    )
    if errors:
        raise ValidationError(errors)
    return found


@transaction.atomic
def line_hours_set(*, acting_user: User, line: Line, periods: Iterable[dict[str, Any]]) -> Line:
    """Replace the line's weekly hours (in the organisation's time zone; see ``clean_periods``)."""
    clean = clean_periods(list(periods) if not isinstance(periods, str) else periods)
    locked = lock_line(line)
    hours = [p.as_json() for p in clean]
    if locked.hours != hours:
        locked.hours = hours
        locked.save(update_fields=["hours", "updated_at"])
        record(acting_user, "warmline_line.hours_set", locked)
        _changed(locked)
    line.hours = hours
    return line


# --- Closures ------------------------------------------------------------------------------------------


@transaction.atomic
def closure_add(
    *,
    acting_user: User,
    line: Line,
    starts_on: date,
    reason: str,
    ends_on: date | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
) -> LineClosure:
    """Close the line from ``starts_on`` to ``ends_on`` (inclusive; the same day when not given),
    all day unless both times are given: then from ``start_time`` on the first day to
    ``end_time`` on the last. ``reason`` is shown to the public."""
    errors: dict[str, str] = {}
    reason = _text(
        errors, "reason", reason, REASON_MAX_LENGTH, required=_("Say why the line is closed, in a few public words.")
    )
    if not isinstance(starts_on, date) or isinstance(starts_on, datetime):
        errors["starts_on"] = _("Enter the first day the line is closed.")
    if ends_on is None and isinstance(starts_on, date):
        ends_on = starts_on
    if not isinstance(ends_on, date) or isinstance(ends_on, datetime):
        errors["ends_on"] = _("Enter the last day the line is closed.")
    elif isinstance(starts_on, date) and ends_on < starts_on:
        errors["ends_on"] = _("The last day must be on or after the first day.")
    elif isinstance(starts_on, date) and (ends_on - starts_on).days > 366:
        errors["ends_on"] = _("A closure can last up to a year. To stop the line, take it out of service instead.")
    all_day = start_time is None and end_time is None
    if not all_day:
        if not isinstance(start_time, time) or not isinstance(end_time, time):
            errors["start_time"] = _("For part of a day, enter both the time it closes and the time it reopens.")
        elif isinstance(starts_on, date) and ends_on == starts_on and end_time <= start_time:
            errors["end_time"] = _("The line must reopen after the time it closes.")
    if errors:
        raise ValidationError(errors)
    assert isinstance(ends_on, date)
    lock_line(line)
    closure = LineClosure.objects.create(
        organisation_id=line.organisation_id,
        line=line,
        starts_on=starts_on,
        ends_on=ends_on,
        all_day=all_day,
        start_time=start_time,
        end_time=end_time,
        reason=reason,
    )
    record(acting_user, "warmline_closure.add", closure)
    _changed(line)
    return closure


@transaction.atomic
def closure_remove(*, acting_user: User, closure: LineClosure) -> None:
    """Take a closure away (the line keeps its usual hours those days)."""
    line = closure.line
    lock_line(line)
    record(acting_user, "warmline_closure.remove", closure)
    closure.delete()
    _changed(line)


# --- Access and reads ----------------------------------------------------------------------------------


def access_line(org: OrgContext, line_id: Any, *, write: bool = False) -> Line:
    """The organisation's line, or the same 404 as a missing id (``warmline.change`` to write)."""
    org.require("warmline.change" if write else "warmline.view")
    line = (
        Line.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(line_id))
        .select_related("organisation", "program")
        .first()
    )
    if line is None:
        raise Http404
    return line


def access_closure(org: OrgContext, line: Line, closure_id: Any) -> LineClosure:
    org.require("warmline.change")
    closure = (
        LineClosure.objects.filter(organisation=org.organisation, line=line, pk=parse_uuid_or_404(closure_id))
        .select_related("line")
        .first()
    )
    if closure is None:
        raise Http404
    return closure


def line_list(organisation: Organisation) -> list[Line]:
    """Every line of the organisation with its closures (two queries), by name."""
    return list(
        Line.objects.filter(organisation=organisation).select_related("organisation").prefetch_related("closures")
    )


def public_line(organisation: Organisation, slug: str) -> Line | None:
    """A public, in-service line of an active organisation, not of a hidden or archived program."""
    if not organisation.is_active:
        return None
    with tenant_scope(organisation):
        return (
            Line.objects.filter(organisation=organisation, slug=slug, is_public=True, is_active=True)
            .exclude(program__is_public=False)
            .exclude(program__is_active=False)
            .select_related("organisation")
            .prefetch_related("closures")
            .first()
        )
