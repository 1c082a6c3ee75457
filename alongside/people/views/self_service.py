"""The plumbing of the person's own pages under ``/me/`` (no account): the private link starts a
short visit bound to this browser's session; ``self_service`` gives a view that link, inside the
person's organisation's tenant scope, and ``no_store`` keeps the page out of every cache.

Every app that adds pages for the person (``people``, ``matching``, later ones) uses these two
decorators, so the rules are the same everywhere: one neutral answer when the visit has ended,
the organisation's crisis options on the page (``base_public.html``), never cached or indexed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from alongside.core.tenancy import tenant_scope
from alongside.people import rights
from alongside.people.models import ParticipantAccessLink

SESSION_KEY = "alongside_self_service"


def no_store(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """P2/P3 for someone without an account: never cached, never indexed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def not_working(request: HttpRequest) -> HttpResponse:
    """One neutral answer for an unknown, expired or switched-off link, and for an ended visit."""
    return render(request, "people/self_service/not_working.html", status=404)


def session_link(request: HttpRequest) -> ParticipantAccessLink | None:
    """The private link this browser continued with, while it and the visit still hold."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    link = None
    try:
        since = datetime.fromisoformat(str(data.get("since")))
    except ValueError:
        since = None
    if since is not None and timezone.now() - since <= rights.SELF_SERVICE_SESSION_LIMIT:
        link = rights.access_link_by_id(data.get("link"))
    if link is None:
        request.session.pop(SESSION_KEY, None)
    return link


def self_service(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A /me/ page: the linked person's data only, inside their organisation's tenant scope."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        link = session_link(request)
        if link is None:
            return not_working(request)
        organisation = link.participant.organisation
        # base_public.html shows this organisation's crisis options and quick exit.
        request.public_org = organisation  # type: ignore[attr-defined]
        with tenant_scope(organisation):
            return view(request, link, *args, **kwargs)

    return wrapper
