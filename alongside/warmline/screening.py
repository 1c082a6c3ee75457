"""Crisis screening: transparent, editable rules (owner: the screening part; see docs/warmline.md).

Screening only raises flags and moves a chat up the queue; it never closes or dismisses anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Verdict:
    flag: bool
    # The rules that matched, as their phrases (what a supervisor sees and the JSON prints).
    matched: list[str] = field(default_factory=list)


def screen(text: str, *, organisation: Any = None, language: str = "en") -> Verdict:
    """Screen one message with the organisation's active rules for ``language`` (the built-in
    defaults when ``organisation`` is None or has none)."""
    raise NotImplementedError
