"""Matrix routes of the warm line: lines (see tests/matrix.py)."""

from __future__ import annotations
