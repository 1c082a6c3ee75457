"""``alongside directory <action>``: keep the public directory (docs/directory.md).

Each action is a subparser added in ``add_arguments`` and a ``_handle_<action>`` method (dashes
become underscores); add new actions the same way, each in its own block.
"""

from __future__ import annotations

import json
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
