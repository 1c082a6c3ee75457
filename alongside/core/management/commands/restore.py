from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alongside.core.backup import BackupError, check_restored, restore


class Command(BaseCommand):
    help = (
        "Restore a file made by `alongside backup` into the configured database, then check it: no "
        "unapplied migrations, an intact audit log, and encrypted values that decrypt with the configured "
        "ALONGSIDE_ENCRYPTION_KEYS (which are not in the backup: configure the keys that were in use when it "
        "was made). Stop the application first. Exits non-zero when any check fails."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("in_path", metavar="IN_PATH", nargs="?", help="The backup file to restore.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Replace the contents of a database that is not empty (otherwise the restore is refused).",
        )
        parser.add_argument(
            "--check-only",
            action="store_true",
            help="Restore nothing; run the checks on the configured database (e.g. after fixing the keys).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        in_path = options["in_path"]
        if options["check_only"] == bool(in_path):
            raise CommandError("give IN_PATH to restore, or --check-only (not both)")
        try:
            if in_path:
                source = restore(Path(in_path), replace=options["yes"])
                self.stdout.write(f"restored {source.path} ({source.size} bytes, sha256 {source.sha256})")
            checks = check_restored()
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for line in checks.lines:
            self.stdout.write(f"ok: {line}")
        self.stdout.write(self.style.SUCCESS("restore checks passed" if in_path else "checks passed"))
