"""What the periodic commands (``alongside retention run``, ``mentorship remind``, ``groups remind``,
``safety remind``) share: the ``--org``, ``--now`` and ``--dry-run`` options, reading ``--now``, and
the organisations to act on, with one clear error for each bad value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError
from django.db.models import QuerySet
from django.utils import timezone


def add_periodic_options(parser: Any, *, dry_run: str | None = None, now_help: str = "") -> None:
    """``--org SLUG``, ``--now ISO8601`` and (when ``dry_run`` says what it does) ``--dry-run``."""
    parser.add_argument("--org", default="", help="Only this organisation (its slug). Default: every active one.")
    if dry_run is not None:
        parser.add_argument("--dry-run", action="store_true", help=dry_run)
    parser.add_argument(
        "--now",
        default="",
        help="Act as if it were this moment (ISO 8601; without an offset, the server's time zone)." + now_help,
    )


def moment(value: str | None) -> datetime:
    """``--now``: an aware datetime (now when empty), or a CommandError naming the format."""
    if not value:
        return timezone.now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--now must be an ISO 8601 date and time, such as 2026-01-31T09:00:00Z, not {value!r}"
        ) from exc
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def organisations(slug: str) -> QuerySet[Any]:
    """The active organisations to act on: all of them, or the one named by ``--org``."""
    from alongside.accounts.models import Organisation

    found = Organisation.objects.filter(is_active=True).order_by("slug")
    if slug:
        found = found.filter(slug=slug)
        if not found.exists():
            raise CommandError(f"No active organisation has the slug {slug!r}")
    return found
