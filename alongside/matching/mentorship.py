"""The mentorship itself, once a peer supporter has said yes: the person's support plan, the sessions
(contact records), the next session and its calendar invite, and the closure summary the person keeps.

Writes follow the house rules: keyword-only, ``acting_user`` (None is the person through their own
private link, where they may act: the audit row then says "participant"), one transaction, a
``ValidationError({field: message})`` that says what to do, and an audit row with identifiers only.
The support plan, the next session's place and the closure summary are P3 (encrypted); the
audit log never holds their words.

Who may do what (docs/matching.md, "The mentorship"):

* the person, through their private link: read their mentorship, edit their support plan, download
  the next session's invite and their closure summary, ask for a different peer supporter;
* their peer supporter, and coordinators and admins: all of that, and log sessions, set or cancel
  the next session, pause, resume and close with a summary;
* supervisors: read the mentorships of the peers they supervise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alongside.accounts.models import Membership, Role, User
from alongside.audit.services import record
from alongside.core.ics import ics_domain
from alongside.core.ics import ics_escape as _ics_escape
from alongside.core.ics import ics_fold as _ics_fold
from alongside.core.ics import ics_time as _ics_time
from alongside.matching import services as matching_services
from alongside.matching.models import (
    GOING_ON_STATUSES,
    CheckInFrequency,
    ClosureSummary,
    Match,
    MatchClosedReason,
    MatchStatus,
    NextSession,
    SupportPlan,
)
from alongside.people import services as people_services
from alongside.people.models import ContactMode, ContactRecord, Participant, ServiceModel
from alongside.people.rights import PARTICIPANT_ROLE

PLAN_TEXT_MAX = 4000
LOCATION_MAX = 300
SUMMARY_MAX = 6000
# Statuses in which the mentorship is going on: the plan and the next session may change.
GOING_ON = GOING_ON_STATUSES
# How far ahead a next session may be set.
NEXT_SESSION_HORIZON = timedelta(days=366)


# --- Who may work on a mentorship ----------------------------------------------------------------


def is_staff_for(user: User, match: Match) -> bool:
    """The peer supporter of this mentorship, or a coordinator or admin of its organisation."""
    if user.pk == match.peer_id:
        return True
    return Membership.objects.filter(
        organisation=match.organisation_id, user=user, role__in=[Role.COORDINATOR, Role.ADMIN], is_active=True
    ).exists()


def _may_work_on(acting_user: User | None, match: Match, *, person_may: bool) -> None:
    if acting_user is None:
        if person_may:
            return
    elif is_staff_for(acting_user, match):
        return
    raise ValidationError(
        {"match": _("Only the person's peer supporter, or a coordinator, can change this mentorship.")}
    )


def _lock_match(match: Match) -> Match:
    """The match row (the mentorship's own lock: plan, next session and summary queue behind it)."""
    return (
        Match.objects.select_for_update(of=("self",))
        .select_related("participant", "peer", "program", "organisation", "request")
        .get(pk=match.pk, organisation=match.organisation_id)
    )


def _going_on(match: Match, what: str) -> None:
    if match.status not in GOING_ON:
        raise ValidationError(
            {
                "match": _("%(what)s can change only while the mentorship is going on; this one is “%(status)s”.")
                % {"what": what, "status": match.get_status_display()}
            }
        )


def _text(errors: dict[str, str], name: str, value: Any, limit: int) -> str:
    cleaned = str(value or "").replace("\r\n", "\n").strip()
    if len(cleaned) > limit:
        errors[name] = _("Keep this under %(max)d characters (it has %(n)d).") % {"max": limit, "n": len(cleaned)}
    return cleaned


# --- The support plan ----------------------------------------------------------------------------


def plan_of(match: Match) -> SupportPlan | None:
    return SupportPlan.objects.filter(organisation=match.organisation_id, match=match).first()


@transaction.atomic
def plan_update(
    *,
    acting_user: User | None,
    match: Match,
    goals: str = "",
    steps: str = "",
    supports: str = "",
    check_in_frequency: str = "",
    check_in_how: str = "",
    version: int | None = None,
) -> SupportPlan:
    """The person (``acting_user`` None, through their link) or their peer supporter changes the
    support plan. ``version`` is the one the editor started from: if the other changed the plan
    meanwhile, nothing is saved and they are told, so nobody's words are silently overwritten."""
    errors: dict[str, str] = {}
    fields = {
        "goals": _text(errors, "goals", goals, PLAN_TEXT_MAX),
        "steps": _text(errors, "steps", steps, PLAN_TEXT_MAX),
        "supports": _text(errors, "supports", supports, PLAN_TEXT_MAX),
        "check_in_how": _text(errors, "check_in_how", check_in_how, PLAN_TEXT_MAX),
        "check_in_frequency": check_in_frequency or "",
    }
    if fields["check_in_frequency"] not in ("", *CheckInFrequency.values):
        errors["check_in_frequency"] = _("Choose how often from the list, or leave it empty.")
    if errors:
        raise ValidationError(errors)
    match = _lock_match(match)
    _may_work_on(acting_user, match, person_may=True)
    _going_on(match, _("The support plan"))
    people_services.refuse_if_restricted(match.participant)
    plan = SupportPlan.objects.select_for_update().filter(organisation=match.organisation_id, match=match).first()
    if plan is None:
        plan = SupportPlan(organisation=match.organisation, match=match, participant=match.participant)
    if version is not None and version != plan.version:
        raise ValidationError(
            {
                "version": _(
                    "The plan was changed by someone else while you were editing, so your changes are not saved "
                    "yet. Look at the plan as it is now, then save yours again."
                )
            }
        )
    changed = [name for name, value in fields.items() if getattr(plan, name) != value]
    if not changed and not plan._state.adding:
        return plan
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.version += 1
    plan.updated_by = acting_user
    plan.updated_by_person = acting_user is None
    plan.save()
    record(acting_user, "support_plan.update", plan, role=matching_services.audit_role(acting_user))
    return plan


def plan_as_dict(plan: SupportPlan | None) -> dict[str, Any]:
    """The plan's words, for the closure summary and the person's copy."""
    if plan is None:
        return {"goals": "", "steps": "", "supports": "", "check_in_frequency": "", "check_in_how": "", "version": 0}
    return {
        "goals": plan.goals,
        "steps": plan.steps,
        "supports": plan.supports,
        "check_in_frequency": plan.check_in_frequency,
        "check_in_how": plan.check_in_how,
        "version": plan.version,
    }


def lines(text: str) -> list[str]:
    """A plan's text as a list: one item a line, blank lines and list marks left out."""
    items = []
    for line in (text or "").splitlines():
        cleaned = line.strip().lstrip("-*•").strip()
        if cleaned:
            items.append(cleaned)
    return items


# --- Sessions ------------------------------------------------------------------------------------


def began_at(match: Match) -> datetime:
    """Where the mentorship's sessions count from: the peer's yes (or the start, if earlier)."""
    moments = [m for m in (match.responded_at, match.started_at) if m is not None]
    return min(moments) if moments else match.proposed_at


def first_day(match: Match) -> datetime:
    """The start of the day (in the organisation's time zone) the mentorship began: sessions count
    from there, so a session earlier on the day the peer said yes is one of them."""
    tz = ZoneInfo(match.organisation.timezone)
    day = timezone.localdate(began_at(match), tz)
    return datetime.combine(day, time.min, tzinfo=tz)


def sessions(match: Match) -> QuerySet[ContactRecord]:
    """The contact records of this person with this peer supporter in mentorship since the day the
    mentorship began (and until it ended), newest first. Lists never decrypt the notes."""
    qs = ContactRecord.objects.filter(
        organisation=match.organisation_id,
        participant_id=match.participant_id,
        peer_id=match.peer_id,
        service_model=ServiceModel.MENTORSHIP,
        occurred_at__gte=first_day(match),
    )
    if match.ended_at is not None:
        qs = qs.filter(occurred_at__lte=match.ended_at)
    return qs.defer("notes").order_by("-occurred_at", "-id")


@transaction.atomic
def session_log(
    *,
    acting_user: User,
    match: Match,
    occurred_at: datetime,
    duration_minutes: int,
    mode: str,
    topics: Iterable[str] = (),
    notes: str = "",
    follow_up_needed: bool = False,
) -> ContactRecord:
    """A session happened: a contact record of kind "mentorship" for the person, the program and
    their peer supporter (through ``people.services.contact_record_create``). The first session of
    an accepted mentorship starts it (``match_start``), from the session's time."""
    match = _lock_match(match)
    _may_work_on(acting_user, match, person_may=False)
    if match.status == MatchStatus.PAUSED:
        raise ValidationError({"match": _("This mentorship is paused. Resume it before logging a session.")})
    if match.status not in (MatchStatus.ACCEPTED, MatchStatus.ACTIVE):
        raise ValidationError(
            {
                "match": _("Sessions are logged while the mentorship is going on; this one is “%(status)s”.")
                % {"status": match.get_status_display()}
            }
        )
    if mode not in ContactMode.values:
        raise ValidationError({"mode": _("Choose how you met or talked.")})
    accepted = match.responded_at or match.proposed_at
    if occurred_at < first_day(match):
        raise ValidationError(
            {
                "occurred_at": _(
                    "A session can't be before the day %(name)s's peer supporter said yes (%(date)s). For earlier "
                    "contacts, use “Log a contact” on their record."
                )
                % {
                    "name": match.participant.preferred_name,
                    "date": date_format(timezone.localtime(accepted, ZoneInfo(match.organisation.timezone)), "j M Y"),
                }
            }
        )
    contact = people_services.contact_record_create(
        acting_user=acting_user,
        participant=match.participant,
        organisation=match.organisation,
        service_model=ServiceModel.MENTORSHIP,
        occurred_at=occurred_at,
        duration_minutes=duration_minutes,
        mode=mode,
        program=match.program,
        topics=list(topics),
        notes=notes,
        follow_up_needed=follow_up_needed,
        peer=match.peer,
    )
    if match.status == MatchStatus.ACCEPTED:
        match = matching_services.match_start(acting_user=acting_user, match=match)
        if match.started_at is not None and occurred_at < match.started_at:
            # The mentorship began with this session, whenever it is logged.
            Match.objects.filter(pk=match.pk, organisation=match.organisation_id).update(started_at=occurred_at)
            match.started_at = occurred_at
    return contact


# --- The next session and its calendar invite ----------------------------------------------------


def next_session_of(match: Match, now: datetime | None = None) -> NextSession | None:
    """The next session, while it has not ended yet and is not cancelled (None otherwise)."""
    moment = now or timezone.now()
    ns = NextSession.objects.filter(organisation=match.organisation_id, match=match).first()
    if ns is None or ns.is_cancelled or ns.ends_at <= moment:
        return None
    return ns


def cancelled_session_of(match: Match, now: datetime | None = None) -> NextSession | None:
    """A cancelled session whose cancellation can still be downloaded: until its original end (a
    calendar has nothing to remove after that). None otherwise."""
    moment = now or timezone.now()
    ns = NextSession.objects.filter(organisation=match.organisation_id, match=match).first()
    if ns is None or not ns.is_cancelled or ns.ends_at <= moment:
        return None
    return ns


@transaction.atomic
def next_session_set(
    *,
    acting_user: User,
    match: Match,
    starts_at: datetime | None,
    duration_minutes: Any,
    mode: str,
    location: str = "",
) -> NextSession:
    """The peer supporter (or a coordinator) sets when they meet next. Moving the upcoming session
    keeps its calendar identity (same UID, one more SEQUENCE), so a calendar updates it in place."""
    errors: dict[str, str] = {}
    now = timezone.now()
    if starts_at is None:
        errors["starts_at"] = _("Say when you will meet.")
    elif starts_at <= now:
        errors["starts_at"] = _("The next session has to be in the future.")
    elif starts_at > now + NEXT_SESSION_HORIZON:
        errors["starts_at"] = _("Choose a time within the next year.")
    try:
        minutes = int(duration_minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 5 <= minutes <= 8 * 60:
        errors["duration_minutes"] = _("Enter how long, between 5 and 480 minutes.")
    if mode not in ContactMode.values:
        errors["mode"] = _("Choose how you will meet.")
    place = _text(errors, "location", location, LOCATION_MAX).replace("\n", " ")
    if mode == ContactMode.IN_PERSON and not place and "location" not in errors:
        errors["location"] = _("Say where you will meet, so you both know.")
    if errors:
        raise ValidationError(errors)
    assert starts_at is not None
    match = _lock_match(match)
    _may_work_on(acting_user, match, person_may=False)
    _going_on(match, _("The next session"))
    people_services.refuse_if_restricted(match.participant)
    ns = NextSession.objects.select_for_update().filter(organisation=match.organisation_id, match=match).first()
    if ns is None:
        ns = NextSession(organisation=match.organisation, match=match, participant=match.participant)
    elif ns.ends_at > now and not ns.is_cancelled:
        ns.sequence += 1  # the same session, moved: calendars update it in place
        if ns.starts_at != starts_at:
            ns.reminded_at = None  # remind them of the new time
    else:
        # That one happened, or was cancelled (calendars removed it): this is a new session.
        ns.uid = uuid4()
        ns.sequence = 0
        ns.cancelled_at = None
        ns.cancelled_by = None
        ns.reminded_at = None
    ns.starts_at = starts_at
    ns.duration_minutes = minutes
    ns.mode = mode
    ns.location = place
    ns.set_by = acting_user
    ns.save()
    record(acting_user, "next_session.set", ns)
    return ns


def _cancel(acting_user: User | None, ns: NextSession, now: datetime) -> NextSession:
    """Mark it cancelled (the row stays for the cancellation invite) and tell calendars: one more
    SEQUENCE, as RFC 5546 asks of a CANCEL."""
    ns.cancelled_at = now
    ns.cancelled_by = acting_user
    ns.sequence += 1
    ns.save(update_fields=["cancelled_at", "cancelled_by", "sequence", "updated_at"])
    record(acting_user, "next_session.cancel", ns, role=matching_services.audit_role(acting_user))
    return ns


@transaction.atomic
def next_session_cancel(*, acting_user: User, match: Match) -> NextSession:
    """The peer supporter (or a coordinator) cancels the upcoming session. The row stays, marked
    cancelled, so both can download the cancellation (``METHOD:CANCEL``, same UID) until the time
    it would have ended; a session set after it is a new calendar event."""
    match = _lock_match(match)
    _may_work_on(acting_user, match, person_may=False)
    _going_on(match, _("The next session"))
    people_services.refuse_if_restricted(match.participant)
    now = timezone.now()
    ns = NextSession.objects.select_for_update().filter(organisation=match.organisation_id, match=match).first()
    if ns is None or ns.ends_at <= now:
        raise ValidationError({"match": _("There is no upcoming session to cancel.")})
    if ns.is_cancelled:
        raise ValidationError({"match": _("This session is already cancelled.")})
    return _cancel(acting_user, ns, now)


def upcoming_session_cancelled(*, acting_user: User | None, match: Match) -> NextSession | None:
    """Pausing, closing or the person asking for someone else cancels the upcoming session, so no
    one waits for it and no reminder goes out. Called by those steps (``services.match_pause``,
    ``match_close``, ``match_change_peer``) inside their transaction, under the match's lock, after
    their own checks: ``acting_user`` None is the person through their link, or the system."""
    now = timezone.now()
    ns = NextSession.objects.select_for_update().filter(organisation=match.organisation_id, match=match).first()
    if ns is None or ns.is_cancelled or ns.ends_at <= now:
        return None
    return _cancel(acting_user, ns, now)


def meeting_words(mode: str) -> str:
    """How they meet, in words ("By phone"): the invite's description and the reminder."""
    words: dict[str, str] = {
        ContactMode.IN_PERSON: _("In person"),
        ContactMode.PHONE: _("By phone"),
        ContactMode.VIDEO: _("By video"),
        ContactMode.TEXT: _("By text message"),
        ContactMode.CHAT: _("By chat"),
    }
    return str(words.get(mode, ""))


def next_session_ics(ns: NextSession, *, now: datetime | None = None) -> str:
    """An RFC 5545 calendar with one event. The summary never says who or why ("Peer support
    session"); the location is exactly what was given; times are in UTC.

    A cancelled session gives the cancellation instead (RFC 5546 §3.2.5): ``METHOD:CANCEL`` and
    ``STATUS:CANCELLED`` with the same UID and the SEQUENCE its cancelling added, so a calendar
    that imported the invite removes the event (or marks it cancelled)."""
    cancelled = ns.is_cancelled
    lines_ = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Alongside//Peer support sessions//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:CANCEL" if cancelled else "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{ns.uid}@{ics_domain()}",
        f"DTSTAMP:{_ics_time(now or timezone.now())}",
        f"DTSTART:{_ics_time(ns.starts_at)}",
        f"DTEND:{_ics_time(ns.ends_at)}",
        f"SEQUENCE:{ns.sequence}",
        "SUMMARY:" + _ics_escape(_("Peer support session")),
        "DESCRIPTION:" + _ics_escape(meeting_words(ns.mode)),
    ]
    if ns.location:
        lines_.append("LOCATION:" + _ics_escape(ns.location))
    lines_ += [
        "STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED",
        "TRANSP:TRANSPARENT" if cancelled else "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_ics_fold(line) for line in lines_) + "\r\n"


def next_session_downloaded(*, acting_user: User | None, ns: NextSession) -> None:
    """The invite (or its cancellation) carries the place (P3): each download is in the access log."""
    record(acting_user, "next_session.download", ns, role=matching_services.audit_role(acting_user))


# --- Closing, and the summary the person keeps ---------------------------------------------------


def _check_summary(worked_on: str) -> str:
    errors: dict[str, str] = {}
    text = _text(errors, "worked_on", worked_on, SUMMARY_MAX)
    if not text and not errors:
        errors["worked_on"] = _("Write a few words about what you worked on together: the person keeps this summary.")
    if errors:
        raise ValidationError(errors)
    return text


@transaction.atomic
def closure_summary(*, acting_user: User, match: Match, worked_on: str) -> ClosureSummary:
    """The summary of a closed mentorship: what they worked on, in the peer supporter's words, and
    the support plan as it was when it closed (taken the first time; a later correction of the
    words keeps that snapshot)."""
    text = _check_summary(worked_on)
    match = _lock_match(match)
    _may_work_on(acting_user, match, person_may=False)
    if match.status != MatchStatus.CLOSED:
        raise ValidationError({"match": _("A closure summary is written when the mentorship closes.")})
    summary = ClosureSummary.objects.select_for_update().filter(organisation=match.organisation_id, match=match).first()
    if summary is None:
        summary = ClosureSummary(
            organisation=match.organisation,
            match=match,
            participant=match.participant,
            plan_snapshot=json.dumps(plan_as_dict(plan_of(match)), ensure_ascii=False),
        )
    elif summary.worked_on == text:
        return summary
    summary.worked_on = text
    summary.written_by = acting_user
    summary.save()
    record(acting_user, "closure_summary.write", summary)
    return summary


@transaction.atomic
def mentorship_close(*, acting_user: User, match: Match, reason: str, worked_on: str) -> ClosureSummary:
    """Close the mentorship with its reason and write the summary, together or not at all."""
    _check_summary(worked_on)
    if reason not in MatchClosedReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    _may_work_on(acting_user, match, person_may=False)
    match = matching_services.match_close(acting_user=acting_user, match=match, reason=reason)
    return closure_summary(acting_user=acting_user, match=match, worked_on=worked_on)


def summary_of(match: Match) -> ClosureSummary | None:
    return ClosureSummary.objects.filter(organisation=match.organisation_id, match=match).first()


def closure_summary_downloaded(*, acting_user: User | None, summary: ClosureSummary) -> None:
    record(acting_user, "closure_summary.download", summary, role=matching_services.audit_role(acting_user))


@dataclass(frozen=True)
class SummaryFacts:
    """What the summary page and the PDF say besides the words: dates, sessions, why it closed."""

    peer_first_name: str
    program: str
    began: datetime
    ended: datetime | None
    reason: str
    session_count: int


def summary_facts(match: Match) -> SummaryFacts:
    from alongside.matching.selectors import first_name

    peer = match.peer
    return SummaryFacts(
        peer_first_name=first_name(peer.preferred_name or peer.full_name or ""),
        program=match.program.name,
        began=match.started_at or began_at(match),
        ended=match.ended_at,
        reason=match.get_closed_reason_display() if match.closed_reason else "",
        session_count=sessions(match).count(),
    )


def frequency_label(value: str) -> str:
    try:
        return str(CheckInFrequency(value).label)
    except ValueError:
        return ""


def closure_summary_pdf(match: Match, summary: ClosureSummary, *, now: datetime | None = None) -> bytes:
    """The summary as a PDF the person can keep (``core.pdf``)."""
    from alongside.core.pdf import PdfDocument

    organisation = match.organisation
    tz = ZoneInfo(organisation.timezone)
    moment = now or timezone.now()
    facts = summary_facts(match)
    plan = summary.plan

    def day(value: datetime | None) -> str:
        return date_format(timezone.localtime(value, tz), "j F Y") if value else "—"

    title = _("Your time with your peer supporter")
    doc = PdfDocument(
        title=title,
        organisation=organisation.name,
        created_at=moment,
        footer_label=_("%(organisation)s · made %(when)s · private")
        % {"organisation": organisation.name, "when": day(moment)},
        page_label=_("Page %(page)d of %(pages)d"),
        subject=_("A mentorship closure summary"),
    )
    doc.heading(title)
    doc.paragraph(
        _("A summary for %(name)s to keep, from %(organisation)s.")
        % {"name": match.participant.preferred_name, "organisation": organisation.name},
        muted=True,
    )
    doc.details(
        [
            (_("Peer supporter"), facts.peer_first_name),
            (_("Program"), facts.program),
            (_("Began"), day(facts.began)),
            (_("Ended"), day(facts.ended)),
            (_("Why it ended"), facts.reason),
            (_("Sessions"), str(facts.session_count)),
        ]
    )
    doc.heading(_("What you worked on together"), level=2)
    doc.paragraph(summary.worked_on or "—")
    doc.heading(_("Your support plan"), level=2)
    for key, label in (
        ("goals", _("Goals")),
        ("steps", _("Steps")),
        ("supports", _("Supports")),
    ):
        doc.heading(label, level=3)
        doc.bullets(lines(plan.get(key, "")), empty=_("Nothing written."))
    doc.heading(_("Check-ins"), level=3)
    doc.details(
        [
            (_("How often"), frequency_label(plan.get("check_in_frequency", ""))),
            (_("How"), plan.get("check_in_how", "")),
        ]
    )
    doc.spacer()
    doc.paragraph(_("You can ask for peer support again at any time."), muted=True)
    options = [str(o.get("label", "")) for o in organisation.crisis_options or [] if isinstance(o, dict)]
    doc.notice(
        _("If you are in danger or thinking about suicide, reach out now:") + " " + "; ".join(o for o in options if o),
        title=_("This is not a crisis service."),
    )
    return doc.render()


# --- Reads (each showing of P3 is in the access log) ---------------------------------------------


def mentorship_viewed(*, acting_user: User | None, match: Match) -> None:
    """The mentorship page shows the support plan (P3): staff reads and the person's own reads."""
    if acting_user is None:
        record(None, "mentorship.self_view", match, role=PARTICIPANT_ROLE)
    else:
        record(acting_user, "mentorship.view", match)


def more_suggestions_asked(*, request: Any) -> None:
    """The person asked to see more peer supporters (recorded as their choice; no reason asked)."""
    record(None, "match_request.more_suggestions", request, role=PARTICIPANT_ROLE)


# --- Participants' rights ------------------------------------------------------------------------


def mentorship_content_cleared(participant: Participant, now: datetime) -> None:
    """Anonymisation (people.rights): the support plans' words, the next sessions' places and the
    closure summaries' words go; the rows stay for counts (plans made, versions, summaries written)."""
    org_id = participant.organisation_id
    SupportPlan.objects.filter(organisation=org_id, participant=participant).update(
        goals="", steps="", supports="", check_in_how="", check_in_frequency="", updated_at=now
    )
    NextSession.objects.filter(organisation=org_id, participant=participant).update(location="", updated_at=now)
    ClosureSummary.objects.filter(organisation=org_id, participant=participant).update(
        worked_on="", plan_snapshot="", updated_at=now
    )
