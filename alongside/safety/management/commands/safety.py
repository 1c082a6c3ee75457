"""``alongside safety remind``: email the assignee of each safety follow-up that has come due, once
(run it hourly; docs/safety.md). Prints one JSON summary; names nobody."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from alongside.core import commands
from alongside.core.tenancy import tenant_scope
from alongside.safety.services import followups_remind


class Command(BaseCommand):
    help = "Safety concerns: `alongside safety remind [--org SLUG] [--now ISO8601]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser(
            "remind",
            help="Email the person a safety follow-up is assigned to when it has come due (once; open "
            "follow-ups of open concerns only). Run it hourly. Nothing is ever closed by it.",
        )
        commands.add_periodic_options(remind)

    def handle(self, *args: Any, **options: Any) -> None:
        now = commands.moment(options["now"])
        organisations = commands.organisations(options["org"])
        reminded = 0
        for organisation in organisations.iterator():
            with tenant_scope(organisation):
                reminded += followups_remind(organisation=organisation, now=now)
        self.stdout.write(json.dumps({"reminded": reminded, "now": now.isoformat()}, sort_keys=True))
