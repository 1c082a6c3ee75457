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

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from alongside.accounts.models import Membership, User
from alongside.core.ics import ics_domain, ics_escape, ics_lines, ics_time
from alongside.core.tenancy import unscoped
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


def _password_mark(user: User) -> str:
    return salted_hmac(TOKEN_SALT, f"{user.pk}:{user.password}").hexdigest()[:16]


def shift_token(user: User, organisation: Any) -> str:
    """The secret in the person's feed address (signed; names the user and the organisation)."""
    return signing.dumps(
        {"u": str(user.pk), "o": str(organisation.pk), "p": _password_mark(user)}, salt=TOKEN_SALT, compress=True
    )


def person_from_token(token: str) -> tuple[User, Any] | None:
    """(user, organisation) for a valid token of an active member, else None."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not {"u", "o", "p"} <= set(data):
        return None
    try:
        user = User.objects.filter(pk=data["u"], is_active=True).first()
    except (ValueError, ValidationError):
        return None
    if user is None or not constant_time_compare(_password_mark(user), str(data["p"])):
        return None
    with unscoped("the feed's token names the organisation; checked against the person's memberships"):
        member = (
            Membership.objects.filter(
                user=user,
                organisation_id=data["o"],
                is_active=True,
                organisation__is_active=True,
                role__in=FEED_ROLES,
            )
            .select_related("organisation")
            .first()
        )
    if member is None:
        return None
    return user, member.organisation
