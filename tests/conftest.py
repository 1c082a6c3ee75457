"""Personas and fixtures shared by the whole suite.

Two organisations, ``harbor`` and ``riverbend``, each with one person per role. ``outsider`` is
riverbend's admin: every test of a harbor object also asks what the outsider gets (404).

The suite runs in several processes at once (pytest-xdist, ``make test``). pytest-django gives each
worker its own test database; anything else a test names outside its own process (a database of its
own, Redis keys, a port) takes ``worker_tag()`` or a fresh name, and files go under ``tmp_path``.
Hypothesis keeps its example database in ``.hypothesis/`` and shares it safely: each property test
runs in one worker only, and examples are written to a temporary file and renamed into place.
"""

from __future__ import annotations

import importlib
import itertools
import os
import re
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


def worker_tag() -> str:
    """A name part unique to this test process: the xdist worker (``gw0``, ``gw1``; ``main`` when not
    parallel) and the process id, so neither another worker nor another run on the machine shares it."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--dist loadgroup`` (``make test``) runs the tests marked ``xdist_group("name")`` on one worker.

    pytest-xdist 3.8 tells its scheduler by appending ``@name`` to those tests' node ids, which pytest
    9.2's structured node ids silently ignore (pytest-xdist#1386): the tests would be spread like
    ``--dist load``. Until xdist is fixed the suffix goes on here, and collection stops if it cannot."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        return
    from _pytest.nodeid import NodeId

    for item in items:
        marks = item.iter_markers("xdist_group")
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks})
        if not names or item.nodeid.rfind("@") > item.nodeid.rfind("]"):  # ungrouped, or xdist did it
            continue
        grouped = f"{item.nodeid}@{'_'.join(names)}"
        item._id = NodeId.parse(grouped)  # type: ignore[attr-defined]
        if item.nodeid != grouped:
            raise pytest.UsageError(f"cannot put {item.nodeid} in its xdist_group; run with --dist load")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """pytest-django names each worker's test database after the worker (``test_alongside_gw0``), the same
    in every run, so two runs on one PostgreSQL server at once (two people on one machine) collide.
    ``ALONGSIDE_TEST_DB_SUFFIX=<name>`` gives a run names of its own (``test_alongside_gw0_<name>``);
    keep using the same name, so that a killed run's databases are replaced by the next run's."""
    suffix = os.environ.get("ALONGSIDE_TEST_DB_SUFFIX", "")
    if suffix:
        if not re.fullmatch(r"[a-z0-9_]{1,20}", suffix):
            raise pytest.UsageError("ALONGSIDE_TEST_DB_SUFFIX: up to 20 lower-case letters, digits or _")
        from pytest_django.fixtures import _set_suffix_to_test_databases

        _set_suffix_to_test_databases(suffix=suffix)


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


# --- Tests that commit for real ------------------------------------------------------------------
# Threads racing for a row lock, sockets and the live server see only committed rows, so those tests
# use transactional_db, and pytest-django empties the database after each one with Django's flush.
# The audit table refuses DELETE and TRUNCATE by database trigger (audit migration 0002), which
# would make every flush fail. ``committing_db`` keeps the triggers in place while the test runs,
# lifts them just for the flush, and puts them back when the module is done, before any other test
# in this worker uses the database.
_AUDIT_TRIGGERS = importlib.import_module("alongside.audit.migrations.0002_append_only_triggers")


def set_audit_triggers(*, present: bool) -> None:
    from django.db import connection

    vendor = connection.vendor
    remove = {"sqlite": _AUDIT_TRIGGERS.SQLITE_REVERSE, "postgresql": _AUDIT_TRIGGERS.POSTGRES_REVERSE}.get(vendor, [])
    create = {"sqlite": _AUDIT_TRIGGERS.SQLITE, "postgresql": _AUDIT_TRIGGERS.POSTGRES}.get(vendor, [])
    with connection.cursor() as cursor:
        for statement in remove + (create if present else []):
            cursor.execute(statement)


@pytest.fixture(scope="module")
def _audit_triggers_back_after_module(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        set_audit_triggers(present=True)


@pytest.fixture
def committing_db(_audit_triggers_back_after_module: None, transactional_db: Any) -> Iterator[None]:
    # Set up after transactional_db, so torn down (triggers lifted) just before its flush.
    set_audit_triggers(present=True)
    yield
    set_audit_triggers(present=False)


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_teardown(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Socket tests run consumers in the event loop's thread pool, whose threads keep their own
    database connections (the tests stop Channels from closing them between frames). On PostgreSQL
    those would keep the test database from being dropped at the end, so they are ended first."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
