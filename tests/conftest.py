"""Personas and fixtures shared by the whole suite.

Two organisations, ``harbor`` and ``riverbend``, each with one person per role. ``outsider`` is
riverbend's admin: every test of a harbor object also asks what the outsider gets (404).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scopes_disabled

from alongside.accounts import services
from alongside.accounts.models import Network, Organisation, Program, Role, Site, User
from alongside.core.testing import verified_client

PASSWORD = "correct horse battery staple"
ROLES = [r.value for r in Role]


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings: Any) -> None:
    # Argon2 is slow by design; tests that check it ask for it explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEMO = False


@pytest.fixture(autouse=True)
def _no_scope_leaks() -> Iterator[None]:
    """A tenant scope must never outlive the request or command that entered it."""
    from django_scopes.state import get_scope

    yield
    assert not get_scope().get("_enabled"), "a tenant scope leaked out of a test"


@dataclass
class Tenant:
    organisation: Organisation
    users: dict[str, User]
    program: Program
    site: Site

    def user(self, role: str) -> User:
        return self.users[role]


_counter = itertools.count()


def make_tenant(slug: str, network: Network | None = None) -> Tenant:
    with scopes_disabled():
        organisation = services.organisation_create(
            acting_user=None, name=f"{slug.title()} Peers", slug=slug, network=network
        )
        users: dict[str, User] = {}
        for role in ROLES:
            user = services.user_create(
                acting_user=None,
                email=f"{role}@{slug}.test",
                password=PASSWORD,
                full_name=f"{role.title()} {slug.title()}",
            )
            services.membership_grant(acting_user=None, organisation=organisation, user=user, role=role)
            users[role] = user
        site = services.site_create(
            acting_user=users["admin"],
            organisation=organisation,
            name=f"{slug.title()} Center",
            address_line1="1 Main Street",
            city="Springfield",
            region="IL",
            postcode="62701",
            latitude=Decimal("39.781700"),
            longitude=Decimal("-89.650100"),
        )
        program = services.program_create(
            acting_user=users["admin"],
            organisation=organisation,
            name=f"{slug.title()} Mentors",
            offers_mentorship=True,
            serves_adults=True,
            sites=[site],
        )
        services.supervision_link_create(
            acting_user=users["admin"], organisation=organisation, supervisor=users["supervisor"], peer=users["peer"]
        )
    return Tenant(organisation, users, program, site)


@pytest.fixture
def network(db: Any) -> Network:
    return Network.objects.create(name="Test Network", slug="testnet")


@pytest.fixture
def harbor(db: Any, network: Network) -> Tenant:
    return make_tenant("harbor", network)


@pytest.fixture
def riverbend(db: Any, network: Network) -> Tenant:
    return make_tenant("riverbend", network)


@pytest.fixture
def outsider(riverbend: Tenant) -> User:
    """An admin of the *other* organisation: must never see harbor's data."""
    return riverbend.user("admin")


signed_in_client = verified_client


@pytest.fixture
def login_as() -> Any:
    return signed_in_client
