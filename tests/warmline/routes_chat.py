"""Matrix routes of the warm line: chat (see tests/matrix.py)."""

from __future__ import annotations
