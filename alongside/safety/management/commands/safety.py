"""``alongside safety remind``: email the assignee of each safety follow-up that has come due, once
(run it hourly; docs/safety.md). Prints one JSON summary; names nobody."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alongside.accounts.models import Organisation
from alongside.core.tenancy import tenant_scope
from alongside.safety.services import followups_remind


def _moment(value: str) -> datetime:
    if not value:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--now must be an ISO 8601 date and time, such as 2026-01-31T09:00:00Z, not {value!r}"
        ) from exc
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Safety concerns: `alongside safety remind [--org SLUG] [--now ISO8601]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser(
            "remind",
            help="Email the person a safety follow-up is assigned to when it has come due (once; open "
            "follow-ups of open concerns only). Run it hourly. Nothing is ever closed by it.",
        )
        remind.add_argument("--org", default="", help="Only this organisation (its slug). Default: every active one.")
        remind.add_argument(
            "--now", default="", help="Act as if it were this moment (ISO 8601; without an offset, the server's zone)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = _moment(options["now"])
        organisations = Organisation.objects.filter(is_active=True).order_by("slug")
        if options["org"]:
            organisations = organisations.filter(slug=options["org"])
            if not organisations.exists():
                raise CommandError(f"No active organisation has the slug {options['org']!r}")
        reminded = 0
        for organisation in organisations.iterator():
            with tenant_scope(organisation):
                reminded += followups_remind(organisation=organisation, now=now)
        self.stdout.write(json.dumps({"reminded": reminded, "now": now.isoformat()}, sort_keys=True))
