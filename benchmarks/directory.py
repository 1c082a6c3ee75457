"""Directory figures: near-me search over 100,000 listings on SQLite and PostgreSQL (not a test:
it prints figures).

    .venv/bin/python benchmarks/directory.py [--listings 100000] [--searches 300] [--checks 10] [--seed 5]
        [--postgres postgres://postgres@127.0.0.1:5432/postgres | --no-postgres]

It generates the listings over real US ZIP code centroids (the ``zipcodes`` package's table, a
seeded choice, up to ~1 km of jitter; 95% meet in person, the rest online), with the kinds, days,
times, topics and languages spread as a real directory's might be. It writes them to a throwaway
SQLite file and to a PostgreSQL database it creates and drops (``alongside_bench_directory_<pid>``),
both fully migrated.

For each database it runs ``--searches`` near-me searches (25 miles, around seeded ZIP centroids)
with two filters (kind: groups; meets on a given day) through ``alongside.directory.search.near_me``
— the grid-cell query, exact haversine, sorting and loading the first page of 20 — and reports the
median and 95th percentile in milliseconds, in-process (no HTTP). Targets: p95 ≤ 10 ms on each.
The page's separate "online and by phone" section (``search.online``: no distance, the same
filters, by time zone and name) is timed on its own and printed, not included.

Then, for the first ``--checks`` of those searches, the brute-force reference
(``search.brute_force_ids``: every row read and filtered in Python, haversine over all of them)
must give the same ids in the same order (``identical``), and the ratio of its median time to
the search's median on the same queries is printed (``speedup``; target ≥ 50×). Peak memory is
the process's peak resident set size (``ru_maxrss``) at the end; target < 500 MB.

The last line is one JSON object: ``p95_ms_sqlite``, ``p95_ms_postgres``, ``speedup``,
``identical``, ``peak_mb`` (and a few more figures).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

KINDS = [("group", 0.6), ("mentorship", 0.15), ("meeting", 0.2), ("warmline", 0.05)]
TOPICS = ["mental_health", "substance_use", "alcohol", "depression", "anxiety", "trauma", "grief", "family"]
ACCESS = ["wheelchair", "step_free", "parking", "transit", "quiet"]
LANGS = [("en", 0.9), ("es", 0.2), ("vi", 0.03), ("zh", 0.03)]
RADIUS_MILES = 25


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def zip_points() -> np.ndarray:
    import zipcodes

    points = []
    for row in zipcodes.list_all():
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (KeyError, ValueError):
            continue
        if (lat, lon) != (0.0, 0.0) and math.isfinite(lat) and math.isfinite(lon):
            points.append((lat, lon))
    return np.array(sorted(points))


def configure(sqlite_dir: str, postgres_url: str | None, pg_name: str) -> None:
    os.environ["ALONGSIDE_VAR_DIR"] = sqlite_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")
    from django.conf import settings

    if postgres_url:
        import dj_database_url

        settings.DATABASES["pg"] = dj_database_url.parse(postgres_url)
        settings.DATABASES["pg"]["NAME"] = pg_name
    import django

    django.setup()


def create_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def generate(database: str, points: np.ndarray, count: int, seed: int) -> None:
    """``count`` listings written in chunks (so memory stays flat), the same on every database."""
    from django.utils import timezone

    from alongside.directory.models import Listing, cell_of

    rng = np.random.default_rng(seed)
    now = timezone.now()
    kinds = [k for k, _p in KINDS]
    kind_p = np.array([p for _k, p in KINDS])
    chunk = 5000
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        where = points[rng.integers(0, len(points), size)]
        jitter = rng.uniform(-0.01, 0.01, (size, 2))
        kind_idx = rng.choice(len(kinds), size=size, p=kind_p)
        online = rng.random(size) < 0.05
        days = rng.integers(0, 7, size)
        second_day = rng.integers(0, 7, size)
        two_days = rng.random(size) < 0.2
        times = rng.choice([1, 2, 4], size=size, p=[0.25, 0.25, 0.5])
        items = []
        for i in range(size):
            n = start + i
            lat = float(np.clip(where[i, 0] + jitter[i, 0], -90, 90))
            lon = float(np.clip(where[i, 1] + jitter[i, 1], -180, 180))
            day_mask = (1 << int(days[i])) | ((1 << int(second_day[i])) if two_days[i] else 0)
            languages = [code for code, share in LANGS if rng.random() < share] or ["en"]
            topics = [TOPICS[j] for j in rng.choice(len(TOPICS), size=int(rng.integers(1, 3)), replace=False)]
            access = [ACCESS[j] for j in rng.choice(len(ACCESS), size=int(rng.integers(0, 3)), replace=False)]
            in_person = not online[i]
            item = Listing(
                kind=kinds[kind_idx[i]],
                source="benchmark",
                external_slug=f"b{n}",
                name=f"Listing {n}",
                slug=f"listing-{n}",
                url=f"https://directory.example/{n}",
                audience="adults",
                topics=topics,
                languages=languages,
                accessibility=access,
                format="in_person" if in_person else "online",
                latitude=lat if in_person else None,
                longitude=lon if in_person else None,
                cell=cell_of(lat, lon) if in_person else None,
                is_in_person=in_person,
                is_online=not in_person,
                timezone="America/Chicago",
                weekly=[{"day": int(days[i]), "time": "18:00", "end_time": "19:30"}],
                days_mask=day_mask,
                times_mask=int(times[i]),
                updated_at=now,
            )
            item.fill_search_columns()
            items.append(item)
        Listing.objects.using(database).bulk_create(items, batch_size=1000)


def measure(database: str, queries: list[tuple[float, float, int]], checks: int) -> dict[str, Any]:
    from django.db import connections

    from alongside.directory import search as directory_search
    from alongside.directory.models import Listing
    from alongside.directory.search import KM_PER_MILE, Filters

    # Route the search's queries to this database (they use the default manager).
    original = Listing.objects

    class Routed(type(original)):  # type: ignore[misc]
        def get_queryset(self) -> Any:
            return super().get_queryset().using(database)

    routed = Routed()
    routed.model = Listing
    routed.name = "objects"
    Listing.objects = routed  # type: ignore[misc]
    Listing._meta.default_manager_name = None
    try:
        for lat, lon, day in queries[:5]:  # warm the connection and caches
            warm = Filters(kinds=("group",), days=1 << day)
            directory_search.search(lat, lon, radius_miles=RADIUS_MILES, filters=warm)
        times: list[float] = []
        online_times: list[float] = []
        counts: list[int] = []
        ids: list[list[Any]] = []
        for lat, lon, day in queries:
            filters = Filters(kinds=("group",), days=1 << day)
            started = time.perf_counter()
            results = directory_search.near_me(lat, lon, radius_miles=RADIUS_MILES, filters=filters)
            times.append((time.perf_counter() - started) * 1000)
            counts.append(results.count)
            started = time.perf_counter()
            directory_search.online(filters, timezone="America/Chicago")
            online_times.append((time.perf_counter() - started) * 1000)
        for lat, lon, day in queries[:checks]:
            filters = Filters(kinds=("group",), days=1 << day)
            ids.append([pk for pk, _d in directory_search.nearby_ids(lat, lon, RADIUS_MILES * KM_PER_MILE, filters)])
        brute_times: list[float] = []
        identical = True
        for (lat, lon, day), expected_ids in zip(queries[:checks], ids, strict=True):
            filters = Filters(kinds=("group",), days=1 << day)
            started = time.perf_counter()
            brute = directory_search.brute_force_ids(lat, lon, RADIUS_MILES * KM_PER_MILE, filters)
            brute_times.append((time.perf_counter() - started) * 1000)
            identical = identical and [pk for pk, _d in brute] == expected_ids
        fast_on_checked = times[:checks]
    finally:
        Listing.objects = original  # type: ignore[misc]
        connections[database].close()
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": p95(times),
        "online_p95_ms": p95(online_times),
        "brute_p50_ms": statistics.median(brute_times),
        "speedup": statistics.median(brute_times) / statistics.median(fast_on_checked),
        "identical": identical,
        "mean_results": statistics.mean(counts),
        "max_results": max(counts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--checks", type=int, default=10, help="Searches also answered by brute force (10).")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    postgres_url = None if args.no_postgres else args.postgres
    pg_name = f"alongside_bench_directory_{os.getpid()}"
    workdir = tempfile.mkdtemp(prefix="alongside-bench-directory-")
    if postgres_url:
        create_postgres(postgres_url, pg_name)
    try:
        configure(workdir, postgres_url, pg_name)
        from django.core.management import call_command
        from django.db import connections

        databases = ["default"] + (["pg"] if postgres_url else [])
        points = zip_points()
        rng = np.random.default_rng(args.seed + 1)
        queries = [
            (float(points[i, 0]), float(points[i, 1]), int(rng.integers(0, 7)))
            for i in rng.integers(0, len(points), args.searches)
        ]
        print(
            f"Directory benchmark: {args.listings:,} listings over {len(points):,} US ZIP centroids "
            f"(seed {args.seed}), "
            f"{args.searches} near-me searches of {RADIUS_MILES} miles with two filters (groups; meets on a day), "
            f"brute force on {args.checks}; Python {platform.python_version()}, {os.cpu_count()} CPUs"
        )
        figures: dict[str, dict[str, Any]] = {}
        for database in databases:
            started = time.perf_counter()
            call_command("migrate", database=database, verbosity=0, interactive=False)
            generate(database, points, args.listings, args.seed)
            vendor = connections[database].vendor
            if vendor == "postgresql":
                with connections[database].cursor() as cursor:
                    cursor.execute("ANALYZE directory_listing")
            else:
                with connections[database].cursor() as cursor:
                    cursor.execute("ANALYZE")
            print(f"  {vendor}: migrated and loaded in {time.perf_counter() - started:.0f} s")
            figures[vendor] = measure(database, queries, args.checks)
            f = figures[vendor]
            print(
                f"  {vendor:<10} near-me search p50 {f['p50_ms']:.2f} ms, p95 {f['p95_ms']:.2f} ms (target ≤ 10); "
                f"the online section on its own p95 {f['online_p95_ms']:.2f} ms; "
                f"{f['mean_results']:.0f} results on average (max {f['max_results']}); "
                f"brute force p50 {f['brute_p50_ms']:.0f} ms → {f['speedup']:.0f}× faster (target ≥ 50); "
                f"identical: {f['identical']}"
            )
        connections.close_all()
    finally:
        if postgres_url:
            from django.db import connections

            connections.close_all()
            drop_postgres(postgres_url, pg_name)
        shutil.rmtree(workdir, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory (ru_maxrss, whole process): {peak_mb:.0f} MB — target < 500 MB")
    sqlite, postgres = figures.get("sqlite", {}), figures.get("postgresql", {})
    speedups = [f["speedup"] for f in figures.values()]
    print(
        json.dumps(
            {
                "p95_ms_sqlite": round(sqlite["p95_ms"], 2) if sqlite else None,
                "p95_ms_postgres": round(postgres["p95_ms"], 2) if postgres else None,
                "speedup": round(min(speedups), 1),
                "identical": all(f["identical"] for f in figures.values()),
                "peak_mb": round(peak_mb, 1),
                "p50_ms_sqlite": round(sqlite["p50_ms"], 2) if sqlite else None,
                "p50_ms_postgres": round(postgres["p50_ms"], 2) if postgres else None,
                "online_p95_ms_sqlite": round(sqlite["online_p95_ms"], 2) if sqlite else None,
                "online_p95_ms_postgres": round(postgres["online_p95_ms"], 2) if postgres else None,
                "listings": args.listings,
                "searches": args.searches,
                "checks": args.checks,
            }
        )
    )


if __name__ == "__main__":
    main()
