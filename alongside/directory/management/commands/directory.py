"""``alongside directory <action>``: keep the public directory (docs/directory.md).

Each action is a subparser added in ``add_arguments`` and a ``_handle_<action>`` method (dashes
become underscores); add new actions the same way, each in its own block.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alongside.accounts.models import Organisation


class Command(BaseCommand):
    help = "Directory: `alongside directory reindex [--org SLUG]` (and the feed actions below)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        # --- reindex (directory.sync) -----------------------------------------------------------
        reindex = sub.add_parser(
            "reindex",
            help="Rebuild the directory's listings from public groups, warm lines and mentorship programs, "
            "and remove listings whose source is gone or no longer public.",
        )
        reindex.add_argument("--org", default="", help="Only this organisation (its slug). Default: every one.")

        # --- feeds: export-hsds, import-meeting-guide -------------------------------------------
        export = sub.add_parser(
            "export-hsds",
            help="Write the public directory as Open Referral HSDS 3.0 JSON (one file per table and "
            "datapackage.json) into OUT_DIR.",
        )
        export.add_argument("out_dir", metavar="OUT_DIR")
        meeting_guide = sub.add_parser(
            "import-meeting-guide",
            help="Import a Meeting Guide JSON feed (a file) into the directory as listings of another "
            "directory's meetings; idempotent by slug. Prints a JSON report.",
        )
        meeting_guide.add_argument("file", metavar="FILE")
        meeting_guide.add_argument(
            "--source", default="", help="The feed's name (default: the file's name without .json)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = str(options["action"]).replace("-", "_")
        getattr(self, f"_handle_{action}")(**options)

    # --- reindex ---------------------------------------------------------------------------------

    def _handle_reindex(self, **options: Any) -> None:
        from alongside.directory.sync import reindex

        organisation = None
        if options["org"]:
            organisation = Organisation.objects.filter(slug=options["org"]).first()
            if organisation is None:
                raise CommandError(f"No organisation has the slug {options['org']!r}")
        summary = reindex(organisation)
        self.stdout.write(json.dumps(summary, sort_keys=True))

    # --- feeds -----------------------------------------------------------------------------------

    def _handle_export_hsds(self, **options: Any) -> None:
        from alongside.directory.hsds import export_package

        out_dir = Path(options["out_dir"])
        if out_dir.exists() and not out_dir.is_dir():
            raise CommandError(f"{out_dir} exists and is not a directory")
        counts = export_package(out_dir)
        self.stdout.write(json.dumps(counts, sort_keys=True))

    def _handle_import_meeting_guide(self, **options: Any) -> None:
        from alongside.directory.importer import ImportFileError, import_file

        path = Path(options["file"])
        source = (options["source"] or path.stem).strip()
        try:
            report = import_file(path, source=source)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report, sort_keys=True))
