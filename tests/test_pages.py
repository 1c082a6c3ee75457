"""The UI shell and organisation administration: pages, forms and their bad input."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django_scopes import ScopeError, scopes_disabled

from alongside.accounts.models import Organisation, Program, Site, SupervisionLink, User
from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope, unscoped

pytestmark = pytest.mark.django_db


# --- Public pages -----------------------------------------------------------------------------


def test_public_org_page_describes_programs_and_shows_crisis_options(client: Any, harbor: Any) -> None:
    page = client.get("/o/harbor/").content.decode()
    assert "Harbor Mentors" in page and "Harbor Center" in page
    assert "This is not a crisis service" in page
    assert 'href="tel:988"' in page and "https://988lifeline.org/chat" in page and 'href="tel:911"' in page
    assert "data-quick-exit" in page and "Skip to main content" in page
    assert "Languages: English" in page
    assert client.get("/o/no-such-org/").status_code == 404


def test_private_programs_and_sites_stay_off_the_public_page(client: Any, harbor: Any) -> None:
    with scopes_disabled():
        Program.objects.filter(pk=harbor.program.pk).update(is_public=False)
    assert "Harbor Mentors" not in client.get("/o/harbor/").content.decode()


def test_organisation_crisis_options_replace_the_defaults(client: Any, harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    data = settings_form(harbor)
    data["crisis_options"] = "call | Call Samaritans on 116 123 | 116 123\nemergency | Emergency: 999 | 999"
    assert admin.post("/app/harbor/settings/", data).status_code == 302
    page = client.get("/o/harbor/").content.decode()
    assert "Call Samaritans on 116 123" in page and 'href="tel:116123"' in page and "988" not in page


def test_spanish_switch(client: Any, harbor: Any) -> None:
    response = client.post("/language/", {"language": "es", "next": "/o/harbor/"})
    assert response.status_code == 302
    page = client.get("/o/harbor/")
    assert page["Content-Language"] == "es"
    assert "Esto no es un servicio de crisis" in page.content.decode()
    assert client.get("/language/").status_code == 405


def test_health_endpoints(client: Any, db: Any, settings: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "checks": {"database": "ok"}}
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    down = client.get("/readyz")
    assert down.status_code == 503 and down.json()["checks"] == {"database": "ok", "redis": "unavailable"}


def test_errors_are_plain_and_boring(client: Any, harbor: Any, login_as: Any) -> None:
    not_found = client.get("/definitely/not/here")
    assert not_found.status_code == 404 and "can't find that page" in not_found.content.decode()
    forbidden = login_as(harbor.user("peer")).get("/app/harbor/settings/")
    assert forbidden.status_code == 403 and "isn't part of your role" in forbidden.content.decode()


# --- Tenancy by construction -------------------------------------------------------------------


def test_tenant_models_refuse_queries_outside_a_scope(harbor: Any, riverbend: Any) -> None:
    with pytest.raises(ScopeError):
        list(Program.objects.all())
    with pytest.raises(ScopeError):
        Site.objects.count()
    with tenant_scope(harbor.organisation):
        assert list(Program.objects.all()) == [harbor.program]
        # Even a query that forgets its filter stays inside the organisation.
        assert not Program.objects.filter(pk=riverbend.program.pk).exists()
    with unscoped("test: count across organisations"):
        assert Program.objects.count() == 2
    with pytest.raises(ValueError):
        unscoped("  ").__enter__()
    with pytest.raises(ValueError):
        tenant_scope(Organisation()).__enter__()


# --- Staff home per role ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", "Running the organisation"),
        ("coordinator", "Coordinating support"),
        ("supervisor", "Your team"),
        ("peer", "Your peer support work"),
        ("referrer", "Your referrals"),
        ("funder", "Counts under 11 are hidden"),
    ],
)
def test_staff_home_per_role(role: str, expected: str, harbor: Any, login_as: Any) -> None:
    page = login_as(harbor.user(role)).get("/app/harbor/").content.decode()
    assert expected in page
    others = {"admin": "Running the organisation", "peer": "Your peer support work"}
    for other_role, text in others.items():
        if other_role != role:
            assert text not in page


def test_supervisor_sees_their_team(harbor: Any, login_as: Any) -> None:
    page = login_as(harbor.user("supervisor")).get("/app/harbor/").content.decode()
    assert harbor.user("peer").display_name in page


def test_app_home_goes_straight_to_the_only_organisation(harbor: Any, login_as: Any) -> None:
    response = login_as(harbor.user("peer")).get("/app/")
    assert response.status_code == 302 and response["Location"] == "/app/harbor/"


def test_network_admin_sees_totals_only(harbor: Any, riverbend: Any, network: Any, login_as: Any) -> None:
    from alongside.accounts import services

    admin = services.user_create(acting_user=None, email="net@testnet.test", password="x" * 16)
    services.network_membership_create(acting_user=None, network=network, user=admin)
    page = login_as(admin).get("/network/testnet/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Harbor Peers" in text and "Riverbend Peers" in text
    assert harbor.user("peer").email not in text and harbor.user("peer").display_name not in text
    assert login_as(admin).get("/app/harbor/").status_code == 404  # no organisation membership
    assert login_as(harbor.user("admin")).get("/network/testnet/").status_code == 404


# --- Programs ---------------------------------------------------------------------------------


def test_admin_adds_a_program(harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    response = admin.post(
        "/app/harbor/programs/new/",
        {
            "name": "Family Circle",
            "description": "For families.",
            "offers_groups": "on",
            "serves_families": "on",
            "is_public": "on",
            "is_active": "on",
            "sites": [str(harbor.site.pk)],
        },
    )
    assert response.status_code == 302
    with tenant_scope(harbor.organisation):
        program = Program.objects.get(name="Family Circle")
        assert program.offers_groups and program.serves_families and not program.serves_adults
        assert list(program.sites.all()) == [harbor.site]
    assert AuditEvent.objects.filter(action="program.create", object_id=str(program.pk)).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required"),
        ({"name": "X", "serves_adults": "on"}, "Choose at least one kind of support"),
        ({"name": "X", "offers_groups": "on"}, "Choose at least one group of people"),
        ({"name": "harbor mentors", "offers_groups": "on", "serves_adults": "on"}, "already has this name"),
        ({"name": "X" * 201, "offers_groups": "on", "serves_adults": "on"}, "at most 200 characters"),
        ({"name": "X", "offers_groups": "on", "serves_adults": "on", "sites": ["not-a-uuid"]}, "valid"),
    ],
)
def test_program_form_bad_input(data: dict[str, Any], message: str, harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    before = AuditEvent.objects.count()
    response = admin.post("/app/harbor/programs/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_scope(harbor.organisation):
        assert Program.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_program_form_refuses_another_organisations_site(harbor: Any, riverbend: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    response = admin.post(
        "/app/harbor/programs/new/",
        {"name": "Sneaky", "offers_groups": "on", "serves_adults": "on", "sites": [str(riverbend.site.pk)]},
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    with unscoped("test"):
        assert not Program.objects.filter(name="Sneaky").exists()


def test_program_pages_have_constant_query_counts(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    from alongside.accounts import services

    admin = harbor.user("admin")
    client = login_as(admin)
    client.get("/app/harbor/programs/")
    with django_assert_max_num_queries(12):
        client.get("/app/harbor/programs/")
    with tenant_scope(harbor.organisation):
        for i in range(15):
            services.program_create(
                acting_user=admin,
                organisation=harbor.organisation,
                name=f"Program {i}",
                offers_groups=True,
                sites=[harbor.site],
            )
    with django_assert_max_num_queries(12):
        assert client.get("/app/harbor/programs/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/app/harbor/").status_code == 200


# --- Sites ------------------------------------------------------------------------------------

SITE = {
    "name": "Riverside Hall",
    "address_line1": "9 Mill Lane",
    "city": "Springfield",
    "region": "IL",
    "postcode": "62702",
    "country": "us",
    "latitude": "39.80",
    "longitude": "-89.64",
    "is_public": "on",
    "is_active": "on",
}


def test_admin_adds_and_edits_a_site(harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    assert admin.post("/app/harbor/sites/new/", SITE).status_code == 302
    with tenant_scope(harbor.organisation):
        site = Site.objects.get(name="Riverside Hall")
    assert site.country == "US"
    assert admin.post(f"/app/harbor/sites/{site.pk}/edit/", {**SITE, "city": "Peoria"}).status_code == 302
    with tenant_scope(harbor.organisation):
        assert Site.objects.get(pk=site.pk).city == "Peoria"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"latitude": "91"}, "less than or equal to 90"),
        ({"longitude": "east"}, "Enter a number"),
        ({"country": "USA"}, "two-letter country code"),
        ({"name": ""}, "This field is required"),
        ({"name": "harbor center"}, "already has this name"),
        ({"city": ""}, "This field is required"),
    ],
)
def test_site_form_bad_input(change: dict[str, str], message: str, harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    response = admin.post("/app/harbor/sites/new/", {**SITE, **change})
    assert response.status_code == 400 and message in response.content.decode()
    with tenant_scope(harbor.organisation):
        assert Site.objects.count() == 1


# --- Settings ---------------------------------------------------------------------------------


def settings_form(tenant: Any) -> dict[str, Any]:
    org = tenant.organisation
    return {
        "name": org.name,
        "description": "We walk alongside.",
        "timezone": "America/Chicago",
        "languages": ["en", "es"],
        "crisis_options": "call | Call or text 988 | 988\nemergency | Call 911 | 911",
        "quick_exit_url": "https://www.bbc.co.uk/weather",
        "retention_notes_days": "2555",
        "retention_transcripts_days": "90",
        "retention_closed_records_days": "2555",
    }


def test_admin_changes_settings(harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    assert admin.post("/app/harbor/settings/", settings_form(harbor)).status_code == 302
    org = Organisation.objects.get(pk=harbor.organisation.pk)
    assert org.timezone == "America/Chicago" and org.languages == ["en", "es"]
    assert org.crisis_options[1] == {"kind": "emergency", "label": "Call 911", "value": "911"}
    assert AuditEvent.objects.filter(action="organisation.update_settings").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "is not a time zone name"),
        ({"crisis_options": ""}, "This field is required"),
        ({"crisis_options": "call | only two parts"}, "Line 1: write kind"),
        ({"crisis_options": "fax | Fax us | 123"}, "the kind must be one of"),
        ({"crisis_options": "chat | Chat | javascript:alert(1)"}, "use a phone number or a web address"),
        ({"retention_transcripts_days": "0"}, "greater than or equal to 1"),
        ({"retention_notes_days": "ten"}, "Enter a whole number"),
        ({"languages": ["xx"]}, "Select a valid choice"),
        ({"quick_exit_url": "not a url"}, "Enter a valid URL"),
    ],
)
def test_settings_bad_input(change: dict[str, Any], message: str, harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    before = Organisation.objects.get(pk=harbor.organisation.pk)
    response = admin.post("/app/harbor/settings/", {**settings_form(harbor), **change})
    assert response.status_code == 400 and message in response.content.decode(), response.content.decode()[-3000:]
    after = Organisation.objects.get(pk=harbor.organisation.pk)
    assert (after.timezone, after.crisis_options) == (before.timezone, before.crisis_options)


# --- Staff and supervision --------------------------------------------------------------------


def test_admin_links_a_supervisor(harbor: Any, login_as: Any) -> None:
    from alongside.accounts import services

    peer = harbor.user("peer")
    with tenant_scope(harbor.organisation):
        other = services.user_create(acting_user=None, email="sup2@harbor.test", password="x" * 16)
        services.membership_grant(acting_user=None, organisation=harbor.organisation, user=other, role="supervisor")
    admin = login_as(harbor.user("admin"))
    response = admin.post(f"/app/harbor/staff/{peer.pk}/supervisors/", {"supervisor": str(other.pk)})
    assert response.status_code == 302
    with tenant_scope(harbor.organisation):
        assert SupervisionLink.objects.filter(supervisor=other, peer=peer, ended_at__isnull=True).exists()
    # Only supervisors can supervise; a peer picked as supervisor is refused.
    bad = admin.post(f"/app/harbor/staff/{other.pk}/supervisors/", {"supervisor": str(peer.pk)}, follow=True)
    assert "Choose a supervisor" in bad.content.decode()
    missing = admin.post(f"/app/harbor/staff/{peer.pk}/supervisors/", {"supervisor": "nope"})
    assert missing.status_code == 404


def test_roles_form_rejects_unknown_roles(harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin"))
    response = admin.post(f"/app/harbor/staff/{harbor.user('peer').pk}/", {"roles": ["overlord"]})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


# --- Account page -----------------------------------------------------------------------------


def test_profile_and_tokens(harbor: Any, login_as: Any) -> None:
    user = harbor.user("peer")
    client = login_as(user)
    bad = client.post(
        "/accounts/account/", {"form": "profile", "full_name": "J", "preferred_name": "Jo", "language": "klingon"}
    )
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()
    ok = client.post(
        "/accounts/account/", {"form": "profile", "full_name": "Jordan A", "preferred_name": "Jo", "language": "es"}
    )
    assert ok.status_code == 302
    assert User.objects.get(pk=user.pk).preferred_name == "Jo"
    empty = client.post("/accounts/account/tokens/", {"name": ""}, follow=True)
    assert "Give the token a name" in empty.content.decode()
    made = client.post("/accounts/account/tokens/", {"name": "my script"})
    assert made.status_code == 200 and "als_" in made.content.decode()
    from alongside.accounts.models import APIToken

    token = APIToken.objects.get(user=user)
    other = login_as(harbor.user("coordinator"))
    assert other.post(f"/accounts/account/tokens/{token.pk}/revoke/").status_code == 404  # not theirs
    assert client.post(f"/accounts/account/tokens/{token.pk}/revoke/").status_code == 302
    assert APIToken.objects.get(pk=token.pk).revoked_at is not None


# --- Demo and migrations ----------------------------------------------------------------------


def test_demo_is_idempotent_and_refused_without_the_setting(db: Any, settings: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ALONGSIDE_DEMO"):
        call_command("demo", stdout=StringIO())
    settings.DEMO = True
    out = StringIO()
    call_command("demo", stdout=out)
    assert "admin@harbor.demo" in out.getvalue() and "funder@riverbend.demo" in out.getvalue()
    counts = (User.objects.count(), AuditEvent.objects.count())
    call_command("demo", stdout=StringIO())
    assert (User.objects.count(), AuditEvent.objects.count()) == counts
    with unscoped("test"):
        assert Program.objects.filter(organisation__slug="harbor").count() >= 3
        assert {o.slug for o in Organisation.objects.all()} >= {"harbor", "riverbend"}
    assert User.objects.filter(is_demo=True).count() == User.objects.count()
    call_command("audit", "verify", stdout=StringIO())


def test_no_missing_migrations(db: Any) -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db: Any) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


def test_json_is_never_html(client: Any, db: Any) -> None:
    assert json.loads(client.get("/healthz").content) == {"status": "ok"}


def test_archived_programs_are_hidden_from_those_who_cannot_change_them(harbor: Any, login_as: Any) -> None:
    with scopes_disabled():
        Program.objects.filter(pk=harbor.program.pk).update(is_active=False)
    url = f"/app/harbor/programs/{harbor.program.pk}/"
    assert login_as(harbor.user("peer")).get(url).status_code == 404
    assert "Harbor Mentors" not in login_as(harbor.user("peer")).get("/app/harbor/programs/").content.decode()
    assert login_as(harbor.user("admin")).get(url).status_code == 200


def test_staff_pages_page_and_offer_only_supervisors(harbor: Any, login_as: Any) -> None:
    from alongside.accounts import services

    with tenant_scope(harbor.organisation):
        for i in range(55):
            user = services.user_create(acting_user=None, email=f"peer{i:02d}@harbor.test", password=None)
            services.membership_grant(acting_user=None, organisation=harbor.organisation, user=user, role="peer")
    admin = login_as(harbor.user("admin"))
    first = admin.get("/app/harbor/staff/").content.decode()
    assert "Page 1 of 2" in first and first.count("/app/harbor/staff/") >= 50
    second = admin.get("/app/harbor/staff/?page=2").content.decode()
    assert "Page 2 of 2" in second
    detail = admin.get(f"/app/harbor/staff/{harbor.user('peer').pk}/").content.decode()
    assert f'<option value="{harbor.user("supervisor").pk}">' in detail
    assert f'<option value="{harbor.user("coordinator").pk}">' not in detail


def test_the_public_org_page_lists_its_public_groups_and_the_home_page_links_the_directory(
    client: Any, harbor: Any
) -> None:
    from alongside.directory.sync import reindex
    from tests.groups.helpers import make_group, make_schedule

    with scopes_disabled():
        listed = make_group(harbor, "Tuesday Circle")
        make_schedule(listed)
        make_schedule(make_group(harbor, "Quiet Circle", is_public=False))
    reindex()
    page = client.get("/o/harbor/").content.decode()
    assert 'href="/directory/groups/harbor/tuesday-circle/"' in page
    assert "/directory/groups/harbor/quiet-circle/" not in page  # not listed publicly
    assert 'href="/directory/"' in client.get("/").content.decode()


def test_staff_home_links_to_the_work_instead_of_promising_it(harbor: Any, login_as: Any) -> None:
    coordinator = login_as(harbor.user("coordinator")).get("/app/harbor/").content.decode()
    for path in ("/app/harbor/intake/", "/app/harbor/warmline/shifts/"):
        assert f'href="{path}"' in coordinator, path
    peer = login_as(harbor.user("peer")).get("/app/harbor/").content.decode()
    assert 'href="/app/harbor/my-profile/"' in peer and "will appear here" not in peer + coordinator
