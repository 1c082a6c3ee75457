"""The demo: two organisations (``harbor`` and ``riverbend``) in one network, so isolation shows.

Idempotent: running it again changes nothing that is already there. Every write goes through the
same services as the app, so the demo's audit chain verifies like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from alongside.accounts import services
from alongside.accounts.models import Network, Organisation, Program, Role, Site, SupervisionLink, User
from alongside.core.tenancy import tenant_scope

DEMO_PASSWORD = "alongside-demo"  # noqa: S105 - documented demo password, demo setting only

NETWORK = {"name": "Tidewater Peer Support Network", "slug": "tidewater"}
NETWORK_ADMIN_EMAIL = "network-admin@tidewater.demo"

ORGANISATIONS: list[dict[str, Any]] = [
    {
        "slug": "harbor",
        "name": "Harbor Peer Collective",
        "timezone": "America/New_York",
        "languages": ["en", "es"],
        "description": (
            "A peer-run recovery community in the harbor district. Our peer supporters have lived "
            "through mental health challenges, trauma and addiction, and now walk alongside others."
        ),
        "sites": [
            {
                "name": "Harbor Wellness Center",
                "address_line1": "120 Wharf Street",
                "city": "Portland",
                "region": "ME",
                "postcode": "04101",
                "latitude": Decimal("43.656600"),
                "longitude": Decimal("-70.253300"),
                "accessibility": "Step-free entrance, accessible restroom, quiet room.",
            },
            {
                "name": "Eastside Library Community Room",
                "address_line1": "5 Congress Square",
                "city": "Portland",
                "region": "ME",
                "postcode": "04101",
                "latitude": Decimal("43.654600"),
                "longitude": Decimal("-70.262000"),
                "accessibility": "Elevator, hearing loop.",
            },
            {
                "name": "Lewiston Peer Drop-in",
                "address_line1": "36 Lisbon Street",
                "city": "Lewiston",
                "region": "ME",
                "postcode": "04240",
                "latitude": Decimal("44.097300"),
                "longitude": Decimal("-70.216100"),
                "accessibility": "Step-free entrance, accessible restroom.",
            },
            {
                "name": "Portsmouth Recovery Hub",
                "address_line1": "80 Daniel Street",
                "city": "Portsmouth",
                "region": "NH",
                "postcode": "03801",
                "latitude": Decimal("43.077700"),
                "longitude": Decimal("-70.757000"),
                "accessibility": "Ramp entrance, parking, near the bus station.",
            },
        ],
        "programs": [
            {
                "name": "Recovery Mentors",
                "description": "One-on-one peer mentorship for people in or seeking recovery from substance use.",
                "offers_mentorship": True,
                "serves_adults": True,
                "sites": ["Harbor Wellness Center"],
            },
            {
                "name": "Harbor Warm Line",
                "description": "Call or chat with a peer when you need someone to talk to. Evenings and weekends.",
                "offers_warmline": True,
                "serves_adults": True,
                "serves_youth": True,
            },
            {
                "name": "Thursday Circles",
                "description": "Facilitated peer support groups for adults and for families.",
                "offers_groups": True,
                "serves_adults": True,
                "serves_families": True,
                "sites": [
                    "Harbor Wellness Center",
                    "Eastside Library Community Room",
                    "Lewiston Peer Drop-in",
                    "Portsmouth Recovery Hub",
                ],
            },
            {
                "name": "Next Wave Youth Peers",
                "description": "Young peer mentors (18–25) supporting teens and young adults, "
                "in groups and one-on-one.",
                "offers_mentorship": True,
                "offers_groups": True,
                "serves_adults": False,
                "serves_youth": True,
                "sites": ["Eastside Library Community Room"],
            },
        ],
        "extra_peers": ["peer2", "peer3", "peer4"],
    },
    {
        "slug": "riverbend",
        "name": "Riverbend Family & Peer Support",
        "timezone": "America/Chicago",
        "languages": ["en"],
        "description": (
            "Family peer specialists and peer supporters serving the river valley: support for people "
            "living with mental health conditions and for the families who love them."
        ),
        "sites": [
            {
                "name": "Riverbend Commons",
                "address_line1": "400 River Road",
                "city": "St. Louis",
                "region": "MO",
                "postcode": "63102",
                "latitude": Decimal("38.627000"),
                "longitude": Decimal("-90.199400"),
                "accessibility": "Ramp entrance, reserved parking, ASL on request.",
            },
            {
                "name": "Kansas City Peer Outreach",
                "address_line1": "1201 Grand Boulevard",
                "city": "Kansas City",
                "region": "MO",
                "postcode": "64106",
                "latitude": Decimal("39.099700"),
                "longitude": Decimal("-94.578600"),
                "accessibility": "Elevator, accessible restroom, near the streetcar.",
            },
            {
                "name": "Springfield Family Room",
                "address_line1": "300 South Sixth Street",
                "city": "Springfield",
                "region": "IL",
                "postcode": "62701",
                "latitude": Decimal("39.798200"),
                "longitude": Decimal("-89.648600"),
                "accessibility": "Step-free entrance, childcare room.",
            },
        ],
        "programs": [
            {
                "name": "Family Navigators",
                "description": "Family peer specialists who have supported a loved one through mental illness.",
                "offers_mentorship": True,
                "offers_groups": True,
                "serves_adults": False,
                "serves_families": True,
                "sites": ["Riverbend Commons", "Springfield Family Room"],
            },
            {
                "name": "Riverbend Warm Line",
                "description": "A non-crisis line answered by peers, seven days a week.",
                "offers_warmline": True,
                "serves_adults": True,
            },
            {
                "name": "Young Adult Peer Groups",
                "description": "Weekly groups for young adults, run by youth peer specialists.",
                "offers_groups": True,
                "serves_adults": False,
                "serves_youth": True,
                "sites": ["Riverbend Commons", "Kansas City Peer Outreach"],
            },
        ],
        "extra_peers": ["peer2", "peer3"],
    },
]

ROLE_USERS = [
    ("admin", Role.ADMIN, "Dana Whitfield"),
    ("coordinator", Role.COORDINATOR, "Marcus Lee"),
    ("supervisor", Role.SUPERVISOR, "Priya Raman"),
    ("peer", Role.PEER, "Jordan Alvarez"),
    ("referrer", Role.REFERRER, "Dr. Sam Okafor"),
    ("funder", Role.FUNDER, "Alex Moreno"),
]
EXTRA_PEER_NAMES = {"peer2": "Casey Nguyen", "peer3": "Robin Taylor", "peer4": "Luz Herrera"}


@dataclass
class DemoLogin:
    email: str
    role: str
    organisation: str


class DemoRefused(Exception):
    pass


def _user(email: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = services.user_create(
            acting_user=None, email=email, password=DEMO_PASSWORD, full_name=full_name, is_demo=True
        )
    return user


def _membership(user: User, organisation: Organisation, role: str) -> None:
    services.membership_grant(acting_user=None, organisation=organisation, user=user, role=role)


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    if not settings.DEMO:
        raise DemoRefused("The demo makes accounts with a published password: set ALONGSIDE_DEMO=1 to load it.")
    logins: list[DemoLogin] = []
    network = Network.objects.filter(slug=NETWORK["slug"]).first() or Network.objects.create(**NETWORK)
    network_admin = _user(NETWORK_ADMIN_EMAIL, "Morgan Ellis")
    services.network_membership_create(acting_user=None, network=network, user=network_admin)
    logins.append(DemoLogin(NETWORK_ADMIN_EMAIL, "network admin", network.slug))

    for spec in ORGANISATIONS:
        organisation = Organisation.objects.filter(slug=spec["slug"]).first()
        if organisation is None:
            organisation = services.organisation_create(
                acting_user=None,
                name=spec["name"],
                slug=spec["slug"],
                network=network,
                timezone=spec["timezone"],
                languages=spec["languages"],
                description=spec["description"],
            )
        with tenant_scope(organisation):
            users: dict[str, User] = {}
            for key, role, name in ROLE_USERS:
                email = f"{key}@{organisation.slug}.demo"
                users[key] = _user(email, name)
                _membership(users[key], organisation, role)
                logins.append(DemoLogin(email, str(role.label), organisation.slug))
            for key in spec["extra_peers"]:
                email = f"{key}@{organisation.slug}.demo"
                users[key] = _user(email, EXTRA_PEER_NAMES[key])
                _membership(users[key], organisation, Role.PEER)
                logins.append(DemoLogin(email, str(Role.PEER.label), organisation.slug))

            sites: dict[str, Site] = {s.name: s for s in Site.objects.filter(organisation=organisation)}
            for site_spec in spec["sites"]:
                if site_spec["name"] not in sites:
                    sites[site_spec["name"]] = services.site_create(
                        acting_user=users["admin"], organisation=organisation, **site_spec
                    )
            existing = set(Program.objects.filter(organisation=organisation).values_list("name", flat=True))
            for program_spec in spec["programs"]:
                if program_spec["name"] in existing:
                    continue
                fields = {k: v for k, v in program_spec.items() if k != "sites"}
                services.program_create(
                    acting_user=users["admin"],
                    organisation=organisation,
                    sites=[sites[name] for name in program_spec.get("sites", [])],
                    **fields,
                )
            for peer_key in ["peer", *spec["extra_peers"]]:
                if not SupervisionLink.objects.filter(
                    organisation=organisation,
                    supervisor=users["supervisor"],
                    peer=users[peer_key],
                    ended_at__isnull=True,
                ).exists():
                    services.supervision_link_create(
                        acting_user=users["admin"],
                        organisation=organisation,
                        supervisor=users["supervisor"],
                        peer=users[peer_key],
                    )
    return logins
