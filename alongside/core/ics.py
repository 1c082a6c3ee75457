"""RFC 5545 (iCalendar) text helpers shared by every calendar Alongside writes: TEXT escaping,
line folding at 75 octets, and UTC date-times. Mentorship invites (matching/mentorship.py) and
group calendar feeds (groups/calendars.py) use them."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings


def ics_domain() -> str:
    """The host name in every UID (``…@alongside.example.org``)."""
    return urlsplit(getattr(settings, "SITE_URL", "") or "").hostname or "alongside.invalid"


def ics_escape(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def ics_fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 §3.1), never inside a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = char
            limit = 74  # continuation lines begin with a space
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def ics_time(moment: datetime) -> str:
    """A UTC DATE-TIME (``20260106T230000Z``)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_lines(lines: list[str]) -> str:
    """The calendar's text: folded lines ending in CRLF."""
    return "\r\n".join(ics_fold(line) for line in lines) + "\r\n"
