"""Matrix routes of the warm line: shifts (see tests/matrix.py)."""

from __future__ import annotations
