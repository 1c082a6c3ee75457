"""A person's private iCalendar feed (RFC 5545) of their warm-line shifts.

Every shift they are on or supervise, one VEVENT each, in UTC (each shift is its own row, so no
rule or time zone is needed); cancelled shifts stay in the feed as ``STATUS:CANCELLED`` so
calendar apps remove them. Only the line's name, the times and the person's part: never who else
is on the shift.

The address carries a signed token (``shift_token``), as the facilitator's group feed does: no
expiry; it stops working when the person's password changes, when their account or their peer
or supervisor role ends, or when the server's secret key changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.feeds import feed_token, member_from_feed_token
from alongside.accounts.models import User
from alongside.core.ics import ics_domain, ics_escape, ics_lines, ics_time
from alongside.warmline.models import Shift

PRODID = "-//Alongside//Warm-line shifts//EN"
TOKEN_SALT = "alongside.warmline.shift-calendar"  # noqa: S105 (a signing salt, not a secret)
FEED_ROLES = ("peer", "supervisor", "coordinator", "admin")


def calendar(shifts: Sequence[Shift], user: User, *, name: str, now: datetime | None = None) -> str:
    """The feed of these shifts (``line`` selected) as seen by ``user``."""
    stamp = ics_time(now or timezone.now())
    domain = ics_domain()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + ics_escape(name),
    ]
    for shift in shifts:
        part = _("supervisor on duty") if shift.supervisor_id == user.pk else _("peer supporter")
        lines += [
            "BEGIN:VEVENT",
            f"UID:warmline-shift-{shift.pk}@{domain}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{ics_time(shift.starts_at)}",
            f"DTEND:{ics_time(shift.ends_at)}",
            "SUMMARY:" + ics_escape(_("Shift: %(line)s") % {"line": shift.line.name}),
            "DESCRIPTION:" + ics_escape(_("Your part: %(part)s") % {"part": part}),
            "STATUS:CANCELLED" if shift.cancelled else "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ics_lines(lines)


def shift_token(user: User, organisation: Any) -> str:
    """The secret in the person's shift-feed address (``accounts.feeds``)."""
    return feed_token(user, organisation, salt=TOKEN_SALT)


def person_from_token(token: str) -> tuple[User, Any] | None:
    """(user, organisation) for a valid token of an active member, else None."""
    return member_from_feed_token(token, salt=TOKEN_SALT, roles=FEED_ROLES)
