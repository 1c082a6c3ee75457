"""The public "Find support" pages: the near-me search and a page per listing (docs/directory.md).

Everything works without JavaScript. "Use my location" is a button that a small script of our own
(``directory/locate.js``) shows and wires; it asks the browser for the position only when pressed.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from alongside.core.policy import public
from alongside.directory.forms import DAY_CHOICES, SearchForm
from alongside.directory.maps import Marker, allow_tiles, has_public_point, map_for
from alongside.directory.models import Listing, ListingKind
from alongside.directory.search import search
from alongside.web.forms import LANGUAGE_CHOICES

_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _private(response: HttpResponse) -> HttpResponse:
    """A search names where someone is: never cached or indexed."""
    response["Cache-Control"] = "no-store, private, max-age=0"
    response["X-Robots-Tag"] = "noindex"
    return response


def _page_link(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return "?" + query.urlencode()


@public
@require_GET
def find_support(request: HttpRequest) -> HttpResponse:
    if not request.GET:
        return render(request, "directory/find_support.html", {"form": SearchForm(), "results": None})
    form = SearchForm(request.GET)
    context: dict[str, Any] = {"form": form, "results": None}
    if not form.is_valid() or form.place is None:
        return _private(render(request, "directory/find_support.html", context, status=400))
    place = form.place
    results = search(
        place.latitude,
        place.longitude,
        radius_miles=form.cleaned_data["radius"],
        filters=form.filters(),
        page=form.cleaned_data["page"],
        timezone=place.timezone,
    )
    context.update(
        {
            "results": results,
            "place": place,
            "radius": form.cleaned_data["radius"],
            "previous_link": _page_link(request, results.page - 1) if results.has_previous else "",
            "next_link": _page_link(request, results.page + 1) if results.has_next else "",
        }
    )
    return _private(render(request, "directory/find_support.html", context))


def json_ld(listing: Listing) -> SafeString:
    """schema.org JSON-LD for a listing's page, escaped for a ``<script type="application/ld+json">``."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Service",
        "name": listing.name,
        "description": listing.description,
        "serviceType": str(ListingKind(listing.kind).label) if listing.kind in ListingKind.values else listing.kind,
        "isAccessibleForFree": listing.is_free,
        "availableLanguage": list(listing.languages),
    }
    if listing.organisation_name:
        data["provider"] = {"@type": "Organization", "name": listing.organisation_name}
    if listing.is_in_person and listing.latitude is not None:
        data["availableChannel"] = {
            "@type": "ServiceChannel",
            "serviceLocation": {
                "@type": "Place",
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": listing.address,
                    "addressLocality": listing.city,
                    "addressRegion": listing.region,
                    "postalCode": listing.postal_code,
                    "addressCountry": listing.country,
                },
                "geo": {"@type": "GeoCoordinates", "latitude": listing.latitude, "longitude": listing.longitude},
            },
        }
    if listing.conference_url:
        data["availableChannel"] = {"@type": "ServiceChannel", "serviceUrl": listing.conference_url}
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES))  # noqa: S308 - escaped above


@public
@require_GET
def listing_detail(request: HttpRequest, listing_id: UUID) -> HttpResponse:
    listing = Listing.objects.filter(pk=listing_id).select_related("organisation").first()
    if listing is None:
        raise Http404
    if listing.kind == ListingKind.GROUP and listing.url.startswith("/directory/groups/"):
        return redirect(listing.url)  # the group's own public page
    if listing.organisation is not None:
        request.public_org = listing.organisation  # type: ignore[attr-defined]
    days = dict(DAY_CHOICES)
    weekly = [
        {**entry, "day": days.get(str(entry.get("day")), "")} for entry in listing.weekly if isinstance(entry, dict)
    ]
    language_names = dict(LANGUAGE_CHOICES)
    languages = [str(language_names.get(code, code)) for code in listing.languages]
    listing_map = _listing_map(listing)
    context = {"listing": listing, "json_ld": json_ld(listing), "weekly": weekly, "languages": languages}
    context["map"] = listing_map
    return allow_tiles(render(request, "directory/listing_detail.html", context), listing_map)


def _listing_map(listing: Listing) -> dict[str, Any] | None:
    """One marker at the listing's public venue; none for approximate or missing points."""
    if not has_public_point(listing) or listing.latitude is None or listing.longitude is None:
        return None
    return map_for(listing.organisation, [Marker(listing.latitude, listing.longitude, listing.name)])
