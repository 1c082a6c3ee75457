"""Offline geocoding: ZIP codes and city names from bundled tables, never the network."""

from __future__ import annotations

import socket

import pytest

from alongside.directory.geocode import GeocodeError, geocode, point_from_zip


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("geocoding must not use the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize(
    ("query", "label", "lat", "lon"),
    [
        ("Portland, ME", "Portland, Maine", 43.66, -70.26),
        ("Portland ME", "Portland, Maine", 43.66, -70.26),
        ("portland, maine", "Portland, Maine", 43.66, -70.26),
        ("Portland", "Portland, Oregon", 45.52, -122.68),  # the most populous Portland
        ("Springfield, IL", "Springfield, Illinois", 39.80, -89.64),
        ("Boston", "Boston, Massachusetts", 42.36, -71.06),
        ("New York", "New York City, New York", 40.71, -74.01),
        ("Kansas City, KS", "Kansas City, Kansas", 39.11, -94.63),
    ],
)
def test_cities(query: str, label: str, lat: float, lon: float) -> None:
    place = geocode(query)
    assert place.kind == "city"
    assert place.label == label
    assert place.latitude == pytest.approx(lat, abs=0.02)
    assert place.longitude == pytest.approx(lon, abs=0.02)


def test_zip_codes() -> None:
    place = geocode(" 04101-1234 ")
    assert (place.kind, place.label) == ("zip", "ZIP code 04101")
    assert place.latitude == pytest.approx(43.66, abs=0.02)
    assert point_from_zip("04101") == (place.latitude, place.longitude)
    assert point_from_zip("nope") is None


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "Enter a ZIP code"),
        ("   ", "Enter a ZIP code"),
        ("1234", "five digits"),
        ("123456", "five digits"),
        ("00000", "could not find the ZIP code 00000"),
        ("Xyzzyville", "could not find a place called"),
        ("Portland, ZZ", "could not find a place called"),
        ("x" * 101, "too long"),
    ],
)
def test_queries_it_cannot_place_say_so(query: str, words: str) -> None:
    with pytest.raises(GeocodeError, match=words):
        geocode(query)
