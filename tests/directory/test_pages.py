"""The public Find support pages: search by ZIP, city or location, bad input, listing pages."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alongside.core.tenancy import tenant_scope
from alongside.directory.models import Listing, ListingKind, cell_of
from alongside.directory.sync import reindex
from tests.groups.helpers import groups_program, make_group, make_schedule


@pytest.fixture
def listed(harbor: Any) -> Any:
    """A group at the tenant's Springfield, IL site, a warm line, and the tenant's mentorship program."""
    with tenant_scope(harbor.organisation):
        group = make_group(harbor, "Tuesday Circle", description="A calm circle.")
        make_schedule(group)
        groups_program(harbor, "Evening Warm Line", offers_groups=False, offers_warmline=True, sites=[])
    reindex()
    return harbor


def test_the_page_without_a_search(client: Client, db: Any) -> None:
    response = client.get("/directory/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Find peer support" in body and "This is not a crisis service" in body
    assert "<legend>Where</legend>" in body and "Use my location" in body
    assert re.search(r"<p class=\"directory-locate\" data-locate hidden>", body)  # shown only by the script
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/ld\+json\"))[^>]*>", body)  # no inline script


def test_search_by_zip_finds_the_group_and_online_support(client: Client, listed: Any) -> None:
    response = client.get("/directory/", {"where": "62701", "radius": "10"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Showing results near ZIP code 62701" in body
    assert 'href="/directory/groups/harbor/tuesday-circle/"' in body
    assert "miles (" in body and "km)" in body
    assert "Next session" in body
    assert "Online and by phone" in body and "Evening Warm Line" in body
    assert "no-store" in response["Cache-Control"]


def test_search_by_city_says_which_place_it_chose(client: Client, listed: Any) -> None:
    body = client.get("/directory/", {"where": "Springfield, IL"}).content.decode()
    assert "Showing results near Springfield, Illinois" in body
    assert "Tuesday Circle" in body


def test_search_by_location_and_filters(client: Client, listed: Any) -> None:
    near = {"lat": "39.78", "lon": "-89.65", "radius": "5"}
    assert "Tuesday Circle" in client.get("/directory/", near).content.decode()
    only_lines = client.get("/directory/", {**near, "kind": ListingKind.WARMLINE}).content.decode()
    assert "Tuesday Circle" not in only_lines and "Evening Warm Line" in only_lines
    wednesday = client.get("/directory/", {**near, "day": "3"}).content.decode()
    assert "Tuesday Circle" not in wednesday
    assert "Tuesday Circle" in client.get("/directory/", {**near, "day": "2", "time": "4"}).content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"where": "00000"}, "could not find the ZIP code 00000"),
        ({"where": "1234"}, "five digits"),
        ({"where": "Xyzzyville"}, "could not find a place called"),
        ({"lat": "95", "lon": "0"}, "Your location could not be used"),
        ({"lat": "nan", "lon": "0"}, "Your location could not be used"),
        ({"where": "62701", "radius": "30"}, "Select a valid choice"),
        ({"where": "62701", "kind": "bogus"}, "Select a valid choice"),
        ({"where": "62701", "day": "9"}, "Select a valid choice"),
        ({"radius": "5"}, "Enter a ZIP code or a town or city"),
    ],
)
def test_bad_input_is_explained(client: Client, db: Any, params: dict[str, str], message: str) -> None:
    response = client.get("/directory/", params)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please check the following" in body and message in body


def test_a_huge_page_number_shows_the_last_page(client: Client, listed: Any) -> None:
    response = client.get("/directory/", {"where": "62701", "page": "99999999999"})
    assert response.status_code == 200
    assert "Tuesday Circle" in response.content.decode()


def test_query_count_is_constant_per_page(client: Client, listed: Any) -> None:
    for i in range(45):
        Listing.objects.create(
            kind=ListingKind.MEETING,
            source="test",
            external_slug=f"m{i}",
            name=f"Meeting {i:02d}",
            slug=f"m{i}",
            url="https://meetings.example/m",
            latitude=39.78 + i * 0.001,
            longitude=-89.65,
            cell=cell_of(39.78 + i * 0.001, -89.65),
            is_in_person=True,
            updated_at=timezone.now(),
        )
    counts = []
    for page in ("1", "2", "3"):
        with CaptureQueriesContext(connection) as context:
            response = client.get("/directory/", {"where": "62701", "page": page})
        assert response.status_code == 200 and f"Page {page} of 3" in response.content.decode()
        counts.append(len(context))
    assert counts[0] == counts[1] == counts[2]


def test_a_warm_line_page_has_json_ld(client: Client, listed: Any) -> None:
    line = Listing.objects.get(kind=ListingKind.WARMLINE)
    response = client.get(f"/directory/listings/{line.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["@type"] == "Service" and data["name"] == "Evening Warm Line"
    assert data["provider"]["name"] == listed.organisation.name
    assert "This is not a crisis service" in body


def test_a_mentorship_page_has_its_place(client: Client, listed: Any) -> None:
    mentors = Listing.objects.get(kind=ListingKind.MENTORSHIP)
    body = client.get(f"/directory/listings/{mentors.pk}/").content.decode()
    data = json.loads(re.search(r'ld\+json">(.*?)</script>', body, re.S).group(1))  # type: ignore[union-attr]
    assert data["availableChannel"]["serviceLocation"]["address"]["postalCode"] == "62701"


def test_a_group_listing_goes_to_the_group_page_and_unknown_ones_404(client: Client, listed: Any) -> None:
    group = Listing.objects.get(kind=ListingKind.GROUP)
    response = client.get(f"/directory/listings/{group.pk}/")
    assert response.status_code == 302 and response["Location"] == "/directory/groups/harbor/tuesday-circle/"
    assert client.get(f"/directory/listings/{uuid.uuid4()}/").status_code == 404


def test_json_ld_cannot_close_its_script(client: Client, listed: Any) -> None:
    line = Listing.objects.get(kind=ListingKind.WARMLINE)
    line.description = "</script><script>alert(1)</script>"
    line.save()
    body = client.get(f"/directory/listings/{line.pk}/").content.decode()
    assert "</script><script>alert(1)" not in body
