"""Navigation by role: each entry names the permission that shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from alongside.accounts.access import OrgContext

# The permission may be a tuple: the entry shows when the person holds any one of them.
NAV: list[tuple[str, str | tuple[str, ...] | None, Any]] = [
    ("web:staff_home", None, _("Home")),
    ("people:caseload", "participants.view_own", _("My caseload")),
    ("people:intake_queue", "intake.view", _("Intake")),
    (
        "people:participant_list",
        ("participants.view_all", "participants.view_team", "participants.view_own"),
        _("People"),
    ),
    ("people:referral_board", "referrals.view", _("Referrals")),
    ("people:my_referrals", "referrals.view_own", _("My referrals")),
    ("people:referral_create", "referrals.create", _("Refer someone")),
    ("people:partner_list", "partners.view", _("Partners")),
    ("matching:waiting_overview", "matching.view", _("Waiting list")),
    ("matching:peer_requests", "matching.respond", _("Requests for you")),
    ("groups:group_list", "groups.view", _("Groups")),
    ("warmline:line_list", "warmline.view", _("Warm line")),
    ("warmline:my_shifts", "shifts.signup", _("My shifts")),
    ("warmline:chat_console", "warmline.answer", _("Chats")),
    ("warmline:board", "warmline.supervise", _("Warm-line board")),
    ("workforce:wellbeing_team", "wellbeing.view_team", _("Team wellbeing")),
    ("safety:list", "safety.view", _("Safety concerns")),
    ("safety:raise", "safety.raise", _("Raise a safety concern")),
    ("web:program_list", "programs.view", _("Programs")),
    ("web:site_list", "sites.view", _("Sites")),
    ("web:staff_list", "staff.view", _("Staff")),
    ("web:audit_log", "audit.view", _("Access log")),
    ("web:org_settings", "organisation.change_settings", _("Settings")),
    ("matching:weights_edit", "matching.weights", _("Matching weights")),
    ("workforce:wellbeing", "wellbeing.checkin", _("My wellbeing")),
]


def navigation_for(org: OrgContext) -> list[dict[str, str]]:
    items = []
    for view_name, permission, label in NAV:
        if isinstance(permission, tuple):
            shown = any(org.can(p) for p in permission)
        else:
            shown = permission is None or org.can(permission)
        if shown:
            items.append(
                {"url": reverse(view_name, args=[org.organisation.slug]), "label": str(label), "name": view_name}
            )
    return items
