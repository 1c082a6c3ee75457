"""Proof-of-attendance letters (docs/groups.md, "Running a session"): for a registered person who
came, made only when someone asks, through ``core.pdf``. The letter names the person's first
name, the group, the number of sessions attended and the first and last dates, and the
organisation — never topics, notes or anyone else. Every letter is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alongside.accounts.models import User
from alongside.audit.services import record
from alongside.core.pdf import PdfDocument
from alongside.groups.models import Attendance, Registration, SessionStatus


@dataclass(frozen=True)
class AttendanceFacts:
    sessions: int
    first: datetime | None
    last: datetime | None


def attendance_facts(registration: Registration) -> AttendanceFacts:
    data = (
        Attendance.objects.filter(organisation=registration.organisation_id, registration=registration, present=True)
        .exclude(session__status=SessionStatus.CANCELLED)
        .aggregate(first=Min("session__starts_at"), last=Max("session__starts_at"))
    )
    count = (
        Attendance.objects.filter(organisation=registration.organisation_id, registration=registration, present=True)
        .exclude(session__status=SessionStatus.CANCELLED)
        .values("session_id")
        .distinct()
        .count()
    )
    return AttendanceFacts(count, data["first"], data["last"])


def attendance_letter(*, acting_user: User, registration: Registration, now: datetime | None = None) -> bytes:
    facts = attendance_facts(registration)
    if facts.sessions == 0 or facts.first is None or facts.last is None:
        raise ValidationError(_("This person has no attendance recorded yet, so there is nothing to confirm."))
    group = registration.group
    organisation = group.organisation
    zone = ZoneInfo(group.timezone)
    moment = now or timezone.now()

    def day(value: datetime) -> str:
        return date_format(timezone.localtime(value, zone), "j F Y")

    title = _("Confirmation of attendance")
    doc = PdfDocument(
        title=title,
        organisation=organisation.name,
        created_at=moment,
        footer_label=_("%(organisation)s · made %(when)s") % {"organisation": organisation.name, "when": day(moment)},
        page_label=_("Page %(page)d of %(pages)d"),
        subject=title,
    )
    doc.heading(organisation.name)
    doc.paragraph(day(moment), muted=True)
    doc.heading(title, level=2)
    doc.paragraph(
        _("This is to confirm that %(name)s attended %(count)d sessions of %(group)s between %(first)s and %(last)s.")
        % {
            "name": registration.first_name,
            "count": facts.sessions,
            "group": group.name,
            "first": day(facts.first),
            "last": day(facts.last),
        }
        if facts.sessions != 1
        else _("This is to confirm that %(name)s attended 1 session of %(group)s on %(first)s.")
        % {"name": registration.first_name, "group": group.name, "first": day(facts.first)}
    )
    doc.spacer()
    doc.paragraph(organisation.name)
    record(acting_user, "registration.attendance_letter", registration)
    return doc.render()
