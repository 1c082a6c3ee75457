"""Set-up for group tests (shared by every groups test module; add helpers, don't change these)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from alongside.accounts import services as account_services
from alongside.accounts.models import Program
from alongside.groups.models import Group, Schedule
from alongside.groups.vocab import GroupFormat, Joining


def groups_program(tenant: Any, name: str = "Peer Groups", **fields: Any) -> Program:
    defaults: dict[str, Any] = {"offers_groups": True, "serves_adults": True, "sites": [tenant.site]}
    defaults.update(fields)
    return account_services.program_create(
        acting_user=tenant.user("admin"), organisation=tenant.organisation, name=name, **defaults
    )


def make_group(tenant: Any, name: str = "Tuesday Circle", *, program: Program | None = None, **fields: Any) -> Group:
    """A group straight in the database (tests of services should use the services instead)."""
    program = program or groups_program(tenant, f"{name} program")
    defaults: dict[str, Any] = {
        "slug": name.lower().replace(" ", "-"),
        "format": GroupFormat.IN_PERSON,
        "site": tenant.site,
        "joining": Joining.DROP_IN,
        "timezone": tenant.organisation.timezone,
        "facilitator": tenant.user("peer"),
    }
    defaults.update(fields)
    return Group.objects.create(organisation=tenant.organisation, program=program, name=name, **defaults)


def make_schedule(
    group: Group,
    rrule: str = "FREQ=WEEKLY;BYDAY=TU",
    *,
    start_date: date = date(2026, 1, 6),
    start_time: time = time(18, 0),
    duration_minutes: int = 90,
    until: date | None = None,
) -> Schedule:
    return Schedule.objects.create(
        organisation=group.organisation,
        group=group,
        rrule=rrule,
        start_date=start_date,
        start_time=start_time,
        duration_minutes=duration_minutes,
        until=until,
    )
