"""A line's hours: open now, or when it opens next (owner: the lines part; see docs/warmline.md).

Other parts call ``line_status`` (the chat page, the directory's "open now", phone routing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alongside.warmline.models import Line


@dataclass(frozen=True)
class LineStatus:
    is_open: bool
    # When open: when it closes next (None if it stays open past the horizon).
    closes_at: datetime | None = None
    # When closed: when it opens next (None if no opening is scheduled within the horizon).
    opens_at: datetime | None = None
    # When closed for a holiday or a closure: its public reason ("Thanksgiving"), else "".
    reason: str = ""


def line_status(line: Line, at: datetime) -> LineStatus:
    """Whether ``line`` is open at ``at`` (aware), from its weekly hours in the organisation's time
    zone, minus its holidays and closures."""
    raise NotImplementedError
