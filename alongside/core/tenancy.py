"""Tenant scoping by construction.

Every tenant-owned model's default manager is a django-scopes ``ScopedManager``: a query on it
raises ``ScopeError`` unless a tenant scope is active, and inside a scope it is filtered to that
organisation automatically. Requests get their scope from the organisation in the URL (see
``alongside.accounts.access.org_view``); commands and tests enter one explicitly.

The only way around it is ``unscoped(reason)``: named, grep-able, and each use says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import models
from django_scopes import ScopedManager, scope, scopes_disabled

if TYPE_CHECKING:
    from alongside.accounts.models import Organisation


def tenant_manager() -> Any:
    """The default manager of every tenant-owned model (field ``organisation``)."""
    return ScopedManager(organisation="organisation")


@contextmanager
def tenant_scope(organisation: Organisation) -> Iterator[None]:
    if organisation is None or organisation.pk is None or organisation._state.adding:
        # django-scopes treats None as "no filter": refuse it rather than widen the scope.
        raise ValueError("tenant_scope needs a saved organisation")
    with scope(organisation=organisation.pk):
        yield


@contextmanager
def unscoped(reason: str) -> Iterator[None]:
    """Escape hatch: queries across organisations. ``reason`` documents why at the call site."""
    if not reason.strip():
        raise ValueError("unscoped() needs a reason")
    with scopes_disabled():
        yield


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
