"""``/api/v1/``: bearer tokens, ``/me``, the programs endpoints, isolation, audit and cache headers."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from alongside.accounts import services
from alongside.accounts.models import APIToken, Program, User
from alongside.audit.models import AuditEvent
from tests.api.helpers import (
    API,
    ApiClient,
    audit_count,
    make_token,
    program_count,
    program_url,
    programs_url,
    valid_body,
)
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db

ApiAs = Callable[[User], ApiClient]

# Roles that may read programs / add them (tests/test_policy.py holds the full table).
PROGRAM_READERS = {"admin", "coordinator", "supervisor", "peer", "funder"}
PROGRAM_WRITERS = {"admin"}
ROLES = ["admin", "coordinator", "supervisor", "peer", "referrer", "funder"]


def _operations(tenant: Tenant) -> list[tuple[str, str, Any]]:
    """Every API operation as (method, path, body)."""
    return [
        ("get", f"{API}/me", None),
        ("get", programs_url(), None),
        ("get", program_url(tenant.program.pk), None),
        ("post", programs_url(), valid_body()),
    ]


def _call(client: ApiClient, method: str, path: str, body: Any) -> Any:
    return client.post(path, body) if method == "post" else client.get(path)


def _assert_unauthorised(response: Any) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "A valid API token is required."}


# --- Bearer tokens ---------------------------------------------------------------------------


def test_no_token_is_401_on_every_operation(harbor: Tenant) -> None:
    before = program_count()
    for method, path, body in _operations(harbor):
        _assert_unauthorised(_call(ApiClient(), method, path, body))
    assert program_count() == before


def test_valid_token_works_and_records_last_use(harbor: Tenant) -> None:
    user = harbor.user("peer")
    token = make_token(user)
    response = ApiClient(token).get(f"{API}/me")
    assert response.status_code == 200
    assert response.json()["id"] == str(user.pk)
    assert APIToken.objects.get(user=user).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic cGVlckBoYXJib3IudGVzdDpjb3JyZWN0IGhvcnNl",
        "Token {token}",
        "{token}",
        "Bearer  {token}",
        "Bearer {token}x",
        "Bearer {token_without_prefix}",
        "Bearer {token_hash}",
        "Bearer als_",
        "Bearer als_" + "A" * 200,
        "Bearer als_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_or_unknown_token_is_401(harbor: Tenant, header: str) -> None:
    token = make_token(harbor.user("admin"))
    value = header.format(
        token=token,
        token_without_prefix=token.removeprefix("als_"),
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    response = ApiClient().get(f"{API}/me", HTTP_AUTHORIZATION=value)
    _assert_unauthorised(response)
    # The same token, well formed, does work: the refusal was about the header, not the account.
    assert ApiClient(token).get(f"{API}/me").status_code == 200


def test_revoked_token_is_401_and_other_tokens_still_work(harbor: Tenant) -> None:
    user = harbor.user("admin")
    revoked, kept = make_token(user, "laptop"), make_token(user, "server")
    assert ApiClient(revoked).get(f"{API}/me").status_code == 200
    services.api_token_revoke(acting_user=user, token=APIToken.objects.get(user=user, name="laptop"))
    for method, path, body in _operations(harbor):
        _assert_unauthorised(_call(ApiClient(revoked), method, path, body))
    assert ApiClient(kept).get(f"{API}/me").status_code == 200


def test_deactivated_users_token_is_401(harbor: Tenant) -> None:
    user = harbor.user("coordinator")
    token = make_token(user)
    assert ApiClient(token).get(programs_url()).status_code == 200
    services.user_deactivate(acting_user=harbor.user("admin"), user=user)
    for method, path, body in _operations(harbor):
        _assert_unauthorised(_call(ApiClient(token), method, path, body))


def test_signed_in_session_without_token_is_401(harbor: Tenant, login_as: Any) -> None:
    """The API takes bearer tokens only: a browser session cookie (and so CSRF) opens nothing."""
    client = login_as(harbor.user("admin"))
    _assert_unauthorised(client.get(f"{API}/me"))
    before = program_count()
    _assert_unauthorised(client.post(programs_url(), valid_body(), content_type="application/json"))
    assert program_count() == before


def test_tokens_are_stored_only_as_sha256(harbor: Tenant) -> None:
    user = harbor.user("peer")
    stored, plain = services.api_token_create(acting_user=user, user=user, name="phone")
    assert plain.startswith("als_") and len(plain) > 40
    stored.refresh_from_db()
    assert stored.token_hash == hashlib.sha256(plain.encode("utf-8")).hexdigest()
    assert stored.prefix == plain[:12]
    for field in APIToken._meta.concrete_fields:
        assert plain not in str(getattr(stored, field.attname)), field.name
    # Nowhere else either: no table, no column (audit rows included) holds the raw token.
    secret = plain[12:]  # the part after the displayed prefix
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                assert not any(secret in str(value) for value in row), f"raw token found in {table}"


# --- /me ---------------------------------------------------------------------------------------


def _membership(tenant: Tenant, roles: list[str]) -> dict[str, Any]:
    org = tenant.organisation
    return {"organisation": {"id": str(org.pk), "slug": org.slug, "name": org.name}, "roles": roles}


def _foreign_markers(tenant: Tenant) -> list[str]:
    """Strings that must never appear in the other organisation's responses."""
    with scopes_disabled():
        return [
            str(tenant.organisation.pk),
            tenant.organisation.slug,
            tenant.organisation.name,
            str(tenant.program.pk),
            tenant.program.name,
            str(tenant.site.pk),
            tenant.site.name,
            *[str(u.pk) for u in tenant.users.values()],
            *[u.email for u in tenant.users.values()],
        ]


def test_me_is_exactly_the_caller_and_their_memberships(harbor: Tenant, riverbend: Tenant, api_as: ApiAs) -> None:
    peer = harbor.user("peer")
    response = api_as(peer).get(f"{API}/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(peer.pk),
        "email": "peer@harbor.test",
        "full_name": "Peer Harbor",
        "preferred_name": "",
        "language": "en",
        "memberships": [_membership(harbor, ["peer"])],
        "networks": [],
    }
    text = response.content.decode()
    assert "password" not in text
    for marker in _foreign_markers(riverbend):
        assert marker not in text


def test_me_of_the_outsider_shows_nothing_of_harbor(harbor: Tenant, riverbend: Tenant, outsider: User) -> None:
    response = ApiClient(make_token(outsider)).get(f"{API}/me")
    assert response.json()["memberships"] == [_membership(riverbend, ["admin"])]
    for marker in _foreign_markers(harbor):
        assert marker not in response.content.decode()


def test_me_lists_every_role_and_organisation_but_not_ended_memberships(harbor: Tenant, riverbend: Tenant) -> None:
    user = harbor.user("peer")
    with scopes_disabled():
        services.membership_grant(acting_user=None, organisation=harbor.organisation, user=user, role="coordinator")
        services.membership_grant(acting_user=None, organisation=riverbend.organisation, user=user, role="funder")
    memberships = ApiClient(make_token(user)).get(f"{API}/me").json()["memberships"]
    assert sorted(memberships, key=lambda m: m["organisation"]["slug"]) == [
        _membership(harbor, ["coordinator", "peer"]),
        _membership(riverbend, ["funder"]),
    ]
    with scopes_disabled():
        user.memberships.filter(organisation=riverbend.organisation).update(is_active=False)
    memberships = ApiClient(make_token(user)).get(f"{API}/me").json()["memberships"]
    assert memberships == [_membership(harbor, ["coordinator", "peer"])]


# --- Programs: list and paging -----------------------------------------------------------------


def _program_json(program: Program) -> dict[str, Any]:
    with scopes_disabled():
        site_ids = sorted(str(s.pk) for s in program.sites.all())
    models = [
        m
        for m, f in [("mentorship", "offers_mentorship"), ("groups", "offers_groups"), ("warmline", "offers_warmline")]
        if getattr(program, f)
    ]
    audiences = [
        a
        for a, f in [("adults", "serves_adults"), ("youth", "serves_youth"), ("families", "serves_families")]
        if getattr(program, f)
    ]
    return {
        "id": str(program.pk),
        "name": program.name,
        "description": program.description,
        "models": models,
        "audiences": audiences,
        "is_public": program.is_public,
        "is_active": program.is_active,
        "site_ids": site_ids,
    }


def _add_programs(tenant: Tenant, names: list[str], **fields: Any) -> list[Program]:
    with scopes_disabled():
        return [
            services.program_create(
                acting_user=tenant.user("admin"),
                organisation=tenant.organisation,
                name=name,
                offers_groups=True,
                serves_youth=True,
                **fields,
            )
            for name in names
        ]


@pytest.mark.parametrize("role", ROLES)
def test_program_list_by_role(harbor: Tenant, riverbend: Tenant, api_as: ApiAs, role: str) -> None:
    response = api_as(harbor.user(role)).get(programs_url())
    if role not in PROGRAM_READERS:
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to do this."}
        return
    assert response.status_code == 200
    assert response.json() == {"count": 1, "items": [_program_json(harbor.program)]}
    for marker in _foreign_markers(riverbend):
        assert marker not in response.content.decode()


def test_program_list_pages(harbor: Tenant, api_as: ApiAs) -> None:
    _add_programs(harbor, [f"Group {i:02d}" for i in range(6)])
    client = api_as(harbor.user("peer"))
    everything = client.get(programs_url()).json()
    assert everything["count"] == 7 and len(everything["items"]) == 7
    names = [p["name"] for p in everything["items"]]
    assert names == sorted(names)

    seen: list[str] = []
    for offset in range(0, 7, 3):
        page = client.get(programs_url(), {"limit": 3, "offset": offset}).json()
        assert page["count"] == 7
        assert len(page["items"]) == min(3, 7 - offset)
        seen += [p["name"] for p in page["items"]]
    assert seen == names
    assert client.get(programs_url(), {"limit": 3, "offset": 50}).json() == {"count": 7, "items": []}
    assert len(client.get(programs_url(), {"limit": 100}).json()["items"]) == 7


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 100_000}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "x"}, "offset"),
    ],
)
def test_program_list_bad_paging_is_400(harbor: Tenant, api_as: ApiAs, params: dict[str, Any], field: str) -> None:
    response = api_as(harbor.user("peer")).get(programs_url(), params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert list(body["errors"]) == [field]
    assert body["errors"][field] and all(isinstance(m, str) and m for m in body["errors"][field])


def test_page_size_cap_follows_the_setting(harbor: Tenant, api_as: ApiAs, settings: Any) -> None:
    assert settings.API_MAX_PAGE_SIZE == 100
    client = api_as(harbor.user("peer"))
    assert client.get(programs_url(), {"limit": settings.API_MAX_PAGE_SIZE}).status_code == 200
    response = client.get(programs_url(), {"limit": settings.API_MAX_PAGE_SIZE + 1})
    assert response.status_code == 400
    assert "100" in response.json()["errors"]["limit"][0]


def test_inactive_programs_are_listed_for_admins_only(harbor: Tenant, api_as: ApiAs) -> None:
    _add_programs(harbor, ["Paused Circle"], is_active=False)
    admin_names = [p["name"] for p in api_as(harbor.user("admin")).get(programs_url()).json()["items"]]
    peer_names = [p["name"] for p in api_as(harbor.user("peer")).get(programs_url()).json()["items"]]
    assert "Paused Circle" in admin_names
    assert "Paused Circle" not in peer_names


# --- Programs: detail and isolation ------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_program_detail_by_role(harbor: Tenant, api_as: ApiAs, role: str) -> None:
    response = api_as(harbor.user(role)).get(program_url(harbor.program.pk))
    if role in PROGRAM_READERS:
        assert response.status_code == 200
        assert response.json() == _program_json(harbor.program)
    else:
        assert response.status_code == 403


def test_outsider_gets_the_same_404_as_for_anything_missing(harbor: Tenant, riverbend: Tenant, outsider: User) -> None:
    client = ApiClient(make_token(outsider))
    missing = [
        client.get(programs_url("no-such-org")),
        client.get(program_url(uuid.uuid4(), "no-such-org")),
        client.get(program_url(uuid.uuid4(), "riverbend")),  # own organisation, missing program
        client.get(program_url(harbor.program.pk, "riverbend")),  # harbor's program under own slug
    ]
    foreign = [
        client.get(programs_url("harbor")),
        client.get(program_url(harbor.program.pk, "harbor")),
        client.get(program_url(riverbend.program.pk, "harbor")),
        client.get(program_url(uuid.uuid4(), "harbor")),
    ]
    reference = missing[0]
    assert reference.status_code == 404
    assert reference.json() == {"detail": "Not found."}
    for response in missing + foreign:
        assert response.status_code == 404
        assert response.content == reference.content
        assert response["Content-Type"] == reference["Content-Type"]
        for marker in _foreign_markers(harbor):
            assert marker not in response.content.decode()


def test_member_asking_for_another_organisations_program_gets_404(
    harbor: Tenant, riverbend: Tenant, api_as: ApiAs
) -> None:
    client = api_as(harbor.user("admin"))
    foreign = client.get(program_url(riverbend.program.pk))
    missing = client.get(program_url(uuid.uuid4()))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert str(riverbend.program.pk) not in foreign.content.decode()


def test_program_id_that_is_not_a_uuid_is_400_naming_the_field(harbor: Tenant, api_as: ApiAs) -> None:
    response = api_as(harbor.user("peer")).get(program_url("not-a-uuid"))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["program_id"]


# --- Programs: create --------------------------------------------------------------------------


def test_admin_creates_a_program(harbor: Tenant, api_as: ApiAs) -> None:
    body = valid_body(
        name="Night Owls",
        description="Evening calls for anyone awake and worried.",
        models=["warmline", "groups"],
        audiences=["youth", "families"],
        is_public=False,
        site_ids=[str(harbor.site.pk)],
    )
    response = api_as(harbor.user("admin")).post(programs_url(), body)
    assert response.status_code == 201
    data = response.json()
    with scopes_disabled():
        program = Program.objects.get(pk=data["id"])
        assert program.organisation_id == harbor.organisation.pk
        assert list(program.sites.all()) == [harbor.site]
    assert (program.offers_mentorship, program.offers_groups, program.offers_warmline) == (False, True, True)
    assert (program.serves_adults, program.serves_youth, program.serves_families) == (False, True, True)
    assert program.is_public is False and program.is_active is True
    assert data == _program_json(program)
    assert data["models"] == ["groups", "warmline"]
    assert data["site_ids"] == [str(harbor.site.pk)]
    # It is readable straight away.
    assert api_as(harbor.user("peer")).get(program_url(program.pk)).json() == data


def test_create_defaults_and_boundaries(harbor: Tenant, api_as: ApiAs) -> None:
    client = api_as(harbor.user("admin"))
    response = client.post(programs_url(), valid_body(name="  Padded  ", models=["groups", "groups"]))
    assert response.status_code == 201
    data = response.json()
    assert data["name"] == "Padded"
    assert data["description"] == "" and data["is_public"] is True and data["site_ids"] == []
    assert data["models"] == ["groups"]
    longest = "x" * 200
    assert client.post(programs_url(), valid_body(name=longest, description="d" * 4000)).status_code == 201


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_create_programs(harbor: Tenant, api_as: ApiAs, role: str) -> None:
    before, audits_before = program_count(), audit_count("program.create")
    response = api_as(harbor.user(role)).post(programs_url(), valid_body(name=f"By {role}"))
    if role in PROGRAM_WRITERS:
        assert response.status_code == 201
        assert program_count() == before + 1
        return
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to do this."}
    assert program_count() == before
    assert audit_count("program.create") == audits_before


def test_outsider_create_is_404_like_a_missing_organisation(harbor: Tenant, riverbend: Tenant, outsider: User) -> None:
    client = ApiClient(make_token(outsider))
    before, audits_before = program_count(), audit_count("program.create")
    foreign = client.post(programs_url("harbor"), valid_body(site_ids=[str(harbor.site.pk)]))
    missing = client.post(programs_url("no-such-org"), valid_body(site_ids=[str(harbor.site.pk)]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert program_count() == before
    assert audit_count("program.create") == audits_before
    for marker in _foreign_markers(harbor):
        assert marker not in foreign.content.decode()


def test_foreign_site_answers_like_a_missing_site(harbor: Tenant, riverbend: Tenant, outsider: User) -> None:
    """Riverbend's admin naming harbor's site in their own organisation learns nothing about it."""
    client = ApiClient(make_token(outsider))
    foreign = client.post(programs_url("riverbend"), valid_body(site_ids=[str(harbor.site.pk)]))
    missing = client.post(programs_url("riverbend"), valid_body(site_ids=[str(uuid.uuid4())]))
    assert foreign.status_code == missing.status_code == 400
    assert foreign.content == missing.content
    assert list(foreign.json()["errors"]) == ["site_ids"]
    assert str(harbor.site.pk) not in foreign.content.decode()


# --- Audit -------------------------------------------------------------------------------------


def test_create_writes_exactly_one_audit_row_without_content(harbor: Tenant, api_as: ApiAs) -> None:
    admin = harbor.user("admin")
    client = api_as(admin)
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    name, description = "Quiet Harbour Walkers", "Walks by the water, Tuesdays."
    response = client.post(programs_url(), valid_body(name=name, description=description))
    assert response.status_code == 201
    program_id = response.json()["id"]

    events = list(AuditEvent.objects.filter(id__gt=last_id))
    assert len(events) == 1
    event = events[0]
    assert event.action == "program.create"
    assert event.actor_id == admin.pk
    assert event.actor_role == "admin"
    assert event.organisation_id == harbor.organisation.pk
    assert event.object_type == "accounts.program"
    assert event.object_id == program_id
    assert event.request_id == response["X-Request-ID"]
    assert event.hash == event.compute_hash()
    for field in AuditEvent._meta.concrete_fields:
        value = str(getattr(event, field.attname))
        for content in (name, description, "Quiet", "Walkers"):
            assert content not in value, (field.name, content)


def test_reads_write_no_program_audit_rows(harbor: Tenant, api_as: ApiAs) -> None:
    client = api_as(harbor.user("peer"))
    before = audit_count("program.create")
    client.get(programs_url())
    client.get(program_url(harbor.program.pk))
    assert audit_count("program.create") == before


# --- Headers -----------------------------------------------------------------------------------


def test_every_api_response_is_no_store(harbor: Tenant, outsider: User) -> None:
    admin = make_token(harbor.user("admin"))
    responses = {
        "me": ApiClient(admin).get(f"{API}/me"),
        "list": ApiClient(admin).get(programs_url()),
        "detail": ApiClient(admin).get(program_url(harbor.program.pk)),
        "create": ApiClient(admin).post(programs_url(), valid_body()),
        "400": ApiClient(admin).post(programs_url(), {}),
        "401": ApiClient().get(f"{API}/me"),
        "403": ApiClient(make_token(harbor.user("peer"))).post(programs_url(), valid_body(name="x")),
        "404": ApiClient(make_token(outsider)).get(programs_url()),
        "root": ApiClient(admin).get(f"{API}/"),
        "openapi": ApiClient().get(f"{API}/openapi.json"),
        "docs": ApiClient().get(f"{API}/docs"),
    }
    for name, response in responses.items():
        cache_control = [part.strip() for part in response["Cache-Control"].split(",")]
        assert "no-store" in cache_control, name
        assert "private" in cache_control, name
        assert response["X-Content-Type-Options"] == "nosniff", name
    assert responses["create"].status_code == 201
    assert responses["403"].status_code == 403 and responses["404"].status_code == 404


def test_token_header_is_not_echoed(harbor: Tenant) -> None:
    token = make_token(harbor.user("admin"))
    for response in (
        ApiClient(token).get(f"{API}/me"),
        ApiClient().get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {token}x"),
    ):
        assert token not in response.content.decode()
        assert all(token not in value for value in response.headers.values())


@pytest.mark.django_db
def test_a_half_signed_in_browser_session_does_not_block_a_valid_token(harbor):
    from django.test import Client

    from alongside.accounts import services

    user = harbor.user("peer")
    _token, plain = services.api_token_create(acting_user=user, user=user, name="cli")
    client = Client()
    client.post("/accounts/login/", {"username": user.email, "password": "correct horse battery staple"})
    assert client.get("/app/harbor/").status_code == 302  # the session has not passed the second factor
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200 and response.json()["email"] == user.email
    # And a session alone never authenticates the API.
    assert client.get("/api/v1/me").status_code == 401
