from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alongside.accounts.seed import DEFAULT_SEED, SIZES, SeedRefused, load_seed
from alongside.people.seed import load_people_seed


class Command(BaseCommand):
    help = (
        "Load benchmark-scale data fast (organisations seed-0001…): small ≈ 3, medium ≈ 20, large ≈ 200 "
        "organisations with ~60 staff each, their participants and contact records (large: ~60,000 "
        "participants, ~500,000 contacts). Use a fresh database: seeded data cannot be removed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="small", help="How much to load (default small).")
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed: the same seed gives the same data."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # Seeded organisations would appear in the public listing and cannot be removed.
            raise CommandError("alongside seed is for development and benchmarks: it refuses to run with DEBUG off.")
        try:
            with transaction.atomic():  # staff and people together, or nothing
                report = load_seed(size=options["size"], seed=options["seed"])
                people = load_people_seed(size=options["size"], seed=options["seed"])
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Seeded size {report.size} (seed {report.seed}):"))
        for label, count in report.rows():
            self.stdout.write(f"  {label:<20} {count:>7}")
        roles = ", ".join(f"{role} {n}" for role, n in report.memberships_by_role.items())
        self.stdout.write(f"  memberships by role: {roles}")
        for label, count in people.rows():
            self.stdout.write(f"  {label:<20} {count:>7}")
        statuses = ", ".join(f"{status} {n}" for status, n in people.by_status.items())
        self.stdout.write(f"  participants by status: {statuses}")
        self.stdout.write(
            f"Elapsed: {report.seconds + people.seconds:.1f} s "
            f"(staff {report.seconds:.1f} s, people {people.seconds:.1f} s)"
        )
