"""Deny by default and least privilege (SECURITY.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from alongside.accounts.access import org_view
from alongside.accounts.permissions import PERMISSIONS, UnknownPermission, has_permission, permissions_for
from alongside.core.policy import POLICIES


def _views(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((prefix + str(entry.pattern), entry.callback))
    return found


def test_every_view_declares_an_access_policy() -> None:
    undeclared = [
        path
        for path, view in _views(get_resolver().url_patterns)
        if getattr(view, "access_policy", None) not in POLICIES
    ]
    assert not undeclared, f"views without @public / @signed_in / @org_view / API policy: {undeclared}"


def test_undeclared_view_is_refused_by_default(client: Any, db: Any) -> None:
    # LoginRequiredMiddleware: anything not marked public sends an anonymous visitor to sign in.
    response = client.get(reverse("web:app_home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_permission_is_refused() -> None:
    with pytest.raises(ValueError):
        org_view("programs.launch_rockets")
    with pytest.raises(UnknownPermission):
        has_permission(["admin"], "programs.launch_rockets")


# The role × permission table, written out in full: a change to PERMISSIONS must change this too.
EXPECTED = {
    "organisation.view": {"admin", "coordinator", "supervisor", "peer", "referrer", "funder"},
    "organisation.change_settings": {"admin"},
    "programs.view": {"admin", "coordinator", "supervisor", "peer", "funder"},
    "programs.change": {"admin"},
    "sites.view": {"admin", "coordinator", "supervisor", "peer"},
    "sites.change": {"admin"},
    "staff.view": {"admin", "coordinator", "supervisor"},
    "staff.invite": {"admin"},
    "staff.change": {"admin"},
    "supervision.change": {"admin"},
    "supervision.view_own_team": {"supervisor"},
    "participants.view_all": {"admin", "coordinator"},
    "participants.view_team": {"supervisor"},
    "participants.view_own": {"peer"},
    "participants.create": {"admin", "coordinator"},
    "participants.change": {"admin", "coordinator"},
    "participants.merge": {"admin", "coordinator"},
    "intake.view": {"admin", "coordinator"},
    "participants.export": {"admin", "coordinator"},
    "consent.record": {"admin", "coordinator", "peer"},
    "participants.erase": {"admin"},
    "participants.access_link": {"admin", "coordinator"},
    "referrals.view": {"admin", "coordinator"},
    "referrals.create": {"admin", "coordinator", "referrer"},
    "referrals.change": {"admin", "coordinator"},
    "referrals.view_own": {"referrer"},
    "partners.view": {"admin", "coordinator"},
    "partners.change": {"admin", "coordinator"},
    "matching.view": {"admin", "coordinator"},
    "matching.propose": {"admin", "coordinator"},
    "matching.weights": {"admin"},
    "matching.respond": {"peer"},
    "mentorship.view": {"admin", "coordinator", "supervisor", "peer"},
    "contacts.log": {"admin", "coordinator", "supervisor", "peer"},
    "peer_profile.edit_own": {"peer"},
    "wellbeing.checkin": {"admin", "coordinator", "supervisor", "peer"},
    "wellbeing.view_team": {"supervisor"},
    "groups.view": {"admin", "coordinator", "supervisor", "peer"},
    "groups.change": {"admin", "coordinator"},
    "groups.register": {"admin", "coordinator"},
    "groups.facilitate": {"admin", "coordinator", "supervisor", "peer"},
    "groups.feedback_view": {"admin", "coordinator", "supervisor"},
    "safety.raise": {"admin", "coordinator", "supervisor", "peer"},
    "safety.view": {"admin", "coordinator", "supervisor"},
    "safety.manage": {"admin", "coordinator", "supervisor"},
    "safety.checklist": {"admin"},
    "warmline.view": {"admin", "coordinator", "supervisor", "peer"},
    "warmline.change": {"admin", "coordinator"},
    "warmline.answer": {"admin", "coordinator", "supervisor", "peer"},
    "warmline.supervise": {"admin", "coordinator", "supervisor"},
    "warmline.contacts_view": {"admin", "coordinator", "supervisor"},
    "warmline.caller_plans": {"admin", "coordinator", "supervisor"},
    "warmline.screening_view": {"admin", "coordinator", "supervisor"},
    "warmline.screening_change": {"admin"},
    "shifts.manage": {"admin", "coordinator"},
    "shifts.signup": {"admin", "coordinator", "supervisor", "peer"},
    "audit.view": {"admin"},
}
ROLES = ["admin", "coordinator", "supervisor", "peer", "referrer", "funder"]


def test_permission_table_is_exactly_as_documented() -> None:
    assert set(PERMISSIONS) == set(EXPECTED)
    for permission, allowed in EXPECTED.items():
        for role in ROLES:
            assert has_permission([role], permission) == (role in allowed), (permission, role)


def test_permissions_combine_across_roles() -> None:
    assert permissions_for(["peer", "supervisor"]) == {
        p for p, roles in EXPECTED.items() if roles & {"peer", "supervisor"}
    }
    assert permissions_for([]) == set()


PAGES = [
    ("web:staff_home", "organisation.view"),
    ("web:program_list", "programs.view"),
    ("web:program_create", "programs.change"),
    ("web:site_list", "sites.view"),
    ("web:site_create", "sites.change"),
    ("web:staff_list", "staff.view"),
    ("web:org_settings", "organisation.change_settings"),
    ("web:audit_log", "audit.view"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(role: str, harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user(role))
    for view_name, permission in PAGES:
        status = client.get(reverse(view_name, args=["harbor"])).status_code
        expected = 200 if role in EXPECTED[permission] else 403
        assert status == expected, (view_name, role, status)


@pytest.mark.django_db
def test_navigation_shows_only_permitted_pages(harbor: Any, login_as: Any) -> None:
    peer_page = login_as(harbor.user("peer")).get("/app/harbor/").content.decode()
    assert "/app/harbor/access-log/" not in peer_page
    assert "/app/harbor/settings/" not in peer_page
    admin_page = login_as(harbor.user("admin")).get("/app/harbor/").content.decode()
    assert "/app/harbor/access-log/" in admin_page
