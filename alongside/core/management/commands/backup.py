from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alongside.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the configured database to OUT_PATH (mode 0600): SQLite through the online backup API, "
        "PostgreSQL through pg_dump -Fc. Prints the size and SHA-256 of the file. The field-encryption keys "
        "(ALONGSIDE_ENCRYPTION_KEYS) are NOT in the backup: keep them separately, so that a stolen backup "
        "does not reveal encrypted data and a lost key store does not make backups useless. Restore with "
        "`alongside restore`."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out_path", metavar="OUT_PATH", help="The backup file to write.")
        parser.add_argument("--force", action="store_true", help="Overwrite OUT_PATH if it already exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = backup(Path(options["out_path"]), force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"backup written: {written.path}"))
        self.stdout.write(f"size: {written.size} bytes")
        self.stdout.write(f"sha256: {written.sha256}")
        self.stdout.write("The encryption keys are not in this file: keep ALONGSIDE_ENCRYPTION_KEYS safe separately.")
