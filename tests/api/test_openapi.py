"""The OpenAPI document and the docs page: complete, bearer everywhere, same-origin assets only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from alongside.core.policy import API as API_POLICY
from alongside.core.policy import PUBLIC
from tests.api.helpers import API

pytestmark = pytest.mark.django_db

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Django Ninja's own views: the document, the docs page and the prefix marker (always 404).
NOT_OPERATIONS = {"openapi-json", "openapi-view", "api-root"}
# The only public operations: the directory as HSDS 3.0, read-only (alongside/directory/hsds_api.py).
PUBLIC_PREFIX = "/api/v1/hsds/"
EXPECTED_OPERATIONS = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/organisations/{org_slug}/programs"),
    ("post", "/api/v1/organisations/{org_slug}/programs"),
    ("get", "/api/v1/organisations/{org_slug}/programs/{program_id}"),
}


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _api_patterns() -> list[URLPattern]:
    resolver = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "api")
    assert str(resolver.pattern) == "api/v1/"
    patterns = [p for p in resolver.url_patterns if isinstance(p, URLPattern)]
    assert len(patterns) == len(resolver.url_patterns), "nested resolvers under /api/v1/ are not walked"
    return patterns


def _openapi_path(route: str) -> str:
    return "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_document_is_openapi_3(schema: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", schema["openapi"])
    assert schema["info"]["title"] == "Alongside API"
    assert schema["info"]["version"] == "1"
    assert isinstance(schema["paths"], dict) and schema["paths"]
    operation_ids = []
    for (method, path), operation in _operations(schema).items():
        assert path.startswith("/api/v1/"), path
        assert operation["responses"], (method, path)
        for status in operation["responses"]:
            assert re.fullmatch(r"[1-5]\d\d|default", status), (method, path, status)
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in {"path", "query", "header", "cookie"}
            if parameter["in"] == "path":
                assert parameter["required"] is True
                assert "{" + parameter["name"] + "}" in path
        operation_ids.append(operation["operationId"])
    assert len(operation_ids) == len(set(operation_ids)), "operationId must be unique"
    # Every $ref points at something that exists.
    for ref in _refs(schema):
        assert ref.startswith("#/"), ref
        node: Any = schema
        for part in ref[2:].split("/"):
            node = node[part]
        assert isinstance(node, dict), ref


def test_every_operation_is_listed(schema: dict[str, Any]) -> None:
    assert set(_operations(schema)) >= EXPECTED_OPERATIONS


def test_every_operation_declares_bearer_security(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"] == {"BearerToken": {"type": "http", "scheme": "bearer"}}
    for key, operation in _operations(schema).items():
        if key[1].startswith(PUBLIC_PREFIX):
            assert key[0] == "get" and "security" not in operation, key
            continue
        assert operation.get("security") == [{"BearerToken": []}], key
    # Nothing is public by omission either: no top-level security override.
    assert "security" not in schema or schema["security"] == [{"BearerToken": []}]


def test_paging_limits_are_documented(schema: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/organisations/{org_slug}/programs"]["get"]["parameters"]
    }
    assert parameters["limit"]["schema"]["maximum"] == settings.API_MAX_PAGE_SIZE
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert parameters["offset"]["schema"]["minimum"] == 0


def test_url_patterns_and_schema_match(schema: dict[str, Any]) -> None:
    """Walk the API's URL patterns: each operation is in the document, and each is declared."""
    operations = _operations(schema)
    covered = set()
    for pattern in _api_patterns():
        policy = getattr(pattern.callback, "access_policy", None)
        if pattern.name in NOT_OPERATIONS:
            assert policy == PUBLIC, pattern.name
            continue
        path = _openapi_path(str(pattern.pattern))
        assert policy == (PUBLIC if path.startswith(PUBLIC_PREFIX) else API_POLICY), pattern.name
        matches = [
            key for key, op in operations.items() if key[1] == path and op["operationId"].endswith(f"_{pattern.name}")
        ]
        assert len(matches) == 1, f"{pattern.name} ({path}) is not in the OpenAPI document"
        covered.add(matches[0])
    # ...and the document lists nothing that is not routed.
    assert covered == set(operations)


def test_openapi_and_docs_are_public_but_operations_are_not(client: Client) -> None:
    assert client.get(f"{API}/openapi.json").status_code == 200
    assert client.get(f"{API}/docs").status_code == 200
    assert client.get(f"{API}/me").status_code == 401


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if values.get(name):
                self.urls.append(values[name] or "")
        if tag == "script" and not values.get("src"):
            self.inline_scripts.append(values)
        if any(name.startswith("on") for name in values):
            self.inline_scripts.append(values)


def test_docs_page_loads_only_same_origin_assets(client: Client) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    parser = _Assets()
    parser.feed(html)
    assert parser.urls, "the docs page should load its assets"
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert url.startswith(settings.STATIC_URL), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), f"{url} is not shipped with the app"
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.IGNORECASE)
    # The only script without src is Swagger's JSON settings block, which browsers never run.
    assert parser.inline_scripts == [{"type": "application/json", "id": "swagger-settings"}]
    assert f'"url": "{API}/openapi.json"' in html


def test_docs_page_carries_the_site_csp(client: Client) -> None:
    docs = client.get(f"{API}/docs")
    csp = docs["Content-Security-Policy"]
    assert csp == client.get("/")["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert docs["X-Frame-Options"] == "DENY"
