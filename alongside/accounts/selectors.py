"""Reads for accounts, already scoped to what the caller may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from alongside.accounts.models import (
    Invitation,
    Membership,
    Network,
    NetworkMembership,
    Organisation,
    Program,
    Site,
    SupervisionLink,
    User,
)
from alongside.core.tenancy import unscoped


def memberships_for_user(user: User) -> list[Membership]:
    """The person's own active memberships, across organisations."""
    if not user.is_authenticated or not user.is_active:
        return []
    with unscoped("a person's own memberships decide which organisations they may enter"):
        return list(
            Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
            .select_related("organisation")
            .order_by("organisation__name", "role")
        )


def roles_for(user: User, organisation_id: UUID) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    with unscoped("the acting person's own roles in one organisation"):
        return set(
            Membership.objects.filter(
                user=user, organisation_id=organisation_id, is_active=True, organisation__is_active=True
            ).values_list("role", flat=True)
        )


def organisations_for_user(user: User) -> list[tuple[Organisation, list[str]]]:
    grouped: dict[UUID, tuple[Organisation, list[str]]] = {}
    for membership in memberships_for_user(user):
        grouped.setdefault(membership.organisation_id, (membership.organisation, []))[1].append(membership.role)
    return list(grouped.values())


def network_roles_for(user: User, network: Network) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    return set(
        NetworkMembership.objects.filter(user=user, network=network, is_active=True).values_list("role", flat=True)
    )


def networks_for_user(user: User) -> list[Network]:
    if not user.is_authenticated:
        return []
    return list(Network.objects.filter(memberships__user=user, memberships__is_active=True).distinct())


def organisation_by_slug(slug: str) -> Organisation | None:
    return Organisation.objects.filter(slug=slug, is_active=True).first()


def public_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(is_active=True).order_by("name")


def public_organisations_page(page: str | None, per_page: int = 24) -> Page[Organisation]:
    return Paginator(public_organisations(), per_page).get_page(page)


# The selectors below run inside the organisation's tenant scope and filter by it explicitly as
# well, so a missing scope fails loudly and a wrong one returns nothing.


def programs_for(organisation: Organisation, *, include_inactive: bool = False) -> QuerySet[Program]:
    qs = Program.objects.filter(organisation=organisation).prefetch_related("sites")
    return qs if include_inactive else qs.filter(is_active=True)


def public_programs(organisation: Organisation) -> QuerySet[Program]:
    return programs_for(organisation).filter(is_public=True)


def sites_for(organisation: Organisation, *, include_inactive: bool = False) -> QuerySet[Site]:
    qs = Site.objects.filter(organisation=organisation)
    return qs if include_inactive else qs.filter(is_active=True)


def public_sites(organisation: Organisation) -> QuerySet[Site]:
    return sites_for(organisation).filter(is_public=True)


@dataclass
class StaffMember:
    user: User
    roles: list[str]
    memberships: list[Membership]

    @property
    def is_active(self) -> bool:
        return any(m.is_active for m in self.memberships)


def staff_for(organisation: Organisation, *, include_inactive: bool = False) -> list[StaffMember]:
    qs = Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email", "role")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    grouped: dict[UUID, StaffMember] = {}
    for membership in qs:
        member = grouped.setdefault(membership.user_id, StaffMember(membership.user, [], []))
        member.memberships.append(membership)
        if membership.is_active:
            member.roles.append(membership.role)
    return list(grouped.values())


def staff_page(
    organisation: Organisation, *, page: str | None, per_page: int = 50
) -> tuple[Page[Any], list[StaffMember]]:
    """One page of the staff list (people with an active role), in three queries whatever its size."""
    people = (
        Membership.objects.filter(organisation=organisation, is_active=True)
        .values_list("user_id", "user__email")
        .distinct()
        .order_by("user__email")
    )
    current = Paginator(people, per_page).get_page(page)
    ids = [user_id for user_id, _email in current.object_list]
    grouped: dict[UUID, StaffMember] = {}
    memberships = (
        Membership.objects.filter(organisation=organisation, user_id__in=ids, is_active=True)
        .select_related("user")
        .order_by("user__email", "role")
    )
    for membership in memberships:
        member = grouped.setdefault(membership.user_id, StaffMember(membership.user, [], []))
        member.memberships.append(membership)
        member.roles.append(membership.role)
    return current, [grouped[i] for i in ids if i in grouped]


def supervisors_in(organisation: Organisation, *, exclude: User | None = None) -> list[User]:
    qs = Membership.objects.filter(organisation=organisation, role="supervisor", is_active=True).select_related("user")
    if exclude is not None:
        qs = qs.exclude(user=exclude)
    return [m.user for m in qs.order_by("user__email")]


def staff_member(organisation: Organisation, user_id: UUID) -> StaffMember | None:
    memberships = list(
        Membership.objects.filter(organisation=organisation, user_id=user_id).select_related("user").order_by("role")
    )
    if not memberships:
        return None
    return StaffMember(memberships[0].user, [m.role for m in memberships if m.is_active], memberships)


def open_supervision_links(organisation: Organisation) -> QuerySet[SupervisionLink]:
    return SupervisionLink.objects.filter(organisation=organisation, ended_at__isnull=True).select_related(
        "supervisor", "peer"
    )


def supervised_peers(organisation: Organisation, supervisor: User) -> list[User]:
    return [link.peer for link in open_supervision_links(organisation).filter(supervisor=supervisor)]


def supervisors_of(organisation: Organisation, peer: User) -> list[User]:
    return [link.supervisor for link in open_supervision_links(organisation).filter(peer=peer)]


def open_invitations(organisation: Organisation) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def staff_counts_by_role(organisation: Organisation) -> dict[str, int]:
    rows = (
        Membership.objects.filter(organisation=organisation, is_active=True)
        .values("role")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["role"]] = row["n"]
    return dict(counts)


def network_aggregates(network: Network) -> list[dict[str, object]]:
    """Per-organisation counts for a network admin: no names of people, only totals."""
    organisations = list(network.organisations.filter(is_active=True).order_by("name"))
    with unscoped("network admins see de-identified totals across the organisations they host"):
        program_counts = dict(
            Program.objects.filter(organisation__in=organisations, is_active=True)
            .values_list("organisation")
            .annotate(n=Count("id"))
            .order_by()
        )
        staff_counts = dict(
            Membership.objects.filter(organisation__in=organisations, is_active=True)
            .values_list("organisation")
            .annotate(n=Count("user", distinct=True))
            .order_by()
        )
        peer_counts = dict(
            Membership.objects.filter(organisation__in=organisations, is_active=True, role="peer")
            .values_list("organisation")
            .annotate(n=Count("user", distinct=True))
            .order_by()
        )
    return [
        {
            "organisation": org,
            "programs": program_counts.get(org.pk, 0),
            "staff": staff_counts.get(org.pk, 0),
            "peers": peer_counts.get(org.pk, 0),
        }
        for org in organisations
    ]


def users_by_id(ids: set[UUID]) -> dict[UUID, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=ids)} if ids else {}
