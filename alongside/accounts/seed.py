"""Benchmark-scale data: ``alongside seed --size {small,medium,large}``.

Unlike the demo (``accounts/demo.py``), the seed deliberately does **not** go through the per-row
services in ``accounts/services.py``: making twelve thousand staff accounts one audited service
call at a time (each with its own audit row and chain lock) would take many minutes, and the point
here is a large database in seconds. Instead it builds every row in memory and writes each table
with ``bulk_create`` inside one transaction, so a failure leaves nothing behind.

The audit log stays honest all the same: exactly one ``seed.load`` event per organisation is
written through ``alongside.audit.services.record``, which starts that organisation's hash chain,
so ``alongside audit verify`` passes afterwards. Because audit rows can never be deleted, seeded
organisations cannot be removed again: the seed refuses to run twice, and the way back is a fresh
database.

Everything is derived from one ``random.Random(seed)``, so the same ``--seed`` gives the same names,
sizes and coordinates (the UUIDs are random as everywhere else). Staff accounts share one unusable
password hash: nobody signs in as a seeded person with a password (benchmarks use ``force_login``),
and hashing thousands of Argon2 passwords would take longer than the rest of the seed.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify

from alongside.accounts.models import Membership, Organisation, Program, Role, Site, SupervisionLink, User
from alongside.audit.models import AuditEvent
from alongside.audit.services import record
from alongside.core.tenancy import unscoped

SLUG_PREFIX = "seed-"
DEFAULT_SEED = 20240611
EMAIL_DOMAIN = "example.org"  # reserved for documentation (RFC 2606): never a real mailbox


@dataclass(frozen=True)
class SeedSize:
    organisations: int
    staff_min: int
    staff_max: int


# Staff per organisation varies (about 60 on average) so benchmarks can compare a small
# organisation with a large one and show that query counts do not grow with size.
SIZES: dict[str, SeedSize] = {
    "small": SeedSize(organisations=3, staff_min=20, staff_max=100),
    "medium": SeedSize(organisations=20, staff_min=20, staff_max=100),
    "large": SeedSize(organisations=200, staff_min=20, staff_max=100),
}

# (city, region, postcode prefix, latitude, longitude, time zone)
CITIES: list[tuple[str, str, str, float, float, str]] = [
    ("Portland", "ME", "041", 43.6591, -70.2568, "America/New_York"),
    ("Burlington", "VT", "054", 44.4759, -73.2121, "America/New_York"),
    ("Worcester", "MA", "016", 42.2626, -71.8023, "America/New_York"),
    ("Providence", "RI", "029", 41.8240, -71.4128, "America/New_York"),
    ("Hartford", "CT", "061", 41.7658, -72.6734, "America/New_York"),
    ("Albany", "NY", "122", 42.6526, -73.7562, "America/New_York"),
    ("Rochester", "NY", "146", 43.1566, -77.6088, "America/New_York"),
    ("Pittsburgh", "PA", "152", 40.4406, -79.9959, "America/New_York"),
    ("Baltimore", "MD", "212", 39.2904, -76.6122, "America/New_York"),
    ("Richmond", "VA", "232", 37.5407, -77.4360, "America/New_York"),
    ("Durham", "NC", "277", 35.9940, -78.8986, "America/New_York"),
    ("Charleston", "SC", "294", 32.7765, -79.9311, "America/New_York"),
    ("Savannah", "GA", "314", 32.0809, -81.0912, "America/New_York"),
    ("Tampa", "FL", "336", 27.9506, -82.4572, "America/New_York"),
    ("Columbus", "OH", "432", 39.9612, -82.9988, "America/New_York"),
    ("Detroit", "MI", "482", 42.3314, -83.0458, "America/Detroit"),
    ("Indianapolis", "IN", "462", 39.7684, -86.1581, "America/Indiana/Indianapolis"),
    ("Louisville", "KY", "402", 38.2527, -85.7585, "America/Kentucky/Louisville"),
    ("Nashville", "TN", "372", 36.1627, -86.7816, "America/Chicago"),
    ("Birmingham", "AL", "352", 33.5186, -86.8104, "America/Chicago"),
    ("Milwaukee", "WI", "532", 43.0389, -87.9065, "America/Chicago"),
    ("Minneapolis", "MN", "554", 44.9778, -93.2650, "America/Chicago"),
    ("Des Moines", "IA", "503", 41.5868, -93.6250, "America/Chicago"),
    ("St. Louis", "MO", "631", 38.6270, -90.1994, "America/Chicago"),
    ("New Orleans", "LA", "701", 29.9511, -90.0715, "America/Chicago"),
    ("Tulsa", "OK", "741", 36.1540, -95.9928, "America/Chicago"),
    ("Austin", "TX", "787", 30.2672, -97.7431, "America/Chicago"),
    ("El Paso", "TX", "799", 31.7619, -106.4850, "America/Denver"),
    ("Albuquerque", "NM", "871", 35.0844, -106.6504, "America/Denver"),
    ("Denver", "CO", "802", 39.7392, -104.9903, "America/Denver"),
    ("Boise", "ID", "837", 43.6150, -116.2023, "America/Boise"),
    ("Tucson", "AZ", "857", 32.2226, -110.9747, "America/Phoenix"),
    ("Reno", "NV", "895", 39.5296, -119.8138, "America/Los_Angeles"),
    ("Sacramento", "CA", "958", 38.5816, -121.4944, "America/Los_Angeles"),
    ("Fresno", "CA", "937", 36.7378, -119.7871, "America/Los_Angeles"),
    ("Spokane", "WA", "992", 47.6588, -117.4260, "America/Los_Angeles"),
    ("Eugene", "OR", "974", 44.0521, -123.0868, "America/Los_Angeles"),
    ("Anchorage", "AK", "995", 61.2181, -149.9003, "America/Anchorage"),
    ("Honolulu", "HI", "968", 21.3069, -157.8583, "Pacific/Honolulu"),
]
ORGANISATION_KINDS = [
    "Peer Collective",
    "Recovery Community Center",
    "Family & Peer Support",
    "Peer Wellness Alliance",
    "Recovery Network",
    "Peer Support Cooperative",
]
STREETS = [
    "Main Street",
    "Oak Avenue",
    "Maple Street",
    "Church Street",
    "River Road",
    "Market Street",
    "Elm Street",
    "Washington Avenue",
    "Park Place",
    "Mill Street",
    "Union Street",
    "Harbor Drive",
]
SITE_KINDS = ["Wellness Center", "Community Room", "Recovery Hub", "Peer Drop-In", "Family Resource Center"]
FIRST_NAMES = [
    "Alex", "Ana", "Avery", "Bea", "Cameron", "Carlos", "Casey", "Dana", "Devon", "Elena", "Emeka",
    "Farah", "Gabriel", "Hana", "Imani", "Jamie", "Jordan", "Kai", "Lena", "Luis", "Malik", "Maria",
    "Morgan", "Nadia", "Noor", "Omar", "Priya", "Quinn", "Riley", "Rosa", "Sam", "Sofia", "Taylor",
    "Tomas", "Uma", "Val", "Wei", "Yusuf", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Alvarez", "Bennett", "Chen", "Diaz", "Ellis", "Fischer", "Garcia", "Hughes", "Ibrahim",
    "Johnson", "Kim", "Lopez", "Mendoza", "Nguyen", "Okafor", "Patel", "Quintero", "Reyes", "Singh",
    "Thompson", "Usman", "Vargas", "Walker", "Xu", "Young", "Zamora",
]  # fmt: skip

# Five programs per organisation; each offers at least one model and serves at least one audience
# (the check constraints on Program). ``sites`` are indexes into the organisation's three sites.
PROGRAMS: list[dict[str, Any]] = [
    {
        "name": "Recovery Mentors",
        "description": "One-on-one peer mentorship for people in or seeking recovery from substance use.",
        "offers_mentorship": True,
        "serves_adults": True,
        "sites": [0],
    },
    {
        "name": "Warm Line",
        "description": "Call or chat with a peer when you need someone to talk to. Evenings and weekends.",
        "offers_warmline": True,
        "serves_adults": True,
        "serves_youth": True,
        "sites": [],
    },
    {
        "name": "Family Navigators",
        "description": "Family peer specialists who have supported a loved one through mental illness.",
        "offers_mentorship": True,
        "offers_groups": True,
        "serves_adults": False,
        "serves_families": True,
        "sites": [0, 1],
    },
    {
        "name": "Young Adult Peer Groups",
        "description": "Weekly groups for young adults, run by youth peer specialists.",
        "offers_groups": True,
        "serves_adults": False,
        "serves_youth": True,
        "sites": [2],
    },
    {
        "name": "Wellness Circles",
        "description": "Facilitated peer support groups for adults, open to anyone who wants to come.",
        "offers_groups": True,
        "serves_adults": True,
        "sites": [0, 1, 2],
    },
]


class SeedRefused(Exception):
    pass


@dataclass
class SeedReport:
    size: str
    seed: int
    organisations: int = 0
    users: int = 0
    memberships: int = 0
    programs: int = 0
    sites: int = 0
    program_sites: int = 0
    supervision_links: int = 0
    audit_events: int = 0
    seconds: float = 0.0
    memberships_by_role: dict[str, int] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, int]]:
        return [
            ("organisations", self.organisations),
            ("staff users", self.users),
            ("memberships", self.memberships),
            ("supervision links", self.supervision_links),
            ("programs", self.programs),
            ("sites", self.sites),
            ("program-site links", self.program_sites),
            ("audit events", self.audit_events),
        ]


@dataclass
class _PlannedOrganisation:
    """Everything for one organisation, built in memory before any write."""

    organisation: Organisation
    sites: list[Site]
    programs: list[Program]
    program_sites: list[tuple[int, int]]  # (program index, site index)
    users: list[User]
    memberships: list[Membership]
    supervision: list[tuple[int, int]]  # (supervisor user index, peer user index)


def seed_organisations_exist() -> bool:
    return Organisation.objects.filter(slug__startswith=SLUG_PREFIX).exists()


def _decimal(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def _role_plan(staff: int) -> list[list[str]]:
    """The roles of each staff member of an organisation of ``staff`` people: mostly peers."""
    admins = 1 + staff // 50
    coordinators = max(1, staff // 20)
    supervisors = max(2, staff // 12)
    referrers = max(1, staff // 25)
    funders = 1
    peers = staff - admins - coordinators - supervisors - referrers - funders
    if peers < 1:
        raise ValueError(f"an organisation needs more than {staff} staff to have peers")
    plan: list[list[str]] = []
    plan += [[Role.ADMIN] for _ in range(admins)]
    plan[0].append(Role.COORDINATOR)  # in small programs the admin also coordinates
    plan += [[Role.COORDINATOR] for _ in range(coordinators)]
    plan += [[Role.SUPERVISOR] for _ in range(supervisors)]
    plan += [[Role.REFERRER] for _ in range(referrers)]
    plan += [[Role.FUNDER] for _ in range(funders)]
    plan += [[Role.PEER] for _ in range(peers)]
    # One supervisor still works shifts as a peer (and is supervised by another supervisor).
    plan[admins + coordinators].append(Role.PEER)
    return plan


def plan_organisation(rng: random.Random, number: int, size: SeedSize, password_hash: str) -> _PlannedOrganisation:
    """Build (without saving) organisation ``seed-<number>`` and everything in it."""
    city, region, zip_prefix, lat, lon, tz = CITIES[rng.randrange(len(CITIES))]
    slug = f"{SLUG_PREFIX}{number:04d}"
    organisation = Organisation(
        name=f"{city} {rng.choice(ORGANISATION_KINDS)} {number:04d}",
        slug=slug,
        description=(
            f"Seeded organisation {number} (benchmark data). Peer supporters in and around {city}, {region}, "
            "walking alongside people living with mental health conditions and in recovery."
        ),
        timezone=tz,
        languages=["en", "es"] if rng.random() < 0.3 else ["en"],
    )

    sites: list[Site] = []
    for kind in rng.sample(SITE_KINDS, 3):
        # Within about 5 km of the city centre: near-me searches find clusters, as in real life.
        sites.append(
            Site(
                organisation=organisation,
                name=f"{city} {kind}",
                address_line1=f"{rng.randint(1, 2400)} {rng.choice(STREETS)}",
                city=city,
                region=region,
                postcode=f"{zip_prefix}{rng.randint(0, 99):02d}",
                country="US",
                latitude=_decimal(lat + rng.uniform(-0.045, 0.045)),
                longitude=_decimal(lon + rng.uniform(-0.06, 0.06)),
                accessibility=rng.choice(
                    ["Step-free entrance, accessible restroom.", "Elevator, hearing loop.", "Ramp entrance.", ""]
                ),
            )
        )

    programs: list[Program] = []
    program_sites: list[tuple[int, int]] = []
    for p, spec in enumerate(PROGRAMS):
        fields = {k: v for k, v in spec.items() if k != "sites"}
        programs.append(Program(organisation=organisation, is_public=rng.random() > 0.1, **fields))
        program_sites += [(p, s) for s in spec["sites"]]

    staff = rng.randint(size.staff_min, size.staff_max)
    users: list[User] = []
    memberships: list[Membership] = []
    peers: list[int] = []
    supervisors: list[int] = []
    for u, roles in enumerate(_role_plan(staff)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        users.append(
            User(
                email=f"{slugify(first)}.{slugify(last)}.{u:03d}@{slug}.{EMAIL_DOMAIN}",
                full_name=f"{first} {last}",
                preferred_name=first if rng.random() < 0.2 else "",
                language="es" if rng.random() < 0.1 else "en",
                password=password_hash,
            )
        )
        for role in roles:
            memberships.append(Membership(organisation=organisation, user=users[u], role=role))
        if Role.PEER in roles:
            peers.append(u)
        if Role.SUPERVISOR in roles:
            supervisors.append(u)

    # Every peer has a supervisor (round robin); every fifth peer has a second one.
    supervision: list[tuple[int, int]] = []
    for k, peer in enumerate(peers):
        wanted = 2 if k % 5 == 0 else 1
        chosen: list[int] = []
        for offset in range(len(supervisors)):
            supervisor = supervisors[(k + offset) % len(supervisors)]
            if supervisor != peer:
                chosen.append(supervisor)
            if len(chosen) == wanted:
                break
        supervision += [(supervisor, peer) for supervisor in chosen]

    return _PlannedOrganisation(organisation, sites, programs, program_sites, users, memberships, supervision)


def load_seed(*, size: str, seed: int = DEFAULT_SEED) -> SeedReport:
    """Write ``size`` worth of seeded organisations. Refuses if any seeded organisation exists."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    started = time.perf_counter()
    report = _load(SIZES[size], seed, SeedReport(size=size, seed=seed))
    report.seconds = time.perf_counter() - started
    return report


@transaction.atomic
def _load(size: SeedSize, seed: int, report: SeedReport) -> SeedReport:
    if seed_organisations_exist():
        raise SeedRefused(
            "Seeded organisations (seed-*) already exist in this database. They cannot be removed or "
            "reloaded, because the audit log is append-only by design; run the seed against a fresh "
            "database instead (for example ALONGSIDE_VAR_DIR=/tmp/alongside-bench, or a new DATABASE_URL)."
        )
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    password_hash = make_password(None)  # one unusable hash shared by every seeded account
    plans = [plan_organisation(rng, number, size, password_hash) for number in range(1, size.organisations + 1)]

    organisations = [plan.organisation for plan in plans]
    sites = [site for plan in plans for site in plan.sites]
    programs = [program for plan in plans for program in plan.programs]
    users = [user for plan in plans for user in plan.users]
    memberships = [membership for plan in plans for membership in plan.memberships]
    through = Program.sites.through
    program_sites = [
        through(program_id=plan.programs[p].pk, site_id=plan.sites[s].pk)
        for plan in plans
        for p, s in plan.program_sites
    ]
    links = [
        SupervisionLink(organisation=plan.organisation, supervisor=plan.users[s], peer=plan.users[p])
        for plan in plans
        for s, p in plan.supervision
    ]

    batch = 1000
    Organisation.objects.bulk_create(organisations, batch_size=batch)
    User.objects.bulk_create(users, batch_size=batch)
    with unscoped("the seed bulk-loads many organisations at once, in one transaction"):
        Site.objects.bulk_create(sites, batch_size=batch)
        Program.objects.bulk_create(programs, batch_size=batch)
        through.objects.bulk_create(program_sites, batch_size=batch)
        Membership.objects.bulk_create(memberships, batch_size=batch)
        SupervisionLink.objects.bulk_create(links, batch_size=batch)
    for organisation in organisations:
        record(None, "seed.load", organisation)

    report.organisations = len(organisations)
    report.users = len(users)
    report.memberships = len(memberships)
    report.programs = len(programs)
    report.sites = len(sites)
    report.program_sites = len(program_sites)
    report.supervision_links = len(links)
    report.audit_events = AuditEvent.objects.filter(action="seed.load").count()
    by_role: dict[str, int] = {}
    for membership in memberships:
        by_role[membership.role] = by_role.get(membership.role, 0) + 1
    report.memberships_by_role = dict(sorted(by_role.items()))
    return report
