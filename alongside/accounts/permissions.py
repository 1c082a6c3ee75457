"""The role × permission table, kept as data (SECURITY.md "Least privilege").

Each permission names one thing a member may do in their organisation. A test checks every cell
of this table through ``has_permission`` and rejects unknown names. Later capabilities add rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from alongside.accounts.models import NetworkRole, Role

ADMIN, COORDINATOR, SUPERVISOR, PEER, REFERRER, FUNDER = (
    Role.ADMIN,
    Role.COORDINATOR,
    Role.SUPERVISOR,
    Role.PEER,
    Role.REFERRER,
    Role.FUNDER,
)
STAFF_ROLES = frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER})

PERMISSIONS: dict[str, frozenset[str]] = {
    # Organisation home and settings
    "organisation.view": frozenset(Role.values),
    "organisation.change_settings": frozenset({ADMIN}),
    # Programs and sites
    "programs.view": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER, FUNDER}),
    "programs.change": frozenset({ADMIN}),
    "sites.view": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    "sites.change": frozenset({ADMIN}),
    # Staff
    "staff.view": frozenset({ADMIN, COORDINATOR, SUPERVISOR}),
    "staff.invite": frozenset({ADMIN}),
    "staff.change": frozenset({ADMIN}),
    "supervision.change": frozenset({ADMIN}),
    "supervision.view_own_team": frozenset({SUPERVISOR}),
    # Participants: who sees whose record (see people/access.py for the record scope).
    "participants.view_all": frozenset({ADMIN, COORDINATOR}),
    "participants.view_team": frozenset({SUPERVISOR}),
    "participants.view_own": frozenset({PEER}),
    "participants.create": frozenset({ADMIN, COORDINATOR}),
    "participants.change": frozenset({ADMIN, COORDINATOR}),
    "participants.merge": frozenset({ADMIN, COORDINATOR}),
    "intake.view": frozenset({ADMIN, COORDINATOR}),
    # Exporting a whole record is its own permission, never implied by reading it.
    "participants.export": frozenset({ADMIN, COORDINATOR}),
    "consent.record": frozenset({ADMIN, COORDINATOR, PEER}),
    "contacts.log": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    "peer_profile.edit_own": frozenset({PEER}),
    # Participants' rights: erasure is the admin's call; a coordinator may give a person their
    # private self-service link (access history, their own data).
    "participants.erase": frozenset({ADMIN}),
    "participants.access_link": frozenset({ADMIN, COORDINATOR}),
    # Care-team referrals (DOMAIN.md §3). Referrers see only their own referrals, and a status
    # only with the person's consent (people/referrals.py).
    "referrals.view": frozenset({ADMIN, COORDINATOR}),
    "referrals.create": frozenset({ADMIN, COORDINATOR, REFERRER}),
    "referrals.change": frozenset({ADMIN, COORDINATOR}),
    "referrals.view_own": frozenset({REFERRER}),
    "partners.view": frozenset({ADMIN, COORDINATOR}),
    "partners.change": frozenset({ADMIN, COORDINATOR}),
    # One-on-one mentorship (matching/). Peers answer their own requests and see their own
    # mentorships (the record scope still applies); supervisors see their team's mentorships.
    "matching.view": frozenset({ADMIN, COORDINATOR}),
    "matching.propose": frozenset({ADMIN, COORDINATOR}),
    "matching.weights": frozenset({ADMIN}),
    "matching.respond": frozenset({PEER}),
    "mentorship.view": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    # Sustaining the workforce (workforce/): every staff member checks in about themselves; a
    # supervisor sees only the capacity their team chose to share (never notes or mood).
    "wellbeing.checkin": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    "wellbeing.view_team": frozenset({SUPERVISOR}),
    # Group peer support (groups/). Facilitating a session is also checked per group: only its
    # facilitator and co-facilitators (and coordinators and admins) run its roster.
    "groups.view": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    "groups.change": frozenset({ADMIN, COORDINATOR}),
    "groups.register": frozenset({ADMIN, COORDINATOR}),
    "groups.facilitate": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    "groups.feedback_view": frozenset({ADMIN, COORDINATOR, SUPERVISOR}),
    # Safety concerns and escalations (safety/, DOMAIN.md §6): any staff member raises one; the
    # supervisors (their team's), coordinators and admins see and follow them up.
    "safety.raise": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    "safety.view": frozenset({ADMIN, COORDINATOR, SUPERVISOR}),
    "safety.manage": frozenset({ADMIN, COORDINATOR, SUPERVISOR}),
    "safety.checklist": frozenset({ADMIN}),
    # Warm lines (warmline/, DOMAIN.md §1, §6). Every staff member sees the lines and the shift
    # schedule and may answer contacts on their own shifts; peers see only their own past contacts.
    "warmline.view": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    "warmline.change": frozenset({ADMIN, COORDINATOR}),
    "warmline.answer": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    "warmline.supervise": frozenset({ADMIN, COORDINATOR, SUPERVISOR}),
    "warmline.contacts_view": frozenset({ADMIN, COORDINATOR, SUPERVISOR}),
    "warmline.caller_plans": frozenset({ADMIN, COORDINATOR, SUPERVISOR}),
    "warmline.screening_view": frozenset({ADMIN, COORDINATOR, SUPERVISOR}),
    "warmline.screening_change": frozenset({ADMIN}),
    "shifts.manage": frozenset({ADMIN, COORDINATOR}),
    "shifts.signup": frozenset({ADMIN, COORDINATOR, SUPERVISOR, PEER}),
    # The access log is its own permission, not implied by any read (SECURITY.md).
    "audit.view": frozenset({ADMIN}),
}

NETWORK_PERMISSIONS: dict[str, frozenset[str]] = {
    "network.view_aggregate": frozenset({NetworkRole.NETWORK_ADMIN}),
}


class UnknownPermission(KeyError):
    pass


def has_permission(roles: Iterable[str], permission: str) -> bool:
    try:
        allowed = PERMISSIONS[permission]
    except KeyError as exc:
        raise UnknownPermission(permission) from exc
    return any(role in allowed for role in roles)


def has_network_permission(roles: Iterable[str], permission: str) -> bool:
    try:
        allowed = NETWORK_PERMISSIONS[permission]
    except KeyError as exc:
        raise UnknownPermission(permission) from exc
    return any(role in allowed for role in roles)


def permissions_for(roles: Iterable[str]) -> set[str]:
    role_set = set(roles)
    return {name for name, allowed in PERMISSIONS.items() if role_set & allowed}
