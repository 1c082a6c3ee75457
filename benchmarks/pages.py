"""Page timings and SQL query counts on a seeded database (not a test: it prints figures).

    .venv/bin/python benchmarks/pages.py [--requests 200] [--size large]

Uses a throwaway SQLite file under ``ALONGSIDE_VAR_DIR`` (default ``/tmp/alongside-bench``; the
project's own ``var/`` is refused) or, when ``DATABASE_URL`` is set, that database. It migrates,
seeds (``alongside seed --size large``) unless seeded organisations are already there, then sends
N requests per page through ``django.test.Client`` for the smallest and the largest seeded
organisation. For each page it prints the median and 95th percentile in milliseconds, the ratio of
the median to ``/healthz``'s median measured in the same run, and the SQL queries per request for
both organisations: a page whose count grows with the organisation's size has an N+1 query.

The people pages act as that organisation's admin (intake queue, a participant's profile: the
participant with the most contact records; the referral board and its overdue view) and as the
peer supporter with the largest caseload (caseload). A page whose view still raises
``NotImplementedError`` is skipped with a note. The last line printed is one JSON object: page →
{p50_ms, p95_ms, ratio, queries_small, queries_large}, the timings for the largest organisation.

DEBUG is switched off while measuring (as in the test suite and in production), so Django does not
keep a log of every query.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = "/tmp/alongside-bench"  # noqa: S108 - a throwaway benchmark database, never var/


def configure() -> None:
    os.environ.setdefault("ALONGSIDE_VAR_DIR", DEFAULT_VAR_DIR)
    if Path(os.environ["ALONGSIDE_VAR_DIR"]).resolve() == (REPO / "var").resolve():
        sys.exit("Refusing to benchmark in the project's var/: set ALONGSIDE_VAR_DIR to a throwaway directory.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alongside.settings")
    import django

    django.setup()


@dataclass
class Persona:
    """One seeded organisation and the people the benchmark acts as there."""

    slug: str
    staff: int
    audit_events: int
    admin_client: Any
    supervisor_client: Any
    token: str
    program_id: str
    peer_id: str
    peer_client: Any
    caseload: int  # open records of the peer supporter with the largest caseload
    participant_id: str  # the participant with the most contact records
    contacts: int
    referrals: int  # all referrals of the organisation
    open_referrals: int
    overdue_referrals: int


@dataclass
class Page:
    label: str
    path: Callable[[Persona], str]
    who: str  # anonymous | admin | supervisor | peer | api
    per_org: bool = True


PAGES = [
    Page("/healthz (baseline)", lambda o: "/healthz", "anonymous", per_org=False),
    Page("/ (all public orgs)", lambda o: "/", "anonymous", per_org=False),
    Page("public org page", lambda o: f"/o/{o.slug}/", "anonymous"),
    Page("staff home (admin)", lambda o: f"/app/{o.slug}/", "admin"),
    Page("staff home (supervisor)", lambda o: f"/app/{o.slug}/", "supervisor"),
    Page("program list", lambda o: f"/app/{o.slug}/programs/", "admin"),
    Page("program detail", lambda o: f"/app/{o.slug}/programs/{o.program_id}/", "admin"),
    Page("site list", lambda o: f"/app/{o.slug}/sites/", "admin"),
    Page("staff list", lambda o: f"/app/{o.slug}/staff/", "admin"),
    Page("staff detail (a peer)", lambda o: f"/app/{o.slug}/staff/{o.peer_id}/", "admin"),
    Page("access log", lambda o: f"/app/{o.slug}/access-log/", "admin"),
    Page("intake queue", lambda o: f"/app/{o.slug}/intake/", "admin"),
    Page("caseload (a peer)", lambda o: f"/app/{o.slug}/caseload/", "peer"),
    Page("participant profile", lambda o: f"/app/{o.slug}/people/{o.participant_id}/", "admin"),
    Page("referral board", lambda o: f"/app/{o.slug}/referrals/", "admin"),
    Page("referral board (overdue)", lambda o: f"/app/{o.slug}/referrals/?overdue=on", "admin"),
    Page("API GET /me", lambda o: "/api/v1/me", "api"),
    Page("API program list", lambda o: f"/api/v1/organisations/{o.slug}/programs", "api"),
]

# Audit rows written for the access-log page, so it has several pages to show (see top_up_audit).
AUDIT_EVENTS = {"small": 30, "large": 400}
# The pages with a p95 target at seed size large (milliseconds, largest organisation).
P95_TARGETS = {
    "intake queue": 100.0,
    "caseload (a peer)": 100.0,
    "referral board": 100.0,
    "referral board (overdue)": 100.0,
}


def signed_in_client(user: Any) -> Any:
    from alongside.core.testing import verified_client

    return verified_client(user)


def top_up_audit(organisation: Any, staff: list[Any], programs: list[Any], want: int) -> int:
    """Give the access log ``want`` rows from many different actors (benchmark traffic, labelled so)."""
    from alongside.audit.models import AuditEvent
    from alongside.audit.services import record

    have = AuditEvent.objects.filter(organisation_id=organisation.pk).count()
    for i in range(have, want):
        record(staff[i % len(staff)], "benchmark.view", programs[i % len(programs)])
    return max(have, want)


def busiest(organisation: Any, peers: list[Any]) -> tuple[Any, int, str, int]:
    """The peer with the largest open caseload, and the participant with the most contact records."""
    from django.db.models import Count

    from alongside.core.tenancy import tenant_scope
    from alongside.people.models import ContactRecord, Participant, ParticipantStatus

    with tenant_scope(organisation):
        loads = dict(
            Participant.objects.filter(assigned_peer__in=peers)
            .exclude(status=ParticipantStatus.CLOSED)
            .values_list("assigned_peer")
            .annotate(n=Count("id"))
            .values_list("assigned_peer", "n")
        )
        top = (
            ContactRecord.objects.filter(participant__isnull=False)
            .values("participant")
            .annotate(n=Count("id"))
            .order_by("-n", "participant")
            .first()
        )
    peer = max(peers, key=lambda u: (loads.get(u.pk, 0), u.email))
    participant_id, contacts = (str(top["participant"]), top["n"]) if top else ("", 0)
    return peer, loads.get(peer.pk, 0), participant_id, contacts


def referral_counts(organisation: Any) -> tuple[int, int, int]:
    """(all referrals, open ones, open ones with an overdue clock) of one organisation."""
    from django.utils import timezone

    from alongside.core.tenancy import tenant_scope
    from alongside.people import referrals
    from alongside.people.models import Referral

    with tenant_scope(organisation):
        total = Referral.objects.count()
        open_count = Referral.objects.filter(status__in=referrals.OPEN_STATUSES).count()
        overdue_count = len(referrals.overdue_referrals(organisation, timezone.now()))
    return total, open_count, overdue_count


def persona(organisation: Any, which: str) -> Persona:
    from alongside.accounts import services
    from alongside.accounts.models import Membership, Program, Role
    from alongside.core.tenancy import tenant_scope

    with tenant_scope(organisation):
        memberships = list(Membership.objects.filter(is_active=True).select_related("user").order_by("user__email"))
        programs = list(Program.objects.order_by("name"))
    by_role: dict[str, list[Any]] = {}
    for membership in memberships:
        by_role.setdefault(membership.role, []).append(membership.user)
    roles_of: dict[Any, set[str]] = {}
    for membership in memberships:
        roles_of.setdefault(membership.user_id, set()).add(membership.role)
    # The same role mix in every organisation, so query counts compare like with like.
    admin = next(u for u in by_role[Role.ADMIN] if roles_of[u.pk] == {Role.ADMIN, Role.COORDINATOR})
    supervisor = next(u for u in by_role[Role.SUPERVISOR] if roles_of[u.pk] == {Role.SUPERVISOR})
    staff = list({m.user_id: m.user for m in memberships}.values())
    events = top_up_audit(organisation, staff, programs, AUDIT_EVENTS[which])
    _token, plain = services.api_token_create(acting_user=admin, user=admin, name="benchmark")
    plain_peers = [u for u in by_role[Role.PEER] if roles_of[u.pk] == {Role.PEER}]
    peer, caseload, participant_id, contacts = busiest(organisation, plain_peers)
    total, open_count, overdue_count = referral_counts(organisation)
    return Persona(
        slug=organisation.slug,
        staff=len(staff),
        audit_events=events,
        admin_client=signed_in_client(admin),
        supervisor_client=signed_in_client(supervisor),
        token=plain,
        program_id=str(programs[-1].pk),  # "Wellness Circles": linked to all three sites
        peer_id=str(plain_peers[0].pk),
        peer_client=signed_in_client(peer),
        caseload=caseload,
        participant_id=participant_id,
        contacts=contacts,
        referrals=total,
        open_referrals=open_count,
        overdue_referrals=overdue_count,
    )


def request(page: Page, who: Persona, anonymous: Any) -> Callable[[], Any]:
    path = page.path(who)
    if page.who == "admin":
        return lambda: who.admin_client.get(path)
    if page.who == "supervisor":
        return lambda: who.supervisor_client.get(path)
    if page.who == "peer":
        return lambda: who.peer_client.get(path)
    if page.who == "api":
        return lambda: anonymous.get(path, HTTP_AUTHORIZATION=f"Bearer {who.token}")
    return lambda: anonymous.get(path)


def query_count(send: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = send()
    if response.status_code != 200:
        raise SystemExit(f"expected 200, got {response.status_code} ({response.get('Location', '')})")
    return len(captured)


def timings(send: Callable[[], Any], n: int) -> list[float]:
    for _ in range(5):  # warm-up: templates compiled, connections open
        send()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = send()
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"expected 200, got {response.status_code}")
    return times


def available(page: Page, who: Persona, anonymous: Any) -> bool:
    """False (with a note) for a page whose view is still being written, or that has nothing to show."""
    if page.who == "admin" and "/people/" in page.path(who) and not who.participant_id:
        print(f"  skipped {page.label}: {who.slug} has no participants (seed without people?)")
        return False
    try:
        request(page, who, anonymous)()
    except NotImplementedError:
        print(f"  skipped {page.label}: its view still raises NotImplementedError (run again later)")
        return False
    return True


def ensure_people(size: str) -> None:
    """A database seeded before the people seed existed: add the people (same transaction rules)."""
    from django.db import transaction

    from alongside.accounts.seed import DEFAULT_SEED
    from alongside.core.tenancy import unscoped
    from alongside.people.models import Participant
    from alongside.people.seed import load_people_seed

    with unscoped("benchmark set-up: are there seeded participants at all"):
        if Participant.objects.filter(organisation__slug__startswith="seed-").exists():
            return
    print(f"Seeded organisations have no participants yet: loading the people seed (size {size}) ...")
    with transaction.atomic():
        report = load_people_seed(size=size, seed=DEFAULT_SEED)
    print(f"  {report.participants} participants, {report.contacts} contact records in {report.seconds:.1f} s")


def ensure_referrals(size: str) -> None:
    """A database seeded before referrals were: add partners and referrals (same transaction rules)."""
    from django.db import transaction

    from alongside.accounts.seed import DEFAULT_SEED
    from alongside.core.tenancy import unscoped
    from alongside.people.models import PartnerOrganisation
    from alongside.people.seed import load_referral_seed

    with unscoped("benchmark set-up: are there seeded partners at all"):
        if PartnerOrganisation.objects.filter(organisation__slug__startswith="seed-").exists():
            return
    print(f"Seeded organisations have no referrals yet: loading them (size {size}) ...")
    started = time.perf_counter()
    with transaction.atomic():
        partners, referrals = load_referral_seed(size=size, seed=DEFAULT_SEED)
    print(f"  {partners} partners, {referrals} referrals in {time.perf_counter() - started:.1f} s")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="Requests per page and organisation (200).")
    parser.add_argument("--size", default="large", help="Seed size if the database has no seed yet (large).")
    args = parser.parse_args()

    configure()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client, override_settings

    from alongside.accounts.models import Organisation
    from alongside.accounts.seed import seed_organisations_exist

    call_command("migrate", verbosity=0, interactive=False)
    if not seed_organisations_exist():
        call_command("seed", size=args.size)
    ensure_people(args.size)
    ensure_referrals(args.size)
    seeded = list(
        Organisation.objects.filter(slug__startswith="seed-")
        .annotate(staff=Count("memberships__user", distinct=True))
        .order_by("staff", "slug")
    )
    small_org, large_org = seeded[0], seeded[-1]

    database = connection.vendor
    where = settings.DATABASES["default"]["NAME"]
    print(f"Pages benchmark: {database} ({where}), {len(seeded)} seeded organisations, DEBUG off,")
    print(
        f"{args.requests} requests per page and organisation, django.test.Client (no server), "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )

    with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        small = persona(small_org, "small")
        large = persona(large_org, "large")
        for label, who in (("smallest", small), ("largest", large)):
            print(
                f"  {label} organisation: {who.slug}: {who.staff} staff, {who.audit_events} access-log rows, "
                f"a caseload of {who.caseload}, a profile with {who.contacts} contact records, "
                f"{who.referrals} referrals ({who.open_referrals} open, {who.overdue_referrals} overdue)"
            )
        anonymous = Client()
        pages = [page for page in PAGES if available(page, small, anonymous) and available(page, large, anonymous)]

        queries: dict[str, tuple[int, int]] = {}
        for page in pages:
            # Counted first, on fresh sessions (later a request may also refresh the session's last-seen time).
            request(page, small, anonymous)()
            request(page, large, anonymous)()
            queries[page.label] = (
                query_count(request(page, small, anonymous)),
                query_count(request(page, large, anonymous)),
            )

        results: dict[str, tuple[list[float], list[float]]] = {}
        for page in pages:
            large_times = timings(request(page, large, anonymous), args.requests)
            small_times = timings(request(page, small, anonymous), args.requests) if page.per_org else large_times
            results[page.label] = (small_times, large_times)

    baseline = statistics.median(results[PAGES[0].label][1])
    print()
    header = (
        f"{'page':<26}{'largest org':>30}{'smallest org':>18}   {'SQL queries/request':>20}\n"
        f"{'':<26}{'median ms':>11}{'p95 ms':>9}{'× healthz':>10}{'median ms':>11}{'× healthz':>10}"
        f"   {'smallest':>10}{'largest':>9}"
    )
    print(header)
    print("-" * len(header.splitlines()[1]) + "-" * 2)
    grows: list[str] = []
    fewer: list[str] = []
    figures: dict[str, dict[str, float | int]] = {}
    for page in pages:
        small_times, large_times = results[page.label]
        q_small, q_large = queries[page.label]
        median_large = statistics.median(large_times)
        median_small = statistics.median(small_times)
        flag = ""
        if page.per_org and q_large > q_small:
            flag = "  <- grows with size"
            grows.append(page.label)
        elif page.per_org and q_large < q_small:
            # Fewer for the larger organisation: it had less to show (an empty page skips a lookup).
            flag = "  (fewer: less to show)"
            fewer.append(page.label)
        small_cols = (
            f"{median_small:>11.2f}{median_small / baseline:>10.1f}" if page.per_org else f"{'(same)':>11}{'':>10}"
        )
        print(
            f"{page.label:<26}{median_large:>11.2f}{p95(large_times):>9.2f}{median_large / baseline:>10.1f}"
            f"{small_cols}   {q_small:>10}{q_large:>9}{flag}"
        )
        figures[page.label] = {
            "p50_ms": round(median_large, 2),
            "p95_ms": round(p95(large_times), 2),
            "ratio": round(median_large / baseline, 1),
            "queries_small": q_small,
            "queries_large": q_large,
        }
    print()
    if grows:
        print(f"Query count grows with organisation size on: {', '.join(grows)}")
    elif fewer:
        print(
            "No query count grows with organisation size; fewer for the largest organisation on "
            f"{', '.join(fewer)} (less to show there)."
        )
    else:
        print("Query counts are the same for the smallest and the largest organisation on every page.")
    for label, target in P95_TARGETS.items():
        if label not in figures:
            print(f"Target p95 <= {target:.0f} ms for {label}: not measured (page skipped)")
            continue
        verdict = "met" if figures[label]["p95_ms"] <= target else "NOT met"
        print(f"Target p95 <= {target:.0f} ms for {label}: {verdict} ({figures[label]['p95_ms']:.2f} ms, largest org)")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
