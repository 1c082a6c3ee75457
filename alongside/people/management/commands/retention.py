"""``alongside retention run``: apply each organisation's retention periods (schedule it daily)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alongside.accounts.models import Organisation
from alongside.api.models import IDEMPOTENCY_KEY_TTL, IdempotencyKey
from alongside.core.tenancy import tenant_scope
from alongside.people import rights


def _moment(value: str | None) -> datetime:
    if not value:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--now must be an ISO 8601 date and time, such as 2026-01-31T02:00:00Z, not {value!r}"
        ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Apply retention periods: `alongside retention run [--org SLUG] [--dry-run] [--now ISO8601]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "run",
            help="Clear contact notes older than each organisation keeps them, and anonymise closed records "
            "kept longer than its period for closed records. Prints a JSON summary per organisation.",
        )
        run.add_argument("--org", default="", help="Only this organisation (its slug). Default: every active one.")
        run.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")
        run.add_argument(
            "--now",
            default="",
            help="Act as if it were this moment (ISO 8601; without an offset, the server's time zone). "
            "For checking what a future run will do, together with --dry-run.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = _moment(options["now"])
        dry_run = options["dry_run"]
        organisations = Organisation.objects.filter(is_active=True).order_by("slug")
        if options["org"]:
            organisations = organisations.filter(slug=options["org"])
            if not organisations.exists():
                raise CommandError(f"No active organisation has the slug {options['org']!r}")
        total = {"notes_cleared": 0, "records_anonymised": 0}
        for organisation in organisations.iterator():
            with tenant_scope(organisation):
                summary = rights.retention_run(organisation, now=now, dry_run=dry_run)
            total["notes_cleared"] += summary.notes_cleared
            total["records_anonymised"] += summary.records_anonymised
            self.stdout.write(json.dumps({**summary.as_dict(), "dry_run": dry_run}, sort_keys=True))
        if not options["org"]:
            # Stored API responses (they may hold a created record) are only needed for a day.
            expired = IdempotencyKey.objects.filter(created_at__lte=now - IDEMPOTENCY_KEY_TTL)
            total["idempotency_keys_deleted"] = expired.count() if dry_run else expired.delete()[0]
        self.stdout.write(json.dumps({"total": total, "dry_run": dry_run, "now": now.isoformat()}, sort_keys=True))
