"""``alongside warmline sweep-chats``: mark abandoned the waiting chats whose visitor closed the tab
or stepped away and did not come back (docs/warmline.md, "Live chat"). Run it every minute or two;
reading the queue does the same on the way. Active chats are never closed by it. Prints one JSON
summary; names nobody."""

from __future__ import annotations

import json
from typing import Any

from alongside.core import commands
from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat

HELP = "Mark abandoned the waiting chats whose visitor has left. Run it every minute or two."


def add_arguments(parser: Any) -> None:
    commands.add_periodic_options(parser, dry_run="Count the chats that would be marked; write nothing.")


def run(command: Any, **options: Any) -> None:
    now = commands.moment(options["now"])
    dry_run = options["dry_run"]
    abandoned = 0
    for organisation in commands.organisations(options["org"]).iterator():
        with tenant_scope(organisation):
            abandoned += chat.chats_sweep(organisation=organisation, now=now, dry_run=dry_run)
    command.stdout.write(
        json.dumps({"abandoned": abandoned, "dry_run": dry_run, "now": now.isoformat()}, sort_keys=True)
    )
