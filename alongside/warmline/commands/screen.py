"""``alongside warmline screen --text "…" [--lang en|es|auto] [--org SLUG]``: print the screening
verdict of one message as one line of JSON, ``{"flag", "tier", "concepts", "matched", "words"}``
(tier "urgent", "check_in" or ""; the concepts, the rules and the message's words that matched),
so supervisors can try rule changes (docs/warmline.md, "Crisis screening"). Nothing is stored or
logged."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError

HELP = 'Screen one message: prints {"flag", "tier", "concepts", "matched", "words"} as JSON.'

LANG_CHOICES = ("en", "es", "auto")


def add_arguments(parser: Any) -> None:
    parser.add_argument("--text", required=True, help="The message to screen.")
    parser.add_argument(
        "--lang",
        default="auto",
        choices=LANG_CHOICES,
        help="The message's language: en, es, or auto (both rule sets; the default).",
    )
    parser.add_argument(
        "--org", default="", help="Use this organisation's rules (its slug). Default: the built-in rules."
    )


def run(command: Any, **options: Any) -> None:
    from alongside.accounts.models import Organisation
    from alongside.warmline.screening import screen

    text = options.get("text") or ""
    if not text.strip():
        raise CommandError("--text must not be empty: give the message to screen.")
    language = options.get("lang") or "auto"
    if language not in LANG_CHOICES:
        raise CommandError(f"--lang must be one of {', '.join(LANG_CHOICES)}, not {language!r}")
    organisation = None
    slug = options.get("org") or ""
    if slug:
        organisation = Organisation.objects.filter(slug=slug, is_active=True).first()
        if organisation is None:
            raise CommandError(f"No active organisation has the slug {slug!r}")
    verdict = screen(text, organisation=organisation, language=language)
    command.stdout.write(json.dumps(verdict.as_dict(), ensure_ascii=False))
