"""Matrix routes of the warm line: contacts (see tests/matrix.py)."""

from __future__ import annotations
