"""``alongside mentorship remind``: email a reminder of each next session starting within the next
24 hours (run it hourly; docs/matching.md, "Reminders"). Prints one JSON summary; names nobody."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from alongside.core import commands
from alongside.core.tenancy import tenant_scope
from alongside.matching.reminders import RemindSummary, reminders_send


class Command(BaseCommand):
    help = "Mentorship: `alongside mentorship remind [--org SLUG] [--now ISO8601] [--dry-run]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser(
            "remind",
            help="Email a reminder, with the calendar invite, of each next session starting within the next "
            "24 hours that has not been reminded: to the peer supporter, and to the person when they have "
            "an email, it is safe to email them and they consented to email. Run it hourly.",
        )
        commands.add_periodic_options(remind, dry_run="Count what would be sent; send and write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = commands.moment(options["now"])
        dry_run = options["dry_run"]
        organisations = commands.organisations(options["org"])
        total = RemindSummary()
        for organisation in organisations.iterator():
            with tenant_scope(organisation):
                total += reminders_send(organisation, now=now, dry_run=dry_run)
        self.stdout.write(json.dumps({**total.as_dict(), "dry_run": dry_run, "now": now.isoformat()}, sort_keys=True))
