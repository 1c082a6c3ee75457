"""The optional venue map: off by default; with a tile server, a "Show map" box on the listing page
and the organisation's public page, and a CSP that lets exactly that server's images in there only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_scopes import scopes_disabled

from alongside.accounts import services
from alongside.accounts.models import Organisation
from alongside.audit.models import AuditEvent
from alongside.directory.maps import tile_host_label, tile_origins, validate_tile_url
from alongside.directory.models import Listing, ListingKind
from alongside.directory.sync import reindex
from tests.groups.helpers import make_group, make_schedule
from tests.test_pages import settings_form

pytestmark = pytest.mark.django_db

TILES = "https://tiles.example.org/osm/{z}/{x}/{y}.png"
CREDIT = "© OpenStreetMap contributors"
DEFAULT_IMG_SRC = ["'self'", "data:"]


def csp(response: Any) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


def configure(tenant: Any, url: str = TILES, credit: str = CREDIT) -> None:
    Organisation.objects.filter(pk=tenant.organisation.pk).update(map_tile_url=url, map_attribution=credit)


def mentors_listing(tenant: Any) -> Listing:
    """The tenant's mentorship program at its Springfield site: in person, at the site's own point."""
    reindex()
    return Listing.objects.get(organisation=tenant.organisation, kind=ListingKind.MENTORSHIP)


def map_data(body: str) -> dict[str, Any]:
    found = re.search(r'<script id="directory-map-data" type="application/json">(.*?)</script>', body, re.S)
    assert found, "no map data"
    return dict(json.loads(found.group(1)))


def assert_no_map(response: Any) -> None:
    body = response.content.decode()
    assert "data-map" not in body and "directory-map" not in body and "leaflet" not in body.lower()
    assert csp(response)["img-src"] == DEFAULT_IMG_SRC


# --- Off by default ----------------------------------------------------------------------------


def test_by_default_no_page_has_a_map(client: Client, harbor: Any) -> None:
    listing = mentors_listing(harbor)
    with scopes_disabled():
        make_schedule(make_group(harbor, "Tuesday Circle"))
    reindex()
    assert_no_map(client.get(f"/directory/listings/{listing.pk}/"))
    assert_no_map(client.get("/o/harbor/"))
    assert_no_map(client.get("/directory/", {"where": "62701"}))


# --- With a tile server --------------------------------------------------------------------------


def test_listing_page_offers_the_map_and_allows_only_that_origin(client: Client, harbor: Any) -> None:
    configure(harbor)
    listing = mentors_listing(harbor)
    response = client.get(f"/directory/listings/{listing.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    # Hidden until our script shows it; the visitor is told who will see their IP address.
    assert re.search(r'<section class="directory-map"[^>]*data-map hidden>', body)
    assert "Show map" in body
    assert "The map's images come from tiles.example.org, which will see your IP address." in body
    assert '<script src="/static/alongside/js/directory-map.js" defer></script>' in body
    # Leaflet and the tiles load only on the click: no Leaflet tag and no tile address in markup.
    assert '<script src="/static/alongside/vendor/leaflet' not in body
    assert '<link rel="stylesheet" href="/static/alongside/vendor/leaflet' not in body
    assert not re.search(r"<img[^>]+tiles\.example\.org", body)
    data = map_data(body)
    assert data["tiles"] == TILES and data["attribution"] == CREDIT and data["subdomains"] == "abc"
    assert data["markers"] == [
        {"lat": 39.7817, "lon": -89.6501, "links": [{"name": listing.name, "url": ""}], "title": listing.name}
    ]
    assert data["leafletJs"] == "/static/alongside/vendor/leaflet-1.9.4/leaflet.js"
    assert data["icon"] == "/static/alongside/vendor/leaflet-1.9.4/images/marker-icon.png"
    assert data["shadow"].endswith("/leaflet-1.9.4/images/marker-shadow.png")
    # No inline script: only the JSON block, JSON-LD and same-origin sources.
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/(ld\+)?json\"))[^>]*>", body)

    policy = csp(response)
    assert policy["img-src"] == [*DEFAULT_IMG_SRC, "https://tiles.example.org"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"] and policy["default-src"] == ["'self'"]


def test_the_vendored_leaflet_files_are_there(client: Client, db: Any) -> None:
    from django.contrib.staticfiles import finders

    for name in ("leaflet.js", "leaflet.css", "LICENSE", "images/marker-icon.png", "images/marker-icon-2x.png"):
        assert finders.find(f"alongside/vendor/leaflet-1.9.4/{name}"), name
    assert finders.find("alongside/js/directory-map.js")
    license_path = finders.find("alongside/vendor/leaflet-1.9.4/LICENSE")
    with open(str(license_path), encoding="utf-8") as handle:
        assert "BSD 2-Clause License" in handle.read()


def test_subdomain_templates_allow_the_three_hosts_leaflet_uses(client: Client, harbor: Any) -> None:
    configure(harbor, "https://{s}.tile.example.org/{z}/{x}/{y}.png")
    response = client.get(f"/directory/listings/{mentors_listing(harbor).pk}/")
    assert csp(response)["img-src"] == [
        *DEFAULT_IMG_SRC,
        "https://a.tile.example.org",
        "https://b.tile.example.org",
        "https://c.tile.example.org",
    ]
    assert "come from tile.example.org, which" in response.content.decode()


def test_other_organisations_pages_keep_no_map(client: Client, harbor: Any, riverbend: Any) -> None:
    configure(harbor)
    reindex()
    theirs = Listing.objects.get(organisation=riverbend.organisation, kind=ListingKind.MENTORSHIP)
    assert_no_map(client.get(f"/directory/listings/{theirs.pk}/"))
    assert_no_map(client.get("/o/riverbend/"))


def test_no_map_without_an_exact_public_point(client: Client, harbor: Any) -> None:
    configure(harbor)
    listing = mentors_listing(harbor)
    Listing.objects.filter(pk=listing.pk).update(approximate=True)
    assert_no_map(client.get(f"/directory/listings/{listing.pk}/"))
    Listing.objects.filter(pk=listing.pk).update(approximate=False, is_in_person=False, is_online=True)
    assert_no_map(client.get(f"/directory/listings/{listing.pk}/"))


def test_the_search_across_organisations_never_shows_a_map(client: Client, harbor: Any) -> None:
    configure(harbor)
    reindex()
    response = client.get("/directory/", {"where": "62701"})
    assert "Harbor Mentors" in response.content.decode()
    assert_no_map(response)


def test_organisation_page_maps_its_in_person_group_venues(
    client: Client, harbor: Any, django_assert_max_num_queries: Any
) -> None:
    configure(harbor)
    with scopes_disabled():
        for name in ("Tuesday Circle", "Thursday Circle"):
            make_schedule(make_group(harbor, name))
        make_schedule(make_group(harbor, "Online Circle", format="online", site=None))
    reindex()
    with django_assert_max_num_queries(5):  # the map adds none: it reuses the groups
        response = client.get("/o/harbor/")
    body = response.content.decode()
    assert "Show map" in body
    # Both groups meet at the same site: one pin listing both, each linked to its page.
    assert map_data(body)["markers"] == [
        {
            "lat": 39.7817,
            "lon": -89.6501,
            "links": [
                {"name": "Thursday Circle", "url": "/directory/groups/harbor/thursday-circle/"},
                {"name": "Tuesday Circle", "url": "/directory/groups/harbor/tuesday-circle/"},
            ],
            "title": "Thursday Circle, Tuesday Circle",
        }
    ]
    assert csp(response)["img-src"] == [*DEFAULT_IMG_SRC, "https://tiles.example.org"]


def test_organisation_page_without_in_person_groups_has_no_map(client: Client, harbor: Any) -> None:
    configure(harbor)
    with scopes_disabled():
        make_schedule(make_group(harbor, "Online Circle", format="online", site=None))
    reindex()
    assert_no_map(client.get("/o/harbor/"))


def test_names_and_credits_stay_data_not_markup(client: Client, harbor: Any) -> None:
    configure(harbor, credit='<img src=x onerror="alert(1)"> Maps')
    listing = mentors_listing(harbor)
    Listing.objects.filter(pk=listing.pk).update(name="Mentors </script><script>alert(1)</script>")
    body = client.get(f"/directory/listings/{listing.pk}/").content.decode()
    assert "<script>alert(1)" not in body and '<img src=x onerror="alert(1)">' not in body
    data = map_data(body)
    assert data["attribution"] == '<img src=x onerror="alert(1)"> Maps'  # escaped by directory-map.js
    assert data["markers"][0]["title"] == "Mentors </script><script>alert(1)</script>"


# --- Settings -----------------------------------------------------------------------------------


def test_admin_sets_a_tile_server_and_it_is_audited(harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    page = admin.get("/app/harbor/settings/").content.decode()
    assert "Map tile server" in page and "learns their IP address" in page and "Leave blank for no map" in page
    before = AuditEvent.objects.filter(action="organisation.update_settings").count()
    data = {**settings_form(harbor), "map_tile_url": f"  {TILES} ", "map_attribution": f" {CREDIT}\n"}
    assert admin.post("/app/harbor/settings/", data).status_code == 302
    org = Organisation.objects.get(pk=harbor.organisation.pk)
    assert (org.map_tile_url, org.map_attribution) == (TILES, CREDIT)
    assert AuditEvent.objects.filter(action="organisation.update_settings").count() == before + 1
    event = AuditEvent.objects.filter(action="organisation.update_settings").latest("id")
    assert str(event.object_id) == str(org.pk)
    # Blank again switches the map off.
    assert admin.post("/app/harbor/settings/", {**data, "map_tile_url": "", "map_attribution": ""}).status_code == 302
    assert Organisation.objects.get(pk=org.pk).map_tile_url == ""


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/{z}/{x}/{y}.png",
        "http://127.0.0.1/tiles/{z}/{x}/{y}.png",
        "https://{s}.tile.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org/static/tile.svg?z={z}&x={x}&y={y}",
    ],
)
def test_good_tile_addresses(url: str, harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    data = {**settings_form(harbor), "map_tile_url": url, "map_attribution": CREDIT}
    assert admin.post("/app/harbor/settings/", data).status_code == 302
    assert Organisation.objects.get(pk=harbor.organisation.pk).map_tile_url == url


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"map_tile_url": "https://tiles.example.org/{x}/{y}.png"}, "map_tile_url", "it has no {z}"),
        ({"map_tile_url": "https://tiles.example.org/{z}/{y}.png"}, "map_tile_url", "it has no {x}"),
        ({"map_tile_url": "https://tiles.example.org/{z}/{x}.png"}, "map_tile_url", "it has no {y}"),
        ({"map_tile_url": "http://tiles.example.org/{z}/{x}/{y}.png"}, "map_tile_url", "must start with https://"),
        ({"map_tile_url": "ftp://tiles.example.org/{z}/{x}/{y}.png"}, "map_tile_url", "must start with https://"),
        ({"map_tile_url": "javascript:{z}{x}{y}"}, "map_tile_url", "must start with https://"),
        ({"map_tile_url": "//tiles.example.org/{z}/{x}/{y}.png"}, "map_tile_url", "must start with https://"),
        ({"map_tile_url": "/tiles/{z}/{x}/{y}.png"}, "map_tile_url", "Enter a full address"),
        (
            {"map_tile_url": "https://me:secret@tiles.example.org/{z}/{x}/{y}.png"},
            "map_tile_url",
            "Remove the user name and password",
        ),
        (
            {"map_tile_url": "https://me@tiles.example.org/{z}/{x}/{y}.png"},
            "map_tile_url",
            "Remove the user name and password",
        ),
        ({"map_tile_url": "https://tiles.example.org/{z}/{x}/{y}{r}.png"}, "map_tile_url", "found {r}"),
        ({"map_tile_url": "https://tiles.example.org/{z}/{x}/{y} .png"}, "map_tile_url", "cannot contain spaces"),
        ({"map_tile_url": "https://tiles.example.org:port/{z}/{x}/{y}"}, "map_tile_url", "port in the address"),
        ({"map_tile_url": "https://{z}.example.org/{z}/{x}/{y}"}, "map_tile_url", "Enter a full address"),
        ({"map_tile_url": "https://tiles.example.org/{z}/{x}/{y}/{"}, "map_tile_url", "Use only {z}, {x}, {y}"),
        (
            {"map_tile_url": "https://tiles.example.org/" + "a" * 290 + "/{z}/{x}/{y}"},
            "map_tile_url",
            "at most 300 characters",
        ),
        ({"map_attribution": ""}, "map_attribution", "Say whose map it is"),
        ({"map_attribution": "   "}, "map_attribution", "Say whose map it is"),
        ({"map_attribution": "x" * 201}, "map_attribution", "at most 200 characters"),
    ],
)
def test_tile_settings_bad_input(change: dict[str, str], field: str, message: str, harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    before_events = AuditEvent.objects.filter(action="organisation.update_settings").count()
    data = {**settings_form(harbor), "map_tile_url": TILES, "map_attribution": CREDIT, **change}
    response = admin.post("/app/harbor/settings/", data)
    body = response.content.decode()
    assert response.status_code == 400
    error = re.search(rf'<p class="error" id="id_{field}_error">(.*?)</p>', body, re.S)
    assert error and message in error.group(1).replace("&#x27;", "'"), body[-3000:]
    org = Organisation.objects.get(pk=harbor.organisation.pk)
    assert (org.map_tile_url, org.map_attribution, org.description) == ("", "", "")
    assert AuditEvent.objects.filter(action="organisation.update_settings").count() == before_events


def test_the_service_refuses_the_same_bad_input(harbor: Any) -> None:
    admin = harbor.user("admin")
    with pytest.raises(ValidationError) as caught:
        services.organisation_update_settings(
            acting_user=admin, organisation=harbor.organisation, map_tile_url="http://tiles.example.org/{z}/{x}/{y}"
        )
    assert "map_tile_url" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.organisation_update_settings(acting_user=admin, organisation=harbor.organisation, map_tile_url=TILES)
    assert caught.value.message_dict == {
        "map_attribution": ["Say whose map it is: the tile server's terms ask for this credit."]
    }
    assert Organisation.objects.get(pk=harbor.organisation.pk).map_tile_url == ""


# --- The helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "origins", "label"),
    [
        (TILES, ["https://tiles.example.org"], "tiles.example.org"),
        (
            "https://Tiles.Example.org:8443/{z}/{x}/{y}.png",
            ["https://tiles.example.org:8443"],
            "tiles.example.org:8443",
        ),
        ("http://localhost:8000/t?z={z}&x={x}&y={y}", ["http://localhost:8000"], "localhost:8000"),
        (
            "https://tile-{s}.example.org/{z}/{x}/{y}.png",
            ["https://tile-a.example.org", "https://tile-b.example.org", "https://tile-c.example.org"],
            "tile-a.example.org, tile-b.example.org, tile-c.example.org",
        ),
        ("https://tiles.example.org/{s}/{z}/{x}/{y}.png", ["https://tiles.example.org"], "tiles.example.org"),
    ],
)
def test_tile_origins(template: str, origins: list[str], label: str) -> None:
    validate_tile_url(template)
    assert tile_origins(template) == origins
    assert tile_host_label(template) == label
