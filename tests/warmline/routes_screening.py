"""Matrix routes of the warm line: screening (see tests/matrix.py)."""

from __future__ import annotations
