"""The optional map on public pages (docs/directory.md, "Map").

Off unless an organisation sets a tile server (``Organisation.map_tile_url``). A page with a map
renders a hidden "Show map" box, the marker data (``json_script``) and our own script; Leaflet and the
tiles load only when the visitor presses the button. The page's CSP then allows exactly the tile
server's origins in ``img-src``; every other page keeps the default policy.

This module imports no models, so ``accounts.models`` can use its validator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.templatetags.static import static
from django.utils.translation import gettext as _

# Leaflet's own default; a ``{s}`` in the template becomes one of these letters.
SUBDOMAINS = "abc"
PLACEHOLDERS = {"{z}", "{x}", "{y}", "{s}"}
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
LEAFLET = "alongside/vendor/leaflet-1.9.4/"


def validate_tile_url(value: str) -> None:
    """A tile URL template: https (http only for a tile server on this machine), {z}, {x} and {y},
    optionally {s}, no user name or password, nothing else in braces."""
    if not value:
        return
    for placeholder in ("{z}", "{x}", "{y}"):
        if placeholder not in value:
            raise ValidationError(
                _("The address must contain {z}, {x} and {y} (it has no %(placeholder)s)."),
                code="placeholder",
                params={"placeholder": placeholder},
            )
    unknown = sorted(set(re.findall(r"\{[^{}]*\}", value)) - PLACEHOLDERS)
    if unknown or value.count("{") != value.count("}"):
        raise ValidationError(
            _("Use only {z}, {x}, {y} and {s} in braces (found %(found)s)."),
            code="placeholder",
            params={"found": ", ".join(unknown) or "{"},
        )
    if any(ch.isspace() for ch in value):
        raise ValidationError(_("The address cannot contain spaces."), code="invalid")
    parts = urlsplit(value.replace("{s}", "a"))
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            _("Remove the user name and password from the address: every visitor's browser would see them."),
            code="credentials",
        )
    host = (parts.hostname or "").lower()
    full_address = _("Enter a full address such as https://tiles.example.org/{z}/{x}/{y}.png.")
    if not parts.scheme and not parts.netloc:
        raise ValidationError(full_address, code="invalid")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOCAL_HOSTS):
        # http:// only for a tile server on this machine, for trying it out.
        raise ValidationError(
            _("The address must start with https:// (http:// only for localhost or 127.0.0.1)."), code="scheme"
        )
    if not host or "{" in parts.netloc:
        raise ValidationError(full_address, code="invalid")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ValidationError(_("The port in the address is not a number."), code="invalid") from exc


def tile_origins(template: str) -> list[str]:
    """The origins the browser will fetch tiles from: one, or one per subdomain letter for ``{s}``
    in the host (expanded rather than a ``*.`` wildcard, so the policy names exactly those hosts)."""
    netloc_template = urlsplit(template.replace("{s}", "\0")).netloc
    scheme = urlsplit(template).scheme
    letters = SUBDOMAINS if "\0" in netloc_template else "-"
    origins: list[str] = []
    for letter in letters:
        origin = f"{scheme}://{netloc_template.replace(chr(0), letter).lower()}"
        if origin not in origins:
            origins.append(origin)
    return origins


def tile_host_label(template: str) -> str:
    """The host named to the visitor: ``tile.example.org`` for ``{s}.tile.example.org``."""
    netloc = urlsplit(template.replace("{s}", "\0")).netloc.lower()
    if netloc.startswith("\0."):
        return netloc[2:]
    return ", ".join(origin.split("://", 1)[1] for origin in tile_origins(template))


@dataclass(frozen=True)
class Marker:
    latitude: float
    longitude: float
    name: str
    url: str = ""


def has_public_point(listing: Any) -> bool:
    """A listing's point is shown only for an in-person venue with exact (not approximate) coordinates."""
    return bool(
        listing.is_in_person
        and not listing.approximate
        and listing.latitude is not None
        and listing.longitude is not None
    )


def group_venues(listings: Iterable[Any]) -> list[Marker]:
    """A marker per in-person group listing (linked to its page), in the given order."""
    return [
        Marker(listing.latitude, listing.longitude, listing.name, listing.url)
        for listing in listings
        if has_public_point(listing)
    ]


def _by_point(markers: Iterable[Marker]) -> list[dict[str, Any]]:
    """One pin per place: groups meeting at the same venue share it (and its popup lists them all)."""
    pins: dict[tuple[float, float], dict[str, Any]] = {}
    for m in markers:
        key = (round(m.latitude, 6), round(m.longitude, 6))
        pin = pins.setdefault(key, {"lat": key[0], "lon": key[1], "links": []})
        pin["links"].append({"name": m.name, "url": m.url})
    for pin in pins.values():
        pin["title"] = ", ".join(link["name"] for link in pin["links"])
    return list(pins.values())


def map_for(organisation: Any, markers: Iterable[Marker]) -> dict[str, Any] | None:
    """The template context of a map (``None`` when the organisation has no tile server or there is
    nothing to mark): the host to name and the data for ``json_script``."""
    template = getattr(organisation, "map_tile_url", "") if organisation is not None else ""
    pins = _by_point(markers)
    if not template or not pins:
        return None
    return {
        "host": tile_host_label(template),
        "origins": tile_origins(template),
        "data": {
            "tiles": template,
            "subdomains": SUBDOMAINS,
            "attribution": organisation.map_attribution,
            "leafletJs": static(LEAFLET + "leaflet.js"),
            "leafletCss": static(LEAFLET + "leaflet.css"),
            # Explicit icon addresses (not Leaflet's guessed image path), so hashed static names work.
            "icon": static(LEAFLET + "images/marker-icon.png"),
            "icon2x": static(LEAFLET + "images/marker-icon-2x.png"),
            "shadow": static(LEAFLET + "images/marker-shadow.png"),
            "markers": pins,
        },
    }


def allow_tiles(response: HttpResponse, map_context: dict[str, Any] | None) -> HttpResponse:
    """Let this one response's images come from the tile server too (django-csp's per-response update)."""
    if map_context:
        response._csp_update = {"img-src": list(map_context["origins"])}  # type: ignore[attr-defined]
    return response
