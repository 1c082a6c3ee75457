"""Shifts: who is on the line when (owner: the shifts part; see docs/warmline.md).

Other parts call these (chat availability, phone routing, the supervisor board).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alongside.warmline.models import Line


def peers_on_shift(line: Line, at: datetime) -> list[Any]:
    """The users on a shift of ``line`` at ``at`` (peers and supervisors on duty), each once."""
    raise NotImplementedError


def available_peers(line: Line, at: datetime) -> list[Any]:
    """Users on shift at ``at`` whose on-shift status is "available" (not busy, not on a break)."""
    raise NotImplementedError


def supervisors_on_duty(line: Line, at: datetime) -> list[Any]:
    """The supervisors on duty for ``line`` at ``at`` (the shift's supervisor; none when unset)."""
    raise NotImplementedError


def is_on_shift(user: Any, line: Line, at: datetime) -> bool:
    raise NotImplementedError
