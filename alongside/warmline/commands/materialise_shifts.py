"""``alongside warmline materialise-shifts``: make the rows of every pattern's shifts for the next
eight weeks (``rota.FIRST_WEEKS``), so the rota, sign-ups and reminders find them; run it hourly
(docs/warmline.md, "Shifts"). Idempotent; the rota pages only read. Prints one JSON summary."""

from __future__ import annotations

import json
from typing import Any

from alongside.core import commands
from alongside.core.tenancy import tenant_scope
from alongside.warmline import rota

HELP = "Make the next eight weeks of every shift pattern's shifts. Run it hourly."


def add_arguments(parser: Any) -> None:
    commands.add_periodic_options(parser, dry_run="Count the shifts that would be made; write nothing.")


def run(command: Any, **options: Any) -> None:
    now = commands.moment(options["now"])
    dry_run = options["dry_run"]
    made = 0
    for organisation in commands.organisations(options["org"]).iterator():
        with tenant_scope(organisation):
            made += rota.shifts_materialise(
                acting_user=None,
                organisation=organisation,
                start=now,
                end=now + rota.FIRST_WEEKS,
                now=now,
                dry_run=dry_run,
            )
    command.stdout.write(json.dumps({"shifts": made, "dry_run": dry_run, "now": now.isoformat()}, sort_keys=True))
