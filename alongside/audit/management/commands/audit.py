from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alongside.audit.selectors import events_since, last_events
from alongside.audit.services import verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chains, or show its newest entries."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Exit 0 when every chain is intact; otherwise name the first bad entry.")
        show = sub.add_parser("show", help="Print the newest entries.")
        show.add_argument("--last", type=int, default=20, help="How many entries (default 20).")
        show.add_argument("--json", action="store_true", help="One JSON object per line.")
        show.add_argument(
            "--since-id",
            type=int,
            default=None,
            help="Only entries after this id, oldest first (for shipping the log elsewhere without gaps).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            problems = list(verify())
            if problems:
                for problem in problems:
                    self.stderr.write(f"BROKEN: {problem}")
                raise CommandError(f"audit log verification failed: first bad entry: {problems[0]}")
            self.stdout.write(self.style.SUCCESS("audit log intact"))
            return
        n = options["last"]
        if n < 1 or n > 10000:
            raise CommandError("--last must be between 1 and 10000")
        events = events_since(options["since_id"], n) if options["since_id"] is not None else last_events(n)
        for event in events:
            row = {"id": event.id, "hash": event.hash, **event.payload()}
            if options["json"]:
                self.stdout.write(json.dumps(row, sort_keys=True))
            else:
                self.stdout.write(
                    f"{event.id:>7} {row['created_at']} {event.action:<32} {event.object_type}:{event.object_id}"
                    f" actor={row['actor_id'] or '-'} role={event.actor_role}"
                )
