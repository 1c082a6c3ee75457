"""Offline geography: coordinates from data that ships inside installed packages, never a network
call (SECURITY.md: no third-party requests).

* ``zip_centroid``: the centroid of a US ZIP code, from the ``zipcodes`` package (its bundled
  USPS-derived table), rounded to two decimals — about 1 km, enough for a travelling distance and
  no more precise than needed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

ZIP_RE = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")


def normalise_zip(value: str) -> str | None:
    """``"04101"`` or ``"04101-1234"`` → ``"04101"``; anything else → None."""
    found = ZIP_RE.match(value or "")
    return found.group(1) if found else None


@lru_cache(maxsize=4096)
def zip_centroid(value: str) -> tuple[Decimal, Decimal] | None:
    """The approximate centre of a US ZIP code as (latitude, longitude), or None when the code is
    not a well-formed ZIP or not in the bundled table."""
    code = normalise_zip(value)
    if code is None:
        return None
    import zipcodes  # a 40k-row table loaded on first use

    for row in zipcodes.matching(code):
        try:
            lat, lon = Decimal(row["lat"]), Decimal(row["long"])
        except (KeyError, ArithmeticError, ValueError):
            continue
        if lat.is_finite() and lon.is_finite() and (lat, lon) != (0, 0):
            return lat.quantize(Decimal("0.01")), lon.quantize(Decimal("0.01"))
    return None
