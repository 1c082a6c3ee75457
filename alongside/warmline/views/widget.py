"""The embeddable widget's data (docs/warmline.md, "Embeddable widget").

``directory/lines/<org>/<line>/status.json``: what ``static/alongside/js/widget.js`` shows on an
organisation's own website. Public information only (P1): whether the line is open, whether chat
can start now (chat on, open, a peer available), the status words, the next opening, the links to
our pages, the organisation's crisis options and the "not a crisis line" words. Any origin may read
it (``Access-Control-Allow-Origin: *``); it reads and sets no cookie; caches may keep it 30 seconds.
The widget only links to our chat page, which opens in a new tab (our pages refuse frames).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from alongside.accounts import selectors as account_selectors
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat, hours, lines, shifts

CACHE_SECONDS = 30


def _chat_url(request: HttpRequest, org_slug: str, line_slug: str) -> str:
    try:
        return request.build_absolute_uri(reverse("warmline:chat_start", args=[org_slug, line_slug]))
    except NoReverseMatch:
        return ""


@public
@require_GET
def line_status_json(request: HttpRequest, org_slug: str, line_slug: str) -> HttpResponse:
    """The line's status now, for the widget (hidden, inactive or unknown lines: 404)."""
    organisation = account_selectors.organisation_by_slug(org_slug)  # active organisations only
    line = lines.public_line(organisation, line_slug) if organisation is not None else None
    if organisation is None or line is None:
        # The same plain 404 for a hidden, out-of-service or unknown line (JSON: no page, no cookie).
        return _json({"error": "not_found"}, status=404)
    now = timezone.now()
    zone = ZoneInfo(organisation.timezone)
    with tenant_scope(organisation):
        status = hours.line_status(line, now, zone=zone, closures=list(line.closures.all()))
        # Chat can start now: the same rule as the chat page (chat on, open, a peer available).
        chat_available = bool(line.chat_enabled and status.is_open and shifts.available_peers(line, now))
    crisis = chat.crisis_options(organisation)
    labels = "; ".join(option["label"] for option in crisis) or _("call or text 988")
    payload = {
        "line": line.name,
        "organisation": organisation.name,
        "open": status.is_open,
        "chat_enabled": bool(line.chat_enabled),
        "chat_available": chat_available,
        "status": hours.status_text(status, zone, now),
        "next_opening": status.opens_at.isoformat() if status.opens_at and not status.is_open else None,
        "closes_at": status.closes_at.isoformat() if status.closes_at and status.is_open else None,
        "line_url": request.build_absolute_uri(reverse("warmline:public_line", args=[org_slug, line_slug])),
        "chat_url": _chat_url(request, org_slug, line_slug) if line.chat_enabled else "",
        "crisis": crisis,
        "texts": {
            "chat": _("Chat with a peer"),
            "chat_now": _("Chat now"),
            "hours": _("See the hours"),
            "new_window": _("(opens in a new tab)"),
            "not_crisis": _("This is not a crisis line. In a crisis: %(options)s.") % {"options": labels},
        },
    }
    return _json(payload)


def _json(payload: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response["Access-Control-Allow-Origin"] = "*"
    return response
