"""`alongside seed`: benchmark data loads fast, stays tenant-scoped, and keeps the audit chain whole."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes.exceptions import ScopeError

from alongside.accounts.models import Membership, Organisation, Program, Role, Site, SupervisionLink, User
from alongside.accounts.seed import SIZES, plan_organisation
from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope, unscoped

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development(settings):
    settings.DEBUG = True  # the test runner turns DEBUG off; seed only runs in development


def seed_small() -> str:
    out = StringIO()
    call_command("seed", "--size", "small", stdout=out)
    return out.getvalue()


def test_small_seed_counts_and_output():
    output = seed_small()
    orgs = list(Organisation.objects.filter(slug__startswith="seed-").order_by("slug"))
    assert [o.slug for o in orgs] == ["seed-0001", "seed-0002", "seed-0003"]
    users = User.objects.filter(email__endswith=".example.org")
    size = SIZES["small"]
    assert size.staff_min * 3 <= users.count() <= size.staff_max * 3
    assert not any(user.has_usable_password() for user in users)
    with unscoped("test: totals across the seeded organisations"):
        assert Program.objects.count() == 15
        assert Site.objects.count() == 9
        memberships = Membership.objects.count()
        links = SupervisionLink.objects.count()
    printed = dict(line.strip().rsplit(None, 1) for line in output.splitlines() if line.startswith("  "))
    assert printed["organisations"] == "3"
    assert printed["staff users"] == str(users.count())
    assert printed["memberships"] == str(memberships)
    assert printed["supervision links"] == str(links)
    assert printed["audit events"] == "3"
    assert "Elapsed:" in output


def test_each_organisation_is_complete_and_scoped():
    seed_small()
    for organisation in Organisation.objects.filter(slug__startswith="seed-"):
        with tenant_scope(organisation):
            assert Program.objects.count() == 5
            assert Site.objects.count() == 3
            assert {m.organisation_id for m in Membership.objects.all()} == {organisation.pk}
            roles = list(Membership.objects.values_list("role", flat=True))
            assert set(roles) == set(Role.values)
            assert roles.count(Role.PEER) > len(roles) / 2  # mostly peers
            peers = set(Membership.objects.filter(role=Role.PEER).values_list("user_id", flat=True))
            supervisors = set(Membership.objects.filter(role=Role.SUPERVISOR).values_list("user_id", flat=True))
            links = list(SupervisionLink.objects.all())
            assert {link.peer_id for link in links} == peers  # every peer is supervised
            assert {link.supervisor_id for link in links} <= supervisors
            assert all(link.organisation_id == organisation.pk for link in links)
            for site in Site.objects.all():
                assert -90 <= site.latitude <= 90 and -180 <= site.longitude <= 180
    with pytest.raises(ScopeError):
        Program.objects.count()


def test_seed_leaves_other_tenants_alone(harbor):
    seed_small()
    with tenant_scope(harbor.organisation):
        assert list(Program.objects.all()) == [harbor.program]
        assert Membership.objects.count() == len(harbor.users)


def test_audit_chain_verifies_with_one_event_per_organisation():
    seed_small()
    events = AuditEvent.objects.filter(action="seed.load")
    assert events.count() == 3
    assert {e.organisation_id for e in events} == set(
        Organisation.objects.filter(slug__startswith="seed-").values_list("pk", flat=True)
    )
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()


def test_second_run_refuses_and_changes_nothing():
    seed_small()
    users = User.objects.count()
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="fresh database"):
        call_command("seed", "--size", "small", stdout=StringIO())
    assert User.objects.count() == users
    assert AuditEvent.objects.count() == events


def test_same_seed_same_data():
    def plan(seed: int) -> list[tuple[str, str, object, object]]:
        planned = plan_organisation(random.Random(seed), 1, SIZES["small"], "!")
        return [(planned.organisation.name, s.name, s.latitude, s.longitude) for s in planned.sites]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)


def test_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed", "--size", "small", stdout=StringIO())
    assert not Organisation.objects.filter(slug__startswith="seed-").exists()
