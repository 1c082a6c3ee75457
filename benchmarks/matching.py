"""Matching figures: batch assignment time and memory, optimality against an exact MILP, the
greedy baseline, and the time to suggest peers to one person (not a test: it prints figures).

    .venv/bin/python benchmarks/matching.py [--people 5000] [--peers 500] [--seed 4] [--runs 3]

No database: it builds realistic synthetic people and peer supporters (the DOMAIN.md §9
vocabulary with skewed popularity, languages with Spanish and others, ways of meeting, approximate
locations around one city, weekly free times, capacities 1–12, waits of up to a year) and runs the
same pure functions the services use (``alongside.matching.scoring`` and ``.assignment``).

1. Batch: scoring (encoding included) + OR-Tools min-cost flow for N people × M peers, best of
   ``--runs``; target ≤ 2 s. Peak memory is the process's peak resident set size
   (``resource.getrusage(...).ru_maxrss``) right after the batch runs: an upper bound that
   includes Python, Django's settings and the generated data; target ≤ 1 GB.
2. Greedy (first come, first served) on the same instance: its total and greedy / optimal.
3. Exact check: on a 300 × 40 instance, the flow's total against SciPy's HiGHS MILP
   (``optimal_gap`` = MILP total − flow total, in points; 0 when equal).
4. Suggestions: the top 5 peers with their reasons for one person among 2,000 peers (encoding the
   peers included), median of 50; target ≤ 20 ms.

The last line is one JSON object: ``seconds``, ``optimal_gap``, ``greedy_ratio``, ``suggest_ms``,
``peak_mb`` (and a few more figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")

EXPERIENCES = [
    # (term, relative popularity): depression and anxiety are common, combat trauma is rare.
    ("Depression", 30), ("Anxiety", 30), ("Bipolar", 6), ("Psychosis / hearing voices", 4),
    ("Eating disorders", 4), ("Self-harm", 6), ("Suicide-attempt survivor", 5), ("PTSD", 12),
    ("Childhood trauma", 14), ("Domestic violence", 8), ("Sexual violence", 6), ("Combat", 2),
    ("Community violence", 3), ("Alcohol", 20), ("Opioids", 12), ("Stimulants", 5), ("Cannabis", 6),
    ("Gambling", 2), ("Medication-assisted recovery", 6), ("Homelessness", 7), ("Incarceration", 6),
    ("Foster care", 4), ("Military service", 4), ("Grief and loss", 10), ("Chronic illness", 6),
    ("Disability", 5), ("Immigration", 5), ("Parent or caregiver", 8), ("Partner", 4), ("Sibling", 2),
    ("Young carer", 1), ("LGBTQ+", 9), ("BIPOC", 10), ("Faith", 6), ("Language", 3),
]  # fmt: skip
LANGUAGES = [("en", 0.93), ("es", 0.22), ("vi", 0.03), ("zh", 0.03), ("ar", 0.02), ("ht", 0.02), ("asl", 0.01)]
SPECIALTIES = [("recovery", 30), ("lgbtq", 12), ("bipoc", 12), ("faith", 8), ("grief", 10), ("veterans", 6),
               ("family", 10), ("youth", 10)]  # fmt: skip
REMOTE = ["phone", "video", "text"]
CITY = (39.7817, -89.6501)


def _weighted(rng: np.random.Generator, items: list[tuple[str, int]], k: int) -> frozenset[str]:
    names = [name for name, _w in items]
    p = np.array([w for _n, w in items], dtype=float)
    k = min(k, len(names))
    return frozenset(rng.choice(names, size=k, replace=False, p=p / p.sum()).tolist()) if k else frozenset()


def _languages(rng: np.random.Generator) -> frozenset[str]:
    langs = {code for code, share in LANGUAGES if rng.random() < share}
    return frozenset(langs or {"en" if rng.random() < 0.8 else "es"})


def _availability(rng: np.random.Generator, k: int) -> frozenset[str]:
    from alongside.matching.scoring import SLOTS

    # Evenings and weekends are popular; weekday mornings less so.
    p = np.array([3.0 if s.endswith("evening") else 1.5 if s.startswith(("sat", "sun")) else 1.0 for s in SLOTS])
    return frozenset(rng.choice(SLOTS, size=k, replace=False, p=p / p.sum()).tolist())


def _place(rng: np.random.Generator) -> tuple[float, float]:
    # Within about 30 km of the centre, denser near it; rounded like the stored values (~1 km).
    r = abs(rng.normal(0, 10)) / 111.0
    a = rng.uniform(0, 2 * np.pi)
    return round(CITY[0] + r * np.cos(a), 2), round(CITY[1] + r * np.sin(a) / np.cos(np.radians(CITY[0])), 2)


def make_peers(rng: np.random.Generator, m: int, prefix: str = "peer") -> list:
    from alongside.matching.scoring import IN_PERSON, PeerInput

    peers = []
    for j in range(m):
        modalities = set(rng.choice(REMOTE, size=int(rng.integers(1, 4)), replace=False).tolist())
        if rng.random() < 0.7:
            modalities.add(IN_PERSON)
        lat, lon = _place(rng)
        limit = int(rng.integers(4, 13))
        peers.append(
            PeerInput(
                key=f"{prefix}-{j:05d}",
                experiences=_weighted(rng, EXPERIENCES, int(rng.integers(2, 7))),
                languages=_languages(rng),
                specialties=_weighted(rng, SPECIALTIES, int(rng.integers(0, 3))),
                modalities=frozenset(modalities),
                availability=_availability(rng, int(rng.integers(3, 10))),
                gender=str(rng.choice(["woman", "man", "non_binary", ""], p=[0.45, 0.25, 0.05, 0.25])),
                latitude=lat,
                longitude=lon,
                travel_km=float(rng.integers(5, 31)),
                capacity=int(rng.integers(1, 13)),
                limit=max(limit, 12),
                stretched=bool(rng.random() < 0.1),
            )
        )
    return peers


def make_requests(rng: np.random.Generator, n: int, peer_keys: list[str]) -> list:
    from alongside.matching.scoring import IN_PERSON, RequestInput, required_specialties

    requests = []
    for i in range(n):
        if rng.random() < 0.2:
            modalities = {IN_PERSON}
        else:
            modalities = set(rng.choice(REMOTE, size=int(rng.integers(1, 3)), replace=False).tolist())
            if rng.random() < 0.5:
                modalities.add(IN_PERSON)
        lat, lon = _place(rng)
        pref = frozenset()
        required = False
        if rng.random() < 0.3:
            pref = frozenset({str(rng.choice(["woman", "man", "non_binary"], p=[0.7, 0.25, 0.05]))})
            required = bool(rng.random() < 0.35)
        age_band = "13_17" if rng.random() < 0.04 else "26_64"
        previous = frozenset({str(rng.choice(peer_keys))}) if rng.random() < 0.05 else frozenset()
        excluded = frozenset({str(rng.choice(peer_keys))}) if rng.random() < 0.03 else frozenset()
        requests.append(
            RequestInput(
                key=f"request-{i:05d}",
                experiences=_weighted(rng, EXPERIENCES, int(rng.integers(1, 5))),
                languages=_languages(rng),
                required_specialties=required_specialties(
                    serves_adults=True, serves_youth=True, serves_families=False, age_band=age_band
                ),
                wanted_specialties=_weighted(rng, SPECIALTIES[:6], int(rng.integers(0, 2))),
                gender_preference=pref,
                gender_required=required,
                modalities=frozenset(modalities),
                availability=_availability(rng, int(rng.integers(2, 9))),
                latitude=lat,
                longitude=lon,
                travel_km=float(rng.integers(3, 26)),
                waiting_days=float(min(365, int(rng.exponential(40)))),
                previous_peers=previous,
                excluded_peers=excluded - previous,
            )
        )
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--peers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from alongside.matching import assignment
    from alongside.matching.scoring import SCALE, Weights, encode_peers, top_k

    weights = Weights()
    rng = np.random.default_rng(args.seed)
    peers = make_peers(rng, args.peers)
    requests = make_requests(rng, args.people, [p.key for p in peers])
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"{args.people} people × {args.peers} peers, room for {sum(p.capacity for p in peers)} people")

    # 1. Batch: scoring + min-cost flow.
    timings = []
    for _run in range(args.runs):
        t0 = time.perf_counter()
        problem = assignment.prepare(requests, peers, weights)
        t1 = time.perf_counter()
        pairs = assignment.solve_flow(problem.values, problem.scores.feasible, problem.capacity)
        t2 = time.perf_counter()
        timings.append((t2 - t0, t1 - t0, t2 - t1))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds, scoring_s, solve_s = min(timings)
    edges = int((problem.scores.feasible & (problem.values > 0)).sum())
    flow_total = assignment.total_of(problem.values, pairs)
    print(
        f"batch: {seconds:.3f} s (scoring {scoring_s:.3f} s, flow {solve_s:.3f} s; best of {args.runs}), "
        f"{edges:,} feasible pairs ({edges / problem.values.size:.0%}), {len(pairs)} offered, "
        f"total {flow_total / SCALE:,.2f} points — target ≤ 2 s: {'met' if seconds <= 2 else 'NOT met'}"
    )
    print(f"peak memory (ru_maxrss, whole process): {peak_mb:.0f} MB — target ≤ 1024 MB")

    # 2. Greedy, first come first served, same objective.
    t0 = time.perf_counter()
    greedy = assignment.solve_greedy(
        problem.values, problem.scores.feasible, problem.capacity, assignment.first_come_order(requests)
    )
    greedy_s = time.perf_counter() - t0
    greedy_total = assignment.total_of(problem.values, greedy)
    ratio = greedy_total / flow_total if flow_total else 1.0
    waited = np.array([r.waiting_days for r in requests])
    served_flow = np.zeros(len(requests), bool)
    served_flow[[i for i, _j in pairs]] = True
    served_greedy = np.zeros(len(requests), bool)
    served_greedy[[i for i, _j in greedy]] = True
    print(
        f"greedy: total {greedy_total / SCALE:,.2f} points, {len(greedy)} offered ({greedy_s:.3f} s); "
        f"greedy / optimal = {ratio:.4f}"
    )
    print(
        f"people waiting 90+ days offered a peer: optimal {served_flow[waited >= 90].mean():.1%}, "
        f"greedy {served_greedy[waited >= 90].mean():.1%}"
    )

    # 3. Exact check on a small instance.
    small_rng = np.random.default_rng(args.seed + 1)
    small_peers = make_peers(small_rng, 40)
    small_requests = make_requests(small_rng, 300, [p.key for p in small_peers])
    small = assignment.prepare(small_requests, small_peers, weights)
    t0 = time.perf_counter()
    small_flow = assignment.total_of(
        small.values, assignment.solve_flow(small.values, small.scores.feasible, small.capacity)
    )
    t1 = time.perf_counter()
    small_milp = assignment.total_of(
        small.values, assignment.solve_milp(small.values, small.scores.feasible, small.capacity)
    )
    t2 = time.perf_counter()
    gap = (small_milp - small_flow) / SCALE
    print(
        f"300 × 40: flow {small_flow / SCALE:,.2f} ({t1 - t0:.3f} s), MILP (HiGHS) {small_milp / SCALE:,.2f} "
        f"({t2 - t1:.3f} s): {'equal' if gap == 0 else f'gap {gap}'}"
    )

    # 4. Suggestions for one person among 2,000 peers (encoding the peers included).
    many = make_peers(np.random.default_rng(args.seed + 2), 2000, prefix="p")
    person = make_requests(np.random.default_rng(args.seed + 3), 1, [p.key for p in many])[0]
    samples = []
    for _ in range(50):
        t0 = time.perf_counter()
        suggestions = top_k(person, encode_peers(many), weights, k=5)
        samples.append((time.perf_counter() - t0) * 1000)
    arrays = encode_peers(many)
    only_scoring = []
    for _ in range(50):
        t0 = time.perf_counter()
        top_k(person, arrays, weights, k=5)
        only_scoring.append((time.perf_counter() - t0) * 1000)
    suggest_ms = statistics.median(samples)
    print(
        f"suggest: top {len(suggestions)} of 2,000 peers in {suggest_ms:.2f} ms median "
        f"(p95 {sorted(samples)[int(0.95 * len(samples)) - 1]:.2f} ms; peers already encoded: "
        f"{statistics.median(only_scoring):.2f} ms) — target ≤ 20 ms: {'met' if suggest_ms <= 20 else 'NOT met'}"
    )
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "scoring_seconds": round(scoring_s, 3),
                "solve_seconds": round(solve_s, 3),
                "optimal_gap": gap,
                "greedy_ratio": round(ratio, 4),
                "suggest_ms": round(suggest_ms, 2),
                "peak_mb": round(peak_mb, 1),
                "peak_measure": "ru_maxrss",
            }
        )
    )


if __name__ == "__main__":
    main()
