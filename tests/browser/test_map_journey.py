"""The optional venue map in a real browser: nothing from the tile server before "Show map" is pressed;
then Leaflet (our vendored copy) and tiles from exactly the configured server, a marker at the venue,
no CSP violations, axe-clean. Without JavaScript there is no button and no tile is ever asked for.

The "tile server" is the live server itself (a static SVG with the tile numbers in its query string),
so nothing leaves the machine; the conftest's safety net aborts anything for another origin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import BrowserContext, expect

from alongside.accounts.models import Organisation
from alongside.directory.models import Listing, ListingKind
from alongside.directory.sync import reindex
from tests.browser.conftest import same_origin
from tests.browser.test_journeys import assert_accessible
from tests.conftest import Tenant
from tests.groups.helpers import make_group, make_schedule

pytestmark = pytest.mark.browser

TILE_MARK = "/static/alongside/favicon.svg?z="


def tile_origin(live_server: Any) -> str:
    """The live server under its other name: another origin as far as the browser (and CSP) can tell."""
    url = str(live_server.url)
    assert url.startswith("http://localhost:"), url
    return url.replace("http://localhost:", "http://127.0.0.1:")


def configured_listing(tenant: Tenant, live_server: Any) -> Listing:
    tiles = f"{tile_origin(live_server)}/static/alongside/favicon.svg?z={{z}}&x={{x}}&y={{y}}"
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant.organisation.pk).update(
            map_tile_url=tiles, map_attribution="Test tiles, made here"
        )
    reindex()
    return Listing.objects.get(organisation=tenant.organisation, kind=ListingKind.MENTORSHIP)


def test_the_map_loads_only_when_asked(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    listing = configured_listing(tenant, live_server)
    requested: list[str] = []
    console: list[str] = []
    context = make_context()
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.on("console", lambda message: console.append(message.text))
    # Let the tile origin through the conftest's net (page routes win over context routes).
    tiles_at = tile_origin(live_server)
    page.route(lambda url: url.startswith(f"{tiles_at}/"), lambda route: route.continue_())

    page.goto(f"/directory/listings/{listing.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(listing.name)
    button = page.get_by_role("button", name="Show map")
    expect(button).to_be_visible()  # shown by our script
    expect(page.get_by_text("The map's images come from 127.0.0.1:")).to_be_visible()
    assert_accessible(page)
    assert not [url for url in requested if TILE_MARK in url or "leaflet" in url], requested

    button.click()
    marker = page.get_by_role("button", name=listing.name)
    expect(marker).to_be_visible()
    expect(page.locator(".leaflet-tile-loaded").first).to_be_attached()
    expect(page.get_by_text("Test tiles, made here")).to_be_visible()
    expect(button).to_be_hidden()
    # Tiles came (so the page's CSP let that origin's images in), and only from the tile server;
    # everything else, Leaflet and its marker images included, from our own origin.
    tiles = [url for url in requested if TILE_MARK in url]
    assert tiles and all(url.startswith(f"{tiles_at}{TILE_MARK}") for url in tiles), tiles
    others = [url for url in requested if url not in tiles]
    assert all(same_origin(url, live_server.url) for url in others), others
    assert any(url.endswith("/leaflet-1.9.4/leaflet.js") for url in requested)
    assert any(url.endswith("/leaflet-1.9.4/images/marker-icon.png") for url in requested)  # our copy
    assert not [text for text in console if "Content Security Policy" in text], console

    marker.click()  # the popup names the place
    expect(page.locator(".leaflet-popup-content")).to_contain_text(listing.name)
    assert_accessible(page)


def test_without_javascript_there_is_no_map_and_no_tile_request(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    listing = configured_listing(tenant, live_server)
    requested: list[str] = []
    context = make_context(java_script_enabled=False)
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.goto(f"/directory/listings/{listing.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(listing.name)
    expect(page.get_by_role("button", name="Show map")).to_be_hidden()
    expect(page.get_by_text("1 Main Street, Springfield")).to_be_visible()  # the address stays
    assert not [url for url in requested if TILE_MARK in url or "leaflet" in url], requested


def test_the_organisation_page_maps_its_group_venues(
    make_context: Callable[..., BrowserContext], tenant: Tenant, live_server: Any
) -> None:
    with scopes_disabled():
        make_schedule(make_group(tenant, "Tuesday Circle"))
    configured_listing(tenant, live_server)
    page = make_context().new_page()
    tiles_at = tile_origin(live_server)
    page.route(lambda url: url.startswith(f"{tiles_at}/"), lambda route: route.continue_())
    page.goto("/o/harbor/")
    page.get_by_role("button", name="Show map").click()
    page.get_by_role("button", name="Tuesday Circle").click()
    popup_link = page.locator(".leaflet-popup-content").get_by_role("link", name="Tuesday Circle")
    expect(popup_link).to_have_attribute("href", "/directory/groups/harbor/tuesday-circle/")
    assert_accessible(page)
