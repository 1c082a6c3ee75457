"""Deny by default: every view declares who may reach it.

``public`` views need nothing; ``signed_in`` views need a signed-in, second-factor-verified user;
``permission`` views (see ``alongside.accounts.access.org_view``) need a membership role that
grants the named permission. A test walks the URL resolver and fails on any view without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
SIGNED_IN = "signed_in"
PERMISSION = "permission"
# API operations: a bearer token checked by the API layer, then the same access functions.
API = "api"
POLICIES = {PUBLIC, SIGNED_IN, PERMISSION, API}


def public(view: F) -> F:
    """Anyone may reach this view, signed in or not."""
    view = login_not_required(view)
    view.access_policy = PUBLIC  # type: ignore[attr-defined]
    return view


def signed_in(view: F) -> F:
    """Any signed-in user who has passed the second factor (LoginRequiredMiddleware enforces)."""
    view.access_policy = SIGNED_IN  # type: ignore[attr-defined]
    return view


def declare_permission(view: F, permission: str) -> F:
    view.access_policy = PERMISSION  # type: ignore[attr-defined]
    view.access_permission = permission  # type: ignore[attr-defined]
    return view


def api_endpoint(view: F) -> F:
    view = login_not_required(view)
    view.access_policy = API  # type: ignore[attr-defined]
    return view
