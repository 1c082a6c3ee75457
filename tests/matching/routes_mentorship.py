"""Matrix routes (see tests/matrix.py): filled in by the capability that owns them."""

from __future__ import annotations
