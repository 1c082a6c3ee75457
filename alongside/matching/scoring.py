"""Match scoring: hard rules, weighted soft points and plain-words reasons.

Pure functions over plain dataclasses, no database: the services and selectors build the inputs,
the batch assignment, the benchmark and the property tests use them directly.

Everything is computed for all pairs at once with NumPy. Each kind of item (lived experience,
language, specialty, way of meeting, gender, time slot) becomes a 0/1 matrix over the *peers'*
vocabulary, so "how many do they share" is one matrix product; distances are a haversine over
arrays. A request's item that no peer offers simply never matches (it still counts in the
request's own totals, so "share 1 of 3" stays 1 of 3).

The reasons say only what **both** sides chose to share (their lived experience for matching,
languages, free times, ways of meeting, the specialties the person asked for, the gender the
person asked for and the peer chose to share, having worked together before). The peer's load
and any wellbeing signal change the score but are never explained.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext as _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIMES = ("morning", "afternoon", "evening")
SLOTS: tuple[str, ...] = tuple(f"{day}_{time}" for day in DAYS for time in TIMES)
SLOT_INDEX = {slot: i for i, slot in enumerate(SLOTS)}
IN_PERSON = "in_person"
YOUTH = "youth"
FAMILY = "family"
MINOR_AGE_BANDS = frozenset({"under_13", "13_17"})
EARTH_RADIUS_KM = 6371.0088
# A few shared free times are enough to meet: full availability points at this many (or at all
# of the person's times, if they gave fewer).
ENOUGH_SHARED_SLOTS = 3
# Scores are kept in hundredths of a point as integers for the solver (exact comparisons).
SCALE = 100

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Weights:
    """Points per component (``MatchWeights`` holds an organisation's own)."""

    base: float = 10
    shared_experience: float = 40
    specialty: float = 10
    gender: float = 10
    availability: float = 20
    distance: float = 10
    load: float = 10
    wellbeing_stretched: float = 15
    continuity: float = 15
    waiting_per_day: float = 0.5
    waiting_days_cap: int = 180

    def priority(self, waiting_days: float) -> float:
        return self.waiting_per_day * min(max(waiting_days, 0.0), float(self.waiting_days_cap))


@dataclass(frozen=True)
class PeerInput:
    """What a peer supporter chose to share for matching, and their room for someone new."""

    key: str
    experiences: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    specialties: frozenset[str] = frozenset()
    modalities: frozenset[str] = frozenset()
    availability: frozenset[str] = frozenset()  # slots such as "tue_evening"
    gender: str = ""  # "" when not shared
    latitude: float | None = None
    longitude: float | None = None
    travel_km: float | None = None
    capacity: int = 0  # remaining: limit − current caseload − open proposals
    limit: int = 0  # the peer's caseload limit
    active: bool = True
    # An optional wellbeing signal the peer chose to share (the workforce issue). Lowers the
    # score; never explained, never shown to the person.
    stretched: bool = False


@dataclass(frozen=True)
class RequestInput:
    """One person's request, as the scoring sees it."""

    key: str
    experiences: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    required_specialties: frozenset[str] = frozenset()
    wanted_specialties: frozenset[str] = frozenset()
    gender_preference: frozenset[str] = frozenset()
    gender_required: bool = False
    modalities: frozenset[str] = frozenset()  # empty: any way of meeting
    availability: frozenset[str] = frozenset()
    latitude: float | None = None
    longitude: float | None = None
    travel_km: float | None = None
    waiting_days: float = 0.0
    previous_peers: frozenset[str] = frozenset()  # continuity
    excluded_peers: frozenset[str] = frozenset()  # declined, or the person asked for someone else


@dataclass(frozen=True)
class Reason:
    """One plain-words reason, as data: its kind and the shared items (identifiers, not text)."""

    kind: str  # experience | language | availability | modality | specialty | gender | continuity
    items: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "items": list(self.items)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(kind=str(data["kind"]), items=tuple(str(i) for i in data.get("items", ())))


# --- Small helpers -------------------------------------------------------------------------------


def availability_slots(availability: Mapping[str, Iterable[str]] | None) -> frozenset[str]:
    """{"tue": ["evening"]} → {"tue_evening"}; unknown days or times are ignored."""
    if not availability:
        return frozenset()
    return frozenset(
        f"{day}_{time}" for day, times in availability.items() for time in times if f"{day}_{time}" in SLOT_INDEX
    )


def required_specialties(
    *, serves_adults: bool, serves_youth: bool, serves_families: bool, age_band: str = ""
) -> frozenset[str]:
    """Youth-trained peers for youth programs and for minors; family peer specialists for
    family-only programs."""
    required = set()
    if (serves_youth and not serves_adults) or age_band in MINOR_AGE_BANDS:
        required.add(YOUTH)
    if serves_families and not serves_adults and not serves_youth:
        required.add(FAMILY)
    return frozenset(required)


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km; works on floats and on broadcasting arrays (NaN → NaN)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _f(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _in_reach(request: RequestInput, peer: PeerInput) -> bool:
    """Both can meet in person: both offer it, and they live within both travel limits."""
    if IN_PERSON not in peer.modalities or (request.modalities and IN_PERSON not in request.modalities):
        return False
    distance = float(haversine_km(_f(request.latitude), _f(request.longitude), _f(peer.latitude), _f(peer.longitude)))
    limit = min(_f(request.travel_km), _f(peer.travel_km))
    return bool(distance <= limit)


def hard_rule_failures(request: RequestInput, peer: PeerInput) -> list[str]:
    """Which hard rules this pair breaks (empty: a suitable pair). The same rules as ``score``,
    one pair at a time, so a service can say exactly why a proposal is refused."""
    failures = []
    if not peer.active:
        failures.append("inactive")
    if peer.capacity <= 0:
        failures.append("full")
    if peer.key in request.excluded_peers:
        failures.append("excluded")
    if request.languages and not request.languages & peer.languages:
        failures.append("language")
    if not request.required_specialties <= peer.specialties:
        failures.append("specialty")
    if request.gender_required and request.gender_preference and peer.gender not in request.gender_preference:
        failures.append("gender")
    peer_remote = {mm for mm in peer.modalities if mm != IN_PERSON}
    remote = peer_remote & request.modalities if request.modalities else peer_remote
    if not remote and not _in_reach(request, peer):
        failures.append("meeting")
    return failures


# --- Encoding ------------------------------------------------------------------------------------


def _onehot(rows: Sequence[Collection[str]], index: Mapping[str, int], width: int) -> npt.NDArray[np.float32]:
    """rows × width 0/1 matrix; items missing from ``index`` are left out. Comprehensions, not
    loops with appends: encoding 2,000 peers is most of a suggestion's time."""
    out = np.zeros((len(rows), width), dtype=np.float32)
    cols = np.fromiter(map(index.get, chain.from_iterable(rows), repeat(-1)), dtype=np.intp)
    owners = np.repeat(np.arange(len(rows)), [len(items) for items in rows])
    keep = cols >= 0
    out[owners[keep], cols[keep]] = 1.0
    return out


def _vocab(rows: Iterable[Iterable[str]]) -> dict[str, int]:
    return {item: i for i, item in enumerate(dict.fromkeys(chain.from_iterable(rows)))}


@dataclass
class PeerArrays:
    """The peers, encoded once (reuse it to score many requests)."""

    peers: Sequence[PeerInput]
    key_index: dict[str, int]
    vocab: dict[str, dict[str, int]]
    experiences: npt.NDArray[np.float32]
    languages: npt.NDArray[np.float32]
    specialties: npt.NDArray[np.float32]
    remote: npt.NDArray[np.float32]  # ways of meeting other than in person
    genders: npt.NDArray[np.float32]
    availability: npt.NDArray[np.float32]
    in_person: BoolArray
    latitude: FloatArray
    longitude: FloatArray
    travel_km: FloatArray
    capacity: IntArray
    open_: BoolArray  # active and with room
    load_points: FloatArray  # share of the caseload still free, 0..1
    stretched: BoolArray

    def __len__(self) -> int:
        return len(self.peers)


def encode_peers(peers: Sequence[PeerInput]) -> PeerArrays:
    vocab = {
        "experiences": _vocab(p.experiences for p in peers),
        "languages": _vocab(p.languages for p in peers),
        "specialties": _vocab(p.specialties for p in peers),
        "remote": _vocab((m for m in p.modalities if m != IN_PERSON) for p in peers),
        "genders": _vocab((p.gender,) for p in peers if p.gender),
    }

    def enc(name: str, rows: Sequence[Collection[str]]) -> npt.NDArray[np.float32]:
        return _onehot(rows, vocab[name], max(1, len(vocab[name])))

    capacity = np.array([max(0, p.capacity) for p in peers], dtype=np.int64)
    limit = np.array([max(0, p.limit) for p in peers], dtype=np.float64)
    return PeerArrays(
        peers=peers,
        key_index={p.key: j for j, p in enumerate(peers)},
        vocab=vocab,
        experiences=enc("experiences", [p.experiences for p in peers]),
        languages=enc("languages", [p.languages for p in peers]),
        specialties=enc("specialties", [p.specialties for p in peers]),
        remote=enc("remote", [[m for m in p.modalities if m != IN_PERSON] for p in peers]),
        genders=enc("genders", [(p.gender,) if p.gender else () for p in peers]),
        availability=_onehot([p.availability for p in peers], SLOT_INDEX, len(SLOTS)),
        in_person=np.array([IN_PERSON in p.modalities for p in peers], dtype=bool),
        latitude=np.array([_f(p.latitude) for p in peers], dtype=np.float64),
        longitude=np.array([_f(p.longitude) for p in peers], dtype=np.float64),
        travel_km=np.array([_f(p.travel_km) for p in peers], dtype=np.float64),
        capacity=capacity,
        open_=np.array([p.active for p in peers], dtype=bool) & (capacity > 0),
        load_points=np.divide(
            np.minimum(capacity, limit), limit, out=np.zeros(len(peers), dtype=np.float64), where=limit > 0
        ),
        stretched=np.array([p.stretched for p in peers], dtype=bool),
    )


@dataclass
class Scores:
    """All pairs at once: ``feasible`` (every hard rule holds) and ``points`` (soft score)."""

    feasible: BoolArray  # n × m
    points: FloatArray  # n × m, meaningful where feasible
    priority: FloatArray  # n: waiting priority, added in the batch objective

    def values(self) -> IntArray:
        """Score plus waiting priority, in hundredths of a point (the batch objective)."""
        total = self.points + self.priority[:, None]
        return np.rint(total * SCALE).astype(np.int64)


def _counts(rows: Sequence[frozenset[str]]) -> FloatArray:
    return np.array([len(r) for r in rows], dtype=np.float64)


def score(requests: Sequence[RequestInput], peers: PeerArrays, weights: Weights) -> Scores:
    """Feasibility and points for every request × peer pair."""
    n, m = len(requests), len(peers)
    v = peers.vocab
    if n == 0 or m == 0:
        return Scores(
            np.zeros((n, m), bool), np.zeros((n, m)), np.array([weights.priority(r.waiting_days) for r in requests])
        )

    def enc(name: str, rows: Sequence[Collection[str]]) -> npt.NDArray[np.float32]:
        return _onehot(rows, v[name], max(1, len(v[name])))

    # Languages: at least one in common (a request without languages accepts any).
    lang_n = _counts([r.languages for r in requests])
    lang_ok = (enc("languages", [r.languages for r in requests]) @ peers.languages.T) > 0
    lang_ok |= (lang_n == 0)[:, None]

    # Required specialties (youth, family): the peer has all of them.
    req_spec = [r.required_specialties for r in requests]
    spec_req_ok = (enc("specialties", req_spec) @ peers.specialties.T) >= _counts(req_spec)[:, None] - 0.5

    # Gender: a must when the person said so.
    gender_pref = [r.gender_preference for r in requests]
    gender_match = (enc("genders", gender_pref) @ peers.genders.T) > 0
    required = np.array([r.gender_required and bool(r.gender_preference) for r in requests], dtype=bool)
    gender_ok = gender_match | ~required[:, None]

    # Ways of meeting: a remote one in common, or in person within both travel limits.
    any_modality = np.array([not r.modalities for r in requests], dtype=bool)
    remote_rows = [[mm for mm in r.modalities if mm != IN_PERSON] for r in requests]
    remote_ok = (enc("remote", remote_rows) @ peers.remote.T) > 0
    remote_ok |= any_modality[:, None] & (peers.remote.sum(axis=1) > 0)[None, :]
    r_in_person = np.array([(not r.modalities) or IN_PERSON in r.modalities for r in requests], dtype=bool)
    r_lat = np.array([_f(r.latitude) for r in requests])
    r_lon = np.array([_f(r.longitude) for r in requests])
    r_travel = np.array([_f(r.travel_km) for r in requests])
    both_in_person = r_in_person[:, None] & peers.in_person[None, :]
    distance = np.full((n, m), np.inf)
    limit = np.full((n, m), np.nan)
    reach = np.zeros((n, m), dtype=bool)
    located = ~np.isnan(r_lat) & ~np.isnan(r_lon) & ~np.isnan(r_travel)
    if both_in_person.any() and located.any():
        rows = np.flatnonzero(located & r_in_person)
        cols = np.flatnonzero(peers.in_person & ~np.isnan(peers.latitude) & ~np.isnan(peers.travel_km))
        if rows.size and cols.size:
            d = haversine_km(
                r_lat[rows, None], r_lon[rows, None], peers.latitude[None, cols], peers.longitude[None, cols]
            )
            lim = np.minimum(r_travel[rows, None], peers.travel_km[None, cols])
            distance[np.ix_(rows, cols)] = d
            limit[np.ix_(rows, cols)] = lim
            reach[np.ix_(rows, cols)] = d <= lim
    meet_ok = remote_ok | reach

    excluded = np.zeros((n, m), dtype=bool)
    continuity = np.zeros((n, m), dtype=bool)
    for i, r in enumerate(requests):
        for key in r.excluded_peers:
            j = peers.key_index.get(key)
            if j is not None:
                excluded[i, j] = True
        for key in r.previous_peers:
            j = peers.key_index.get(key)
            if j is not None:
                continuity[i, j] = True

    feasible = lang_ok & spec_req_ok & gender_ok & meet_ok & ~excluded & peers.open_[None, :]

    # Soft points.
    points = np.full((n, m), float(weights.base))
    exp_rows = [r.experiences for r in requests]
    exp_n = _counts(exp_rows)
    shared = enc("experiences", exp_rows) @ peers.experiences.T
    points += weights.shared_experience * np.divide(shared, np.maximum(exp_n, 1.0)[:, None], dtype=np.float64)
    wanted = [r.wanted_specialties for r in requests]
    wanted_shared = enc("specialties", wanted) @ peers.specialties.T
    points += weights.specialty * np.divide(wanted_shared, np.maximum(_counts(wanted), 1.0)[:, None], dtype=np.float64)
    points += weights.gender * (gender_match & ~required[:, None])
    avail_rows = [r.availability for r in requests]
    avail_n = np.minimum(_counts(avail_rows), ENOUGH_SHARED_SLOTS)
    overlap = _onehot(avail_rows, SLOT_INDEX, len(SLOTS)) @ peers.availability.T
    points += weights.availability * np.minimum(
        1.0, np.divide(overlap, np.maximum(avail_n, 1.0)[:, None], dtype=np.float64)
    )
    closeness = np.zeros((n, m))
    np.divide(limit - distance, limit, out=closeness, where=reach & (limit > 0))
    points += weights.distance * np.clip(closeness, 0.0, 1.0)
    points += weights.load * peers.load_points[None, :]
    points -= weights.wellbeing_stretched * peers.stretched[None, :]
    points += weights.continuity * continuity
    priority = np.array([weights.priority(r.waiting_days) for r in requests], dtype=np.float64)
    return Scores(feasible=feasible, points=points, priority=priority)


# --- Reasons -------------------------------------------------------------------------------------


def explain(request: RequestInput, peer: PeerInput) -> list[Reason]:
    """Why this peer, in terms of what both chose to share. Never load, never wellbeing."""
    reasons: list[Reason] = []
    experiences = request.experiences & peer.experiences
    if experiences:
        reasons.append(Reason("experience", tuple(sorted(experiences))))
    languages = request.languages & peer.languages
    if languages:
        reasons.append(Reason("language", tuple(sorted(languages))))
    slots = request.availability & peer.availability
    if slots:
        reasons.append(Reason("availability", tuple(sorted(slots, key=SLOT_INDEX.__getitem__))))
    if request.modalities:  # only when the person said how they would like to meet
        ways = {mm for mm in request.modalities & peer.modalities if mm != IN_PERSON}
        if _in_reach(request, peer):
            ways.add(IN_PERSON)
        if ways:
            reasons.append(Reason("modality", tuple(sorted(ways, key=lambda mm: (mm != IN_PERSON, mm)))))
    specialties = request.wanted_specialties & peer.specialties
    if specialties:
        reasons.append(Reason("specialty", tuple(sorted(specialties))))
    if peer.gender and peer.gender in request.gender_preference:
        reasons.append(Reason("gender", (peer.gender,)))
    if peer.key in request.previous_peers:
        reasons.append(Reason("continuity"))
    return reasons


def _names(items: Iterable[str], labels: Mapping[str, Any]) -> list[str]:
    return [str(labels.get(item, item)) for item in items]


def _join(words: Sequence[str], pattern: str = "") -> str:
    if len(words) <= 1:
        return "".join(words)
    return (pattern or _("%(first)s and %(last)s")) % {"first": ", ".join(words[:-1]), "last": words[-1]}


def _slot_words(slot: str) -> str:
    day, time = slot.split("_", 1)
    day_names = {
        "mon": _("Monday"),
        "tue": _("Tuesday"),
        "wed": _("Wednesday"),
        "thu": _("Thursday"),
        "fri": _("Friday"),
        "sat": _("Saturday"),
        "sun": _("Sunday"),
    }
    times = {"morning": _("mornings"), "afternoon": _("afternoons"), "evening": _("evenings")}
    # Translators: a weekly free time, e.g. "Tuesday evenings".
    return _("%(day)s %(time)s") % {"day": day_names[day], "time": times[time]}


@dataclass
class Labels:
    """Words for the identifiers in reasons (lived-experience terms, languages, and so on)."""

    experiences: Mapping[str, Any] = field(default_factory=dict)
    languages: Mapping[str, Any] = field(default_factory=dict)
    specialties: Mapping[str, Any] = field(default_factory=dict)
    modalities: Mapping[str, Any] = field(default_factory=dict)


MAX_SLOTS_NAMED = 3


def reason_text(reason: Reason, labels: Labels) -> str:
    items = reason.items
    if reason.kind == "experience":
        return _("you both shared %(items)s") % {"items": _join(_names(items, labels.experiences))}
    if reason.kind == "language":
        return _("you both speak %(items)s") % {"items": _join(_names(items, labels.languages))}
    if reason.kind == "availability":
        words = [_slot_words(s) for s in items[:MAX_SLOTS_NAMED]]
        if len(items) > MAX_SLOTS_NAMED:
            words.append(_("other times"))
        return _("you are both free on %(items)s") % {"items": _join(words)}
    if reason.kind == "modality":
        ways = {
            "in_person": _("in person"),
            "phone": _("by phone"),
            "video": _("by video"),
            "text": _("by text message"),
        }
        words = [str(ways.get(item, labels.modalities.get(item, item))) for item in items]
        return _("you can both meet %(ways)s") % {"ways": _join(words, _("%(first)s or %(last)s"))}
    if reason.kind == "specialty":
        return _("they offer the support you asked for (%(items)s)") % {
            "items": _join(_names(items, labels.specialties))
        }
    if reason.kind == "gender":
        return _("they match the gender you asked for")
    if reason.kind == "continuity":
        return _("you have worked together before")
    raise ValueError(f"unknown reason {reason.kind!r}")


def explanation_text(reasons: Sequence[Reason], labels: Labels) -> str:
    """ "You both shared Alcohol; you both speak Spanish; you are both free on Tuesday evenings." """
    if not reasons:
        return _("This peer supporter meets what you asked for.")
    text = "; ".join(reason_text(r, labels) for r in reasons)
    return text[:1].upper() + text[1:] + "."


# --- Suggestions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    peer: PeerInput
    points: float
    reasons: tuple[Reason, ...]


def top_k(request: RequestInput, peers: PeerArrays, weights: Weights, k: int = 5) -> list[Suggestion]:
    """The ``k`` best feasible peers for one request, best first (ties: the peer's key)."""
    if len(peers) == 0 or k <= 0:
        return []
    scores = score([request], peers, weights)
    row = np.where(scores.feasible[0], scores.points[0], -np.inf)
    candidates = np.flatnonzero(np.isfinite(row))
    if candidates.size > k:
        # Everything at least as good as the k-th best, so ties at the cut are broken by key.
        kth = np.partition(row[candidates], candidates.size - k)[candidates.size - k]
        candidates = candidates[row[candidates] >= kth]
    ranked = sorted(candidates.tolist(), key=lambda j: (-row[j], peers.peers[j].key))[:k]
    return [Suggestion(peers.peers[j], float(row[j]), tuple(explain(request, peers.peers[j]))) for j in ranked]
