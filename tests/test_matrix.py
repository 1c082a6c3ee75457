"""Isolation (SECURITY.md): for every registered route, every harbor role and every foreign object,
a person from harbor gets exactly what a missing id gets, and never sees riverbend's data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_scopes import scopes_disabled

from alongside.accounts import services
from alongside.accounts.models import Program, Role, Site
from alongside.audit.models import AuditEvent
from tests.conftest import ROLES
from tests.matrix import EXEMPT, ROUTES, Route, missing_like

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenants(harbor: Any, riverbend: Any) -> tuple[Any, Any]:
    for tenant in (harbor, riverbend):
        with scopes_disabled():
            services.invitation_create(
                acting_user=tenant.user("admin"),
                organisation=tenant.organisation,
                email="invitee@example.org",
                role="peer",
            )
    return harbor, riverbend


def _client(route: Route, user: Any, login_as: Any) -> Client:
    if not route.api:
        return login_as(user)
    _token, plain = services.api_token_create(acting_user=user, user=user, name="matrix")
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def _request(client: Client, route: Route, url: str, data: dict[str, Any]) -> Any:
    if route.method == "GET":
        return client.get(url)
    if route.api:
        return client.generic(route.method, url, data=json.dumps(data), content_type="application/json")
    return client.post(url, data)


def _url(route: Route, slug: str, objects: dict[str, str]) -> str:
    return reverse(route.name, kwargs={route.org_kwarg: slug, **objects})


def _snapshot() -> tuple[int, int, int]:
    """(newest audit id, number of programs, number of sites)."""
    with scopes_disabled():
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return last, Program.objects.count(), Site.objects.count()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_foreign_objects_look_missing(route: Route, role: str, tenants: Any, login_as: Any) -> None:
    harbor, riverbend = tenants
    user = harbor.user(role)
    client = _client(route, user, login_as)
    foreign_objects = route.objects(riverbend)
    # The ids came from the URL the person typed (pages may echo their own URL); the foreign
    # object's data must never appear.
    secrets = route.secrets(riverbend)
    before = _snapshot()

    # 1. riverbend's object under riverbend's prefix: the organisation itself looks missing.
    foreign = _request(client, route, _url(route, riverbend.organisation.slug, foreign_objects), route.data(harbor))
    nowhere = _request(client, route, _url(route, "no-such-org", missing_like(foreign_objects)), route.data(harbor))
    assert foreign.status_code == nowhere.status_code == 404, (foreign.status_code, nowhere.status_code)

    # 2. riverbend's object under harbor's own prefix: same answer as an id that exists nowhere.
    if foreign_objects:
        foreign_own = _request(client, route, _url(route, "harbor", foreign_objects), route.data(harbor))
        missing_own = _request(client, route, _url(route, "harbor", missing_like(foreign_objects)), route.data(harbor))
        assert foreign_own.status_code == missing_own.status_code, (foreign_own.status_code, missing_own.status_code)
        assert foreign_own.status_code in (403, 404)
        bodies = [foreign.content, foreign_own.content]
    else:
        bodies = [foreign.content]

    for body in bodies:
        text = body.decode()
        for secret in secrets:
            assert secret not in text, f"{route} leaked {secret!r} to harbor's {role}"
    # Nothing was written: no program or site, and nothing in riverbend's audit chain.
    after = _snapshot()
    assert after[1:] == before[1:]
    assert not AuditEvent.objects.filter(organisation_id=riverbend.organisation.pk, id__gt=before[0]).exists()


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found += _walk(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{prefix}{entry.name}", str(entry.pattern)))
    return found


def test_every_parameterised_route_is_in_the_matrix() -> None:
    registered = {route.name for route in ROUTES}
    missing = [
        (name, pattern)
        for name, pattern in _walk(get_resolver().url_patterns)
        if "<" in pattern and name not in registered and name not in EXEMPT
    ]
    assert not missing, f"add these routes to tests/matrix.py (or EXEMPT with a reason): {missing}"


def test_matrix_covers_every_role() -> None:
    assert set(ROLES) == set(Role.values)
