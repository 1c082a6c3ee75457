"""Warm lines in the demo: two lines per organisation, an evening-and-weekend line with chat and a
24-hour line, with phone numbers in the fictional 555-01xx range, and the coming Thanksgiving and
Christmas closures on the evening line.

``load_warmline_demo()`` (called by ``alongside demo``) runs, for each demo organisation, the lines
(``demo_lines``), then a week of shifts on them (``demo_shifts.demo_shifts``), then past calls and
chats with a repeat-caller plan and two safety concerns (``demo_contacts.demo_contacts``). Every
write goes through the services (with their audit rows). Idempotent: an organisation that already
has lines is left as it is.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from alongside.accounts.models import Membership, Organisation, Program, Role, User
from alongside.core.tenancy import tenant_scope
from alongside.warmline import lines
from alongside.warmline.models import Line, LineAudience

EVENINGS = (
    [{"day": day, "opens": time(18), "closes": time(22), "overnight": False} for day in range(5)]
    + [{"day": day, "opens": time(10), "closes": time(14), "overnight": False} for day in (5, 6)]
    + [{"day": day, "opens": time(18), "closes": time(23), "overnight": False} for day in (5, 6)]
)
ALWAYS = [{"day": day, "opens": time(0), "closes": time(0), "overnight": True} for day in range(7)]


def _admin(organisation: Organisation) -> User | None:
    member = (
        Membership.objects.filter(organisation=organisation, role=Role.ADMIN, is_active=True)
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    return member.user if member is not None else None


def thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _next(make: Any, today: date) -> date:
    found: date = make(today.year)
    return found if found >= today else make(today.year + 1)


@transaction.atomic
def demo_lines(organisation: Organisation, *, now: datetime) -> dict[str, int]:
    """Make the demo's lines; returns counts (all zero when there was nothing to do)."""
    made = {"lines": 0, "closures": 0}
    with tenant_scope(organisation):
        admin = _admin(organisation)
        if admin is None or Line.objects.filter(organisation=organisation).exists():
            return made
        program = Program.objects.filter(organisation=organisation, offers_warmline=True, is_active=True).first()
        today = now.astimezone(ZoneInfo(organisation.timezone)).date()
        short = organisation.slug.split("-")[0]
        evening = lines.line_create(
            acting_user=admin,
            organisation=organisation,
            name=f"{organisation.name} Evening Warm Line",
            slug=f"{short}-evenings",
            description=(
                "Talk with a peer supporter who has been through hard times too, on weekday evenings and "
                "at weekends. We listen; we do not judge or diagnose. This is not a crisis line."
            ),
            program=program,
            phone_numbers=[
                {"label": "Call or text", "number": "(207) 555-0140"},
                {"label": "Staff back line", "number": "(207) 555-0141", "public": False},
            ],
            chat_enabled=True,
            languages=list(organisation.languages or ["en"]),
            audience=LineAudience.EVERYONE,
        )
        lines.line_hours_set(acting_user=admin, line=evening, periods=EVENINGS)
        night = lines.line_create(
            acting_user=admin,
            organisation=organisation,
            name=f"{organisation.name} Night Line",
            slug=f"{short}-night",
            description="A peer to talk with at any hour, day or night, by phone. This is not a crisis line.",
            program=program,
            phone_numbers=[{"label": "Call", "number": "(207) 555-0142"}],
            languages=(organisation.languages or ["en"])[:1],
            audience=LineAudience.ADULTS,
        )
        lines.line_hours_set(acting_user=admin, line=night, periods=ALWAYS)
        made["lines"] = 2
        for day, reason in (
            (_next(thanksgiving, today), "Thanksgiving"),
            (_next(lambda year: date(year, 12, 25), today), "Christmas Day"),
        ):
            lines.closure_add(acting_user=admin, line=evening, starts_on=day, reason=reason)
            made["closures"] += 1
    return made


DEMO_ORGANISATIONS = ("harbor", "riverbend")


def load_warmline_demo() -> None:
    """The warm-line demo for both demo organisations (after the accounts and people demos)."""
    from django.conf import settings
    from django.utils import timezone

    from alongside.accounts.demo import DemoRefused
    from alongside.directory import sync
    from alongside.warmline.demo_contacts import demo_contacts
    from alongside.warmline.demo_shifts import demo_shifts

    if not settings.DEMO:
        raise DemoRefused("The demo makes accounts with a published password: set ALONGSIDE_DEMO=1 to load it.")
    now = timezone.now()
    for organisation in Organisation.objects.filter(slug__in=DEMO_ORGANISATIONS).order_by("slug"):
        with tenant_scope(organisation):
            if Line.objects.filter(organisation=organisation).exists():
                continue
        demo_lines(organisation, now=now)
        demo_shifts(organisation, now=now)
        demo_contacts(organisation, now=now)
        # The lines' listings refresh after each commit; one more pass picks up everything at once.
        sync.sync_organisation(organisation, now=now)
