"""``alongside warmline remind-shifts``: email each person on a shift a reminder the day before it
(run it hourly; docs/warmline.md, "Shifts"). Once per person and shift (``reminded_at``, set under
a row lock with the audit row; the email goes after the commit). Prints one JSON summary; names
nobody."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alongside.audit.services import record
from alongside.core import commands
from alongside.core.tenancy import tenant_scope
from alongside.warmline.models import AssignmentState, ShiftAssignment

HELP = "Email each person on a shift starting within the next 24 hours a reminder, once. Run it hourly."
AHEAD = timedelta(hours=24)
logger = logging.getLogger(__name__)


def add_arguments(parser: Any) -> None:
    commands.add_periodic_options(parser, dry_run="Count what would be sent; send and write nothing.")


@dataclass
class Summary:
    emails: int = 0
    shifts: int = 0


def _message(assignment: ShiftAssignment) -> EmailMessage:
    shift = assignment.shift
    organisation = shift.organisation
    user = assignment.user
    language = user.language if any(user.language == code for code, _n in settings.LANGUAGES) else None
    with translation.override(language or settings.LANGUAGE_CODE):
        local = timezone.localtime(shift.starts_at, ZoneInfo(organisation.timezone))
        context = {
            "name": user.display_name,
            "line": shift.line.name,
            "organisation": organisation.name,
            "when": date_format(local, "l j F Y, H:i"),
            "timezone": organisation.timezone,
            "part": _("peer supporter"),
            "supervisor": shift.supervisor.display_name if shift.supervisor else _("nobody yet"),
            "link": settings.SITE_URL + reverse("warmline:my_shifts", args=[organisation.slug]),
        }
        body = render_to_string("warmline/shifts/reminder.txt", context)
        subject = _("Reminder: your shift on %(line)s tomorrow") % {"line": shift.line.name}
    return EmailMessage(subject=subject, body=body, to=[user.email])


def remind(organisation: Any, *, now: datetime, dry_run: bool = False) -> Summary:
    """Remind everyone on the organisation's shifts starting in (now, now + 24 h] (tenant scope on)."""
    due = ShiftAssignment.objects.filter(
        organisation=organisation,
        state=AssignmentState.ACTIVE,
        reminded_at__isnull=True,
        shift__cancelled=False,
        shift__starts_at__gt=now,
        shift__starts_at__lte=now + AHEAD,
        user__is_active=True,
    ).order_by("shift__starts_at", "pk")
    summary = Summary()
    if dry_run:
        summary.emails = due.count()
        summary.shifts = due.values("shift_id").distinct().count()
        return summary
    shifts = set()
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            assignment = (
                ShiftAssignment.objects.select_for_update(of=("self",))
                .select_related("user", "shift", "shift__line", "shift__supervisor", "shift__organisation")
                .get(pk=pk, organisation=organisation)
            )
            if assignment.reminded_at is not None or assignment.state != AssignmentState.ACTIVE:
                continue
            assignment.reminded_at = timezone.now()
            assignment.save(update_fields=["reminded_at", "updated_at"])
            record(None, "shift.remind", assignment)
            message = _message(assignment)

            def send(message: EmailMessage = message, assignment_id: Any = pk) -> None:
                try:
                    message.send(fail_silently=False)
                except Exception as exc:  # one failed email must not stop the others; never log the address
                    logger.error("shift reminder not sent (assignment %s): %s", assignment_id, type(exc).__name__)

            transaction.on_commit(send)
            summary.emails += 1
            shifts.add(assignment.shift_id)
    summary.shifts = len(shifts)
    return summary


def run(command: Any, **options: Any) -> None:
    now = commands.moment(options["now"])
    dry_run = options["dry_run"]
    total = Summary()
    for organisation in commands.organisations(options["org"]).iterator():
        with tenant_scope(organisation):
            found = remind(organisation, now=now, dry_run=dry_run)
        total.emails += found.emails
        total.shifts += found.shifts
    command.stdout.write(
        json.dumps(
            {"emails": total.emails, "shifts": total.shifts, "dry_run": dry_run, "now": now.isoformat()}, sort_keys=True
        )
    )
