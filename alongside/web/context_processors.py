from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from alongside.accounts.models import default_crisis_options
from alongside.web.navigation import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """What base.html needs on every page: the organisation in view, crisis options, navigation."""
    org_ctx = getattr(request, "org", None)
    public_org = getattr(request, "public_org", None)
    organisation = org_ctx.organisation if org_ctx else public_org
    return {
        "current_org": organisation,
        "org_ctx": org_ctx,
        "crisis_options": organisation.crisis_options if organisation else default_crisis_options(),
        "quick_exit_url": organisation.quick_exit_url if organisation else "https://weather.com/",
        "nav_items": navigation_for(org_ctx) if org_ctx else [],
    }
