"""``alongside groups remind``: email registered people a reminder the day before each session
(run it hourly; docs/groups.md, "Registration and waitlist"). Prints one JSON summary; names nobody."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alongside.accounts.models import Organisation
from alongside.core.tenancy import tenant_scope
from alongside.groups.registration import RemindSummary, reminders_send


def _moment(value: str) -> datetime:
    if not value:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--now must be an ISO 8601 date and time, such as 2026-01-31T09:00:00Z, not {value!r}"
        ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Groups: `alongside groups remind [--org SLUG] [--now ISO8601] [--dry-run]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser(
            "remind",
            help="Email registered people (with an email) a reminder of each session starting within the next "
            "24 hours, once per session. Run it hourly.",
        )
        remind.add_argument("--org", default="", help="Only this organisation (its slug). Default: every active one.")
        remind.add_argument("--dry-run", action="store_true", help="Count what would be sent; send and write nothing.")
        remind.add_argument(
            "--now", default="", help="Act as if it were this moment (ISO 8601; without an offset, the server's zone)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = _moment(options["now"])
        dry_run = options["dry_run"]
        organisations = Organisation.objects.filter(is_active=True).order_by("slug")
        if options["org"]:
            organisations = organisations.filter(slug=options["org"])
            if not organisations.exists():
                raise CommandError(f"No active organisation has the slug {options['org']!r}")
        total = RemindSummary()
        for organisation in organisations.iterator():
            with tenant_scope(organisation):
                total += reminders_send(organisation, now=now, dry_run=dry_run)
        self.stdout.write(json.dumps({**total.as_dict(), "dry_run": dry_run, "now": now.isoformat()}, sort_keys=True))
