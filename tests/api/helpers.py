"""Helpers for the API suite: URLs, bearer tokens, row counts and a small JSON client."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django_scopes import scopes_disabled

from alongside.accounts import services
from alongside.accounts.models import Program, User
from alongside.audit.models import AuditEvent

API = "/api/v1"


def programs_url(slug: str = "harbor") -> str:
    return f"{API}/organisations/{slug}/programs"


def program_url(program_id: Any, slug: str = "harbor") -> str:
    return f"{API}/organisations/{slug}/programs/{program_id}"


def make_token(user: User, name: str = "tests") -> str:
    _token, plain = services.api_token_create(acting_user=user, user=user, name=name)
    return plain


def auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


class ApiClient:
    """``django.test.Client`` with a bearer token and JSON bodies."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = auth(token) if token else {}

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.client.get(path, params or {}, **{**self.headers, **extra})

    def post(self, path: str, body: Any, **extra: Any) -> Any:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        content_type = extra.pop("content_type", "application/json")
        return self.client.post(path, data=data, content_type=content_type, **{**self.headers, **extra})


def program_count() -> int:
    with scopes_disabled():
        return Program.objects.count()


def audit_count(action: str | None = None) -> int:
    qs = AuditEvent.objects.all()
    return (qs.filter(action=action) if action else qs).count()


def valid_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Night Owls", "models": ["warmline"], "audiences": ["adults"]}
    body.update(overrides)
    return body
