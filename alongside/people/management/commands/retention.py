"""``alongside retention run``: apply each organisation's retention periods (schedule it daily)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from alongside.api.models import IDEMPOTENCY_KEY_TTL, IdempotencyKey
from alongside.core import commands
from alongside.core.tenancy import tenant_scope
from alongside.people import rights
from alongside.warmline import chat
from alongside.warmline import contacts as warmline_contacts


class Command(BaseCommand):
    help = "Apply retention periods: `alongside retention run [--org SLUG] [--dry-run] [--now ISO8601]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "run",
            help="Clear contact notes older than each organisation keeps them (with the warm-line caller's alias "
            "and other-resources text), anonymise closed records kept longer than its period for closed records, "
            "and clear chat transcripts past their retention. Prints a JSON summary per organisation.",
        )
        commands.add_periodic_options(
            run,
            dry_run="Count what would change; write nothing.",
            now_help=" For checking what a future run will do, together with --dry-run.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = commands.moment(options["now"])
        dry_run = options["dry_run"]
        organisations = commands.organisations(options["org"])
        total = {"notes_cleared": 0, "records_anonymised": 0, "transcripts_cleared": 0, "warmline_texts_cleared": 0}
        for organisation in organisations.iterator():
            with tenant_scope(organisation):
                # The warm-line texts go with the contact notes: before people clears the notes.
                texts = warmline_contacts.texts_purge(organisation=organisation, now=now, dry_run=dry_run)
                summary = rights.retention_run(organisation, now=now, dry_run=dry_run)
                transcripts = chat.transcripts_purge(organisation=organisation, now=now, dry_run=dry_run)
            total["notes_cleared"] += summary.notes_cleared
            total["records_anonymised"] += summary.records_anonymised
            total["transcripts_cleared"] += transcripts
            total["warmline_texts_cleared"] += texts
            line = {
                **summary.as_dict(),
                "transcripts_cleared": transcripts,
                "warmline_texts_cleared": texts,
                "dry_run": dry_run,
            }
            self.stdout.write(json.dumps(line, sort_keys=True))
        if not options["org"]:
            # Stored API responses (they may hold a created record) are only needed for a day.
            expired = IdempotencyKey.objects.filter(created_at__lte=now - IDEMPOTENCY_KEY_TTL)
            total["idempotency_keys_deleted"] = expired.count() if dry_run else expired.delete()[0]
        self.stdout.write(json.dumps({"total": total, "dry_run": dry_run, "now": now.isoformat()}, sort_keys=True))
