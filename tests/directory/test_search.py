"""Near-me search: the grid narrows, the distance decides; always the brute-force answer."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from alongside.directory.models import CELL_COLUMNS, Listing, ListingKind, cell_of
from alongside.directory.search import (
    KM_PER_MILE,
    RADII_MILES,
    Filters,
    brute_force_ids,
    cells_near,
    is_open,
    nearby_ids,
    search,
)
from alongside.matching.scoring import haversine_km

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York


def listing(lat: float | None, lon: float | None, **fields: Any) -> Listing:
    defaults: dict[str, Any] = {
        "kind": ListingKind.GROUP,
        "name": fields.pop("name", f"Listing {uuid.uuid4().hex[:6]}"),
        "slug": "x",
        "source": "test",
        "external_slug": uuid.uuid4().hex,
        "latitude": lat,
        "longitude": lon,
        "cell": cell_of(lat, lon) if lat is not None and lon is not None else None,
        "is_in_person": lat is not None,
        "is_online": lat is None,
        "languages": ["en"],
        "updated_at": NOW,
        "timezone": "America/New_York",
    }
    defaults.update(fields)
    item = Listing(**defaults)
    item.fill_search_columns()
    return item


def make(*items: Listing) -> list[Listing]:
    return Listing.objects.bulk_create(items)


# --- The grid ---------------------------------------------------------------------------------


def _covered(lat: float, lon: float, radius_km: float, rng: random.Random) -> None:
    """Every point within the radius lies in a cell of the cover."""
    cover = cells_near(lat, lon, radius_km)
    cells = set(cover.cells())
    for _ in range(300):
        # A random point at a random distance and bearing (spherical destination formula).
        distance = rng.uniform(0, radius_km) / 6371.0088
        bearing = rng.uniform(0, 2 * math.pi)
        p1, l1 = math.radians(lat), math.radians(lon)
        p2 = math.asin(math.sin(p1) * math.cos(distance) + math.cos(p1) * math.sin(distance) * math.cos(bearing))
        l2 = l1 + math.atan2(
            math.sin(bearing) * math.sin(distance) * math.cos(p1), math.cos(distance) - math.sin(p1) * math.sin(p2)
        )
        plat, plon = math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180
        assert cell_of(plat, plon) in cells, (lat, lon, radius_km, plat, plon)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(43.66, -70.26), (0.0, 0.0), (64.8, -147.7), (-51.7, -57.9), (51.9, 179.9), (-17.7, -179.95), (89.9, 10.0)],
)
@pytest.mark.parametrize("miles", RADII_MILES)
def test_the_cover_holds_every_point_in_the_radius(lat: float, lon: float, miles: int) -> None:
    _covered(lat, lon, miles * KM_PER_MILE, random.Random(f"{lat},{lon},{miles}"))


def test_the_cover_wraps_the_antimeridian_and_widens_at_the_poles() -> None:
    east = cells_near(51.9, 179.9, 25 * KM_PER_MILE)
    assert east.columns is not None and 0 in east.columns and CELL_COLUMNS - 1 in east.columns
    assert len(east.columns) < 20
    polar = cells_near(89.9, 10.0, 25 * KM_PER_MILE)
    assert polar.columns is None and polar.row_hi == 719  # every longitude near the pole
    near = cells_near(43.66, -70.26, 25 * KM_PER_MILE)
    assert near.columns is not None and near.size() < 60
    assert "cell__in" in str(near.q())


# --- The answer equals brute force ------------------------------------------------------------


@pytest.mark.django_db
def test_search_equals_a_brute_force_scan_on_random_data() -> None:
    rng = random.Random(5)
    centre = (44.0, -70.0)
    items = []
    for index in range(600):
        lat = centre[0] + rng.uniform(-2.5, 2.5)
        lon = centre[1] + rng.uniform(-3.5, 3.5)
        items.append(
            listing(
                round(lat, 4),
                round(lon, 4),
                name=f"L{index}",
                kind=rng.choice([ListingKind.GROUP, ListingKind.MENTORSHIP]),
                days_mask=rng.randrange(128),
                times_mask=rng.randrange(8),
                topics=rng.sample(["anxiety", "grief", "trauma", "depression"], rng.randrange(3)),
                accessibility=rng.sample(["wheelchair", "asl", "parking"], rng.randrange(3)),
                languages=rng.sample(["en", "es", "vi"], 1 + rng.randrange(2)),
                audience=rng.choice(["adults", "youth"]),
            )
        )
    make(*items)
    filter_sets = [
        Filters(),
        Filters(kinds=(ListingKind.GROUP,), days=1 << 2),
        Filters(topics=("grief", "trauma"), language="es"),
        Filters(accessibility=("wheelchair", "asl"), times=4, audience="youth"),
    ]
    for trial in range(12):
        lat, lon = centre[0] + rng.uniform(-2, 2), centre[1] + rng.uniform(-2, 2)
        miles = rng.choice(RADII_MILES)
        filters = filter_sets[trial % len(filter_sets)]
        got = nearby_ids(lat, lon, miles * KM_PER_MILE, filters, now=NOW)
        expected = brute_force_ids(lat, lon, miles * KM_PER_MILE, filters, now=NOW)
        assert [pk for pk, _d in got] == [pk for pk, _d in expected]
        assert [d for _pk, d in got] == sorted(d for _pk, d in got)


@pytest.mark.django_db
def test_radius_edges() -> None:
    here = (43.66, -70.26)
    # Points due north at 24.9 and 25.1 miles.
    inside = listing(here[0] + (24.9 * KM_PER_MILE) / 111.195, here[1], name="Inside")
    outside = listing(here[0] + (25.1 * KM_PER_MILE) / 111.195, here[1], name="Outside")
    same_spot = listing(*here, name="Here")
    make(inside, outside, same_spot)
    results = search(*here, radius_miles=25, now=NOW)
    assert [hit.listing.name for hit in results.hits] == ["Here", "Inside"]
    assert results.hits[0].distance_km == 0.0
    assert results.hits[1].distance_miles == pytest.approx(24.9, abs=0.05)
    assert search(*here, radius_miles=1, now=NOW).count == 1


@pytest.mark.django_db
def test_filters_and_the_online_section() -> None:
    here = (43.66, -70.26)
    make(
        listing(*here, name="Tuesday evening group", days_mask=1 << 2, times_mask=4, topics=["grief"]),
        listing(*here, name="Saturday morning group", days_mask=1 << 6, times_mask=1, accessibility=["wheelchair"]),
        listing(*here, name="Mentors here", kind=ListingKind.MENTORSHIP, languages=["es"]),
        listing(None, None, name="Online group", format="online", languages=["es"]),
        listing(
            None,
            None,
            name="Warm line open now",
            kind=ListingKind.WARMLINE,
            weekly=[{"day": 2, "time": "09:00", "end_time": "17:00"}],
        ),
        listing(
            None,
            None,
            name="Warm line closed now",
            kind=ListingKind.WARMLINE,
            weekly=[{"day": 2, "time": "18:00", "end_time": "22:00"}],
        ),
        listing(None, None, name="Far zone line", kind=ListingKind.WARMLINE, timezone="America/Los_Angeles"),
    )

    def names(**kwargs: Any) -> list[str]:
        return sorted(hit.listing.name for hit in search(*here, filters=Filters(**kwargs), now=NOW).hits)

    def online_names(**kwargs: Any) -> list[str]:
        results = search(*here, filters=Filters(**kwargs), timezone="America/New_York", now=NOW)
        return [hit.listing.name for hit in results.online]

    assert names() == ["Mentors here", "Saturday morning group", "Tuesday evening group"]
    assert names(kinds=(ListingKind.MENTORSHIP,)) == ["Mentors here"]
    assert names(days=1 << 2) == ["Tuesday evening group"]
    assert names(times=1) == ["Saturday morning group"]
    assert names(topics=("grief",)) == ["Tuesday evening group"]
    assert names(accessibility=("wheelchair",)) == ["Saturday morning group"]
    assert names(language="es") == ["Mentors here"]
    assert online_names(open_now=True) == ["Warm line open now"]
    assert online_names(language="es") == ["Online group"]
    # Same time zone first, then by name; never mixed into the distance list.
    assert online_names()[-1] == "Far zone line"
    assert "Online group" not in names()


def test_opening_hours() -> None:
    hours = [{"day": 2, "time": "09:00", "end_time": "17:00"}, {"day": 5, "time": "22:00", "end_time": "02:00"}]
    assert is_open(hours, "America/New_York", NOW)  # Tuesday 10:00
    assert not is_open(hours, "America/Los_Angeles", NOW)  # Tuesday 07:00
    assert is_open(hours, "UTC", datetime(2026, 3, 7, 1, 0, tzinfo=UTC))  # Saturday 01:00, Friday's night shift
    assert not is_open(hours, "Nowhere/Zone", NOW)
    assert not is_open([{"day": "x", "time": "nine"}], "UTC", NOW)
    assert not is_open([], "UTC", NOW)


@pytest.mark.django_db
def test_pages_and_bad_input() -> None:
    here = (43.66, -70.26)
    make(*[listing(here[0] + i * 0.001, here[1], name=f"L{i:02d}") for i in range(45)])
    first = search(*here, now=NOW)
    assert (first.count, first.pages, len(first.hits)) == (45, 3, 20)
    last = search(*here, page=10**9, now=NOW)  # a huge page number: the last page
    assert (last.page, [hit.listing.name for hit in last.hits]) == (3, ["L40", "L41", "L42", "L43", "L44"])
    assert search(*here, page=-4, now=NOW).page == 1
    with pytest.raises(ValueError, match="radius"):
        search(*here, radius_miles=30)
    with pytest.raises(ValueError, match="coordinates"):
        search(91.0, 0.0)
    with pytest.raises(ValueError, match="coordinates"):
        search(0.0, -180.5)


@pytest.mark.django_db
def test_query_count_is_the_same_on_every_page(django_assert_num_queries: Any) -> None:
    here = (43.66, -70.26)
    make(*[listing(here[0], here[1] + i * 0.001) for i in range(50)], *[listing(None, None) for _ in range(25)])
    for page in (1, 2, 3):
        with django_assert_num_queries(4):  # nearby ids, the page's rows, the online section, its count
            results = search(*here, page=page, now=NOW)
        assert (results.page, results.online_count, len(results.online)) == (page, 25, 20)


def test_haversine_is_what_the_search_measures() -> None:
    assert float(haversine_km(0, 0, 0, 1)) == pytest.approx(111.19, abs=0.01)
