"""``alongside warmline <action>``: warm-line commands (docs/warmline.md). The actions live in
``alongside/warmline/commands/`` (see its ``__init__``)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand

from alongside.warmline.commands import ACTIONS


def _module(action: str) -> Any:
    return import_module(f"alongside.warmline.commands.{ACTIONS[action]}")


class Command(BaseCommand):
    help = "Warm line: " + ", ".join(f"`alongside warmline {name}`" for name in ACTIONS)

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ACTIONS:
            module = _module(name)
            module.add_arguments(sub.add_parser(name, help=module.HELP))

    def handle(self, *args: Any, **options: Any) -> None:
        _module(str(options.pop("action"))).run(self, **options)
