"""Navigation by role: each entry names the permission that shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from alongside.accounts.access import OrgContext

NAV = [
    ("web:staff_home", None, _("Home")),
    ("web:program_list", "programs.view", _("Programs")),
    ("web:site_list", "sites.view", _("Sites")),
    ("web:staff_list", "staff.view", _("Staff")),
    ("web:audit_log", "audit.view", _("Access log")),
    ("web:org_settings", "organisation.change_settings", _("Settings")),
]


def navigation_for(org: OrgContext) -> list[dict[str, str]]:
    items = []
    for view_name, permission, label in NAV:
        if permission is None or org.can(permission):
            items.append(
                {"url": reverse(view_name, args=[org.organisation.slug]), "label": str(label), "name": view_name}
            )
    return items
