"""Reminders of the next session, by email, a day ahead: ``alongside mentorship remind`` (run it
hourly; docs/matching.md, "Reminders").

Each next session that starts within the next 24 hours, is not cancelled and has not been reminded
yet gets one reminder: to the peer supporter at their account's email, and to the person only when
they have an email address, it is recorded as safe to email them (``safe_to_email`` True: "not
asked yet" is never taken as safe, as on their record) and they hold a current consent to be
contacted by email (``people.services.consent_covers``). The email says "Peer support session",
the time in the organisation's time zone, how long, how they meet and where (the place or link
both of them agreed), with the calendar invite attached; never a name, a program, lived
experience or notes, and nothing but "Reminder: peer support session" in the subject.

Idempotent: ``NextSession.reminded_at`` is set in the same transaction as the audit rows (one per
email, the system as actor); moving the session to another time clears it, and a cancelled session
is never reminded. Emails go out after the commit. A failed send is logged (without addresses) and
not retried: the session is already marked, so a reminder goes out at most once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alongside.accounts.models import Organisation, User
from alongside.audit.services import record
from alongside.matching import mentorship
from alongside.matching.models import Match, NextSession
from alongside.people.models import ConsentPurpose, Participant
from alongside.people.services import consent_covers

logger = logging.getLogger(__name__)

REMIND_AHEAD = timedelta(hours=24)
ICS_FILENAME = "peer-support-session.ics"


@dataclass
class RemindSummary:
    """What a run did (or, dry, would do): sessions reminded, emails to people and to peer
    supporters, and people not emailed because consent or safety did not allow it."""

    reminded: int = 0
    people: int = 0
    peers: int = 0
    skipped_no_consent: int = 0
    skipped_not_safe: int = 0

    def __iadd__(self, other: RemindSummary) -> RemindSummary:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)
        return self

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def reminders_due(organisation: Organisation | Any, now: datetime) -> QuerySet[NextSession]:
    """Next sessions of this organisation's going-on mentorships that start within the next 24
    hours, not cancelled and not reminded yet."""
    return NextSession.objects.filter(
        organisation=organisation,
        cancelled_at__isnull=True,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMIND_AHEAD,
        match__status__in=mentorship.GOING_ON,
    )


def _supported(code: str) -> bool:
    return any(code == lang for lang, _name in settings.LANGUAGES)


def _language_of_person(participant: Participant) -> str:
    """Their first language we write in, else the organisation's, else the default."""
    for code in [*(participant.languages or []), *(participant.organisation.languages or [])]:
        if isinstance(code, str) and _supported(code):
            return code
    return str(settings.LANGUAGE_CODE)


def _language_of_peer(peer: User) -> str:
    return peer.language if _supported(peer.language) else str(settings.LANGUAGE_CODE)


def person_not_emailed_because(participant: Participant, now: datetime) -> str:
    """Why the person gets no reminder ("" when they get one): "restricted", "no_email",
    "not_safe" (unsafe, or not asked yet) or "no_consent"."""
    if participant.erasure_requested_at is not None or participant.anonymised_at is not None:
        return "restricted"
    if not participant.email:
        return "no_email"
    if participant.safe_to_email is not True:
        return "not_safe"
    if not consent_covers(participant, ConsentPurpose.CONTACT_EMAIL, at=now):
        return "no_consent"
    return ""


def _peer_may_be_emailed(peer: User) -> bool:
    return bool(peer.is_active and peer.email)


def reminder_message(ns: NextSession, *, to: str, language: str, for_peer: bool, now: datetime) -> EmailMessage:
    """One reminder, in the reader's language, with the calendar invite attached."""
    organisation = ns.organisation
    with translation.override(language):
        local = timezone.localtime(ns.starts_at, ZoneInfo(organisation.timezone))
        context = {
            "for_peer": for_peer,
            "when": date_format(local, "l j F Y, H:i"),
            "timezone": organisation.timezone,
            "minutes": ns.duration_minutes,
            "how": mentorship.meeting_words(ns.mode),
            "where": ns.location,
            "link": settings.SITE_URL + reverse("matching:mentorship_detail", args=[organisation.slug, ns.match_id])
            if for_peer
            else "",
            "crisis_options": [
                str(o.get("label", ""))
                for o in organisation.crisis_options or []
                if isinstance(o, dict) and o.get("label")
            ],
        }
        body = render_to_string("matching/email/session_reminder.txt", context)
        subject = _("Reminder: peer support session")
        invite = mentorship.next_session_ics(ns, now=now)
    message = EmailMessage(subject=subject, body=body, to=[to])
    message.attach(ICS_FILENAME, invite, "text/calendar")
    return message


def _send_after_commit(message: EmailMessage, ns_id: Any) -> None:
    def send() -> None:
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # one failed email must not stop the other reminders
            # The exception's text may name the address (P2): the type and the session id only.
            logger.error("session reminder not sent (next session %s): %s", ns_id, type(exc).__name__)

    transaction.on_commit(send)


def next_session_remind(*, next_session: NextSession, now: datetime, dry_run: bool = False) -> RemindSummary:
    """Remind the peer supporter and (when allowed) the person of one next session, once. Under
    the match's lock, then the session's (the order ``next_session_set`` takes them), and checked
    again there: a session moved, cancelled or reminded by a parallel run meanwhile is left alone.
    ``dry_run`` counts what would be sent and writes and sends nothing."""
    summary = RemindSummary()
    with transaction.atomic():
        due = reminders_due(next_session.organisation_id, now).filter(pk=next_session.pk)
        if not dry_run:
            Match.objects.select_for_update(of=("self",)).filter(
                pk=next_session.match_id, organisation=next_session.organisation_id
            ).first()
            due = due.select_for_update(of=("self",))
        ns = due.select_related("organisation", "match__peer", "participant__organisation").first()
        if ns is None:
            return summary
        peer = ns.match.peer
        why_not = person_not_emailed_because(ns.participant, now)
        summary.reminded = 1
        summary.peers = int(_peer_may_be_emailed(peer))
        summary.people = int(why_not == "")
        summary.skipped_no_consent = int(why_not == "no_consent")
        summary.skipped_not_safe = int(why_not == "not_safe")
        if dry_run:
            return summary
        ns.reminded_at = timezone.now()
        ns.save(update_fields=["reminded_at", "updated_at"])
        if summary.peers:
            message = reminder_message(ns, to=peer.email, language=_language_of_peer(peer), for_peer=True, now=now)
            record(None, "next_session.remind_peer", ns)
            _send_after_commit(message, ns.pk)
        if summary.people:
            person = ns.participant
            message = reminder_message(
                ns, to=person.email, language=_language_of_person(person), for_peer=False, now=now
            )
            record(None, "next_session.remind_person", ns)
            _send_after_commit(message, ns.pk)
    return summary


def reminders_send(organisation: Organisation, *, now: datetime, dry_run: bool = False) -> RemindSummary:
    """Every reminder due in this organisation (inside its tenant scope), each in its own
    transaction, soonest first."""
    total = RemindSummary()
    due = list(reminders_due(organisation, now).order_by("starts_at", "pk").only("pk", "organisation", "match"))
    for ns in due:
        total += next_session_remind(next_session=ns, now=now, dry_run=dry_run)
    return total
