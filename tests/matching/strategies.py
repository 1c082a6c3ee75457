"""Hypothesis strategies for small random matching instances (no database)."""

from __future__ import annotations

from hypothesis import strategies as st

from alongside.matching.scoring import SLOTS, PeerInput, RequestInput

EXPERIENCES = [f"term-{i}" for i in range(6)]
LANGUAGES = ["en", "es", "vi"]
SPECIALTIES = ["youth", "family", "lgbtq", "recovery"]
MODALITIES = ["in_person", "phone", "video", "text"]
GENDERS = ["woman", "man", "non_binary"]
FEW_SLOTS = list(SLOTS[:6]) + ["tue_evening", "sat_morning"]


def subsets(items: list[str], max_size: int | None = None) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(items), max_size=max_size or len(items))


def coordinate(low: float, high: float) -> st.SearchStrategy[float | None]:
    # Two decimals, as stored; sometimes missing.
    return st.one_of(st.none(), st.integers(int(low * 100), int(high * 100)).map(lambda v: v / 100))


@st.composite
def peer(draw: st.DrawFn, key: str) -> PeerInput:
    limit = draw(st.integers(0, 5))
    return PeerInput(
        key=key,
        experiences=draw(subsets(EXPERIENCES, 4)),
        languages=draw(subsets(LANGUAGES, 2)),
        specialties=draw(subsets(SPECIALTIES, 2)),
        modalities=draw(subsets(MODALITIES)),
        availability=draw(subsets(FEW_SLOTS, 4)),
        gender=draw(st.sampled_from([*GENDERS, ""])),
        latitude=draw(coordinate(39.6, 39.9)),
        longitude=draw(coordinate(-89.8, -89.5)),
        travel_km=draw(st.one_of(st.none(), st.integers(1, 30).map(float))),
        capacity=draw(st.integers(0, limit)),
        limit=limit,
        active=draw(st.booleans()),
        stretched=draw(st.booleans()),
    )


@st.composite
def request(draw: st.DrawFn, key: str, peer_keys: list[str]) -> RequestInput:
    others = st.frozensets(st.sampled_from(peer_keys), max_size=2) if peer_keys else st.just(frozenset())
    previous = draw(others)
    return RequestInput(
        key=key,
        experiences=draw(subsets(EXPERIENCES, 3)),
        languages=draw(subsets(LANGUAGES, 2)),
        required_specialties=draw(subsets(["youth", "family"], 1)),
        wanted_specialties=draw(subsets(SPECIALTIES, 2)),
        gender_preference=draw(subsets(GENDERS, 2)),
        gender_required=draw(st.booleans()),
        modalities=draw(subsets(MODALITIES)),
        availability=draw(subsets(FEW_SLOTS, 4)),
        latitude=draw(coordinate(39.6, 39.9)),
        longitude=draw(coordinate(-89.8, -89.5)),
        travel_km=draw(st.one_of(st.none(), st.integers(1, 30).map(float))),
        waiting_days=float(draw(st.integers(0, 400))),
        previous_peers=previous,
        excluded_peers=draw(others) - previous,
    )


@st.composite
def instance(draw: st.DrawFn, max_people: int = 8, max_peers: int = 5) -> tuple[list[RequestInput], list[PeerInput]]:
    m = draw(st.integers(0, max_peers))
    peers = [draw(peer(f"peer-{j}")) for j in range(m)]
    n = draw(st.integers(0, max_people))
    keys = [p.key for p in peers]
    requests = [draw(request(f"request-{i}", keys)) for i in range(n)]
    return requests, peers
