"""Access chokepoints: every view, API endpoint and command reaches tenant data through these.

A foreign organisation, a missing one and one the person does not belong to all answer the same
404; a member without the permission gets 403 on their own organisation's pages.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from alongside.accounts import selectors
from alongside.accounts.models import Invitation, Network, Organisation, Program, Site, User
from alongside.accounts.permissions import PERMISSIONS, has_network_permission, has_permission, permissions_for
from alongside.core import context
from alongside.core.policy import declare_permission
from alongside.core.tenancy import tenant_scope

log = logging.getLogger("alongside.access")


@dataclass
class OrgContext:
    """The acting person inside one organisation: who they are there and what they may do."""

    organisation: Organisation
    user: User
    roles: frozenset[str]
    permissions: set[str] = field(default_factory=set)

    def can(self, permission: str) -> bool:
        return has_permission(self.roles, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            log.warning("permission %s refused in organisation %s", permission, self.organisation.pk)
            raise PermissionDenied


def resolve_org(user: User, slug: str) -> OrgContext:
    """The organisation named by ``slug`` as seen by ``user``, or the same 404 as a missing one."""
    organisation = selectors.organisation_by_slug(slug)
    if organisation is None or not user.is_authenticated:
        raise Http404
    roles = frozenset(selectors.roles_for(user, organisation.pk))
    if not roles:
        log.warning("organisation refused: no membership (org %s)", organisation.pk)
        raise Http404
    context.set_roles(organisation.pk, "+".join(sorted(roles)))
    return OrgContext(organisation, user, roles, permissions_for(roles))


def org_view(permission: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view taking ``(request, org: OrgContext, ...)`` under ``/app/<org_slug>/``.

    Resolves the membership, checks ``permission`` and runs the view inside the organisation's
    tenant scope, so every tenant query in it is confined to that organisation.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            org = resolve_org(request.user, org_slug)  # type: ignore[arg-type]
            org.require(permission)
            request.org = org  # type: ignore[attr-defined]
            with tenant_scope(org.organisation):
                return view(request, org, *args, **kwargs)

        return declare_permission(wrapper, permission)

    return decorator


@dataclass
class NetworkContext:
    network: Network
    user: User
    roles: frozenset[str]


def network_view(permission: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, network_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            network = Network.objects.filter(slug=network_slug).first()
            if network is None:
                raise Http404
            roles = frozenset(selectors.network_roles_for(request.user, network))  # type: ignore[arg-type]
            if not roles or not has_network_permission(roles, permission):
                raise Http404
            return view(request, NetworkContext(network, request.user, roles), *args, **kwargs)  # type: ignore[arg-type]

        return declare_permission(wrapper, permission)

    return decorator


def parse_uuid_or_404(value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


def access_program(org: OrgContext, program_id: Any, *, write: bool = False) -> Program:
    org.require("programs.change" if write else "programs.view")
    program = Program.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(program_id)).first()
    # Archived programs are visible only to those who may change them (as in the lists).
    if program is None or (not program.is_active and not org.can("programs.change")):
        raise Http404
    return program


def access_site(org: OrgContext, site_id: Any, *, write: bool = False) -> Site:
    org.require("sites.change" if write else "sites.view")
    site = Site.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(site_id)).first()
    if site is None:
        raise Http404
    return site


def access_staff_member(org: OrgContext, user_id: Any, *, write: bool = False) -> selectors.StaffMember:
    org.require("staff.change" if write else "staff.view")
    member = selectors.staff_member(org.organisation, parse_uuid_or_404(user_id))
    if member is None:
        raise Http404
    return member


def access_invitation(org: OrgContext, invitation_id: Any) -> Invitation:
    org.require("staff.invite")
    invitation = Invitation.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(invitation_id)).first()
    if invitation is None:
        raise Http404
    return invitation


def access_organisation_settings(org: OrgContext) -> Organisation:
    org.require("organisation.change_settings")
    return org.organisation


@contextmanager
def org_scope(user: User, slug: str, permission: str) -> Iterator[OrgContext]:
    """For the API and commands: resolve, check and enter the organisation's scope in one step."""
    org = resolve_org(user, slug)
    org.require(permission)
    with tenant_scope(org.organisation):
        yield org


REAUTH_SESSION_KEY = "alongside_reauth_at"


def has_recent_auth(request: HttpRequest) -> bool:
    """Did this person enter their password within the re-authentication window?"""
    from datetime import datetime

    from django.conf import settings
    from django.utils import timezone

    for key in (REAUTH_SESSION_KEY, "alongside_auth_at"):
        value = request.session.get(key)
        if isinstance(value, str):
            try:
                if timezone.now() - datetime.fromisoformat(value) <= settings.REAUTH_WINDOW:
                    return True
            except ValueError:
                continue
    return False


def recent_auth_required(
    back_to: Callable[[HttpRequest], str] | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Sensitive actions ask for the password again (ASVS 7.5.1). ``back_to`` names the page to
    return to after confirming (for POST-only views); by default the current page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if has_recent_auth(request):
                return view(request, *args, **kwargs)
            from urllib.parse import urlencode

            from django.http import HttpResponseRedirect
            from django.urls import reverse

            nxt = back_to(request) if back_to else request.get_full_path()
            return HttpResponseRedirect(reverse("accounts:confirm_password") + "?" + urlencode({"next": nxt}))

        return wrapper

    return decorator
