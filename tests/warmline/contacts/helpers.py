"""Set-up for the call and chat record tests: lines straight in the database, records through the
services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts.access import OrgContext
from alongside.accounts.selectors import roles_for
from alongside.audit.models import AuditEvent
from alongside.warmline import contacts
from alongside.warmline.models import Line, LineContact

ALIAS = "Sunny"
NOTES = "Talked about the move and sleeping badly"


def make_line(tenant: Any, name: str = "Evening Line", **fields: Any) -> Line:
    """A line straight in the database (the lines part owns its services)."""
    fields.setdefault("slug", name.lower().replace(" ", "-"))
    with scopes_disabled():
        return Line.objects.create(organisation=tenant.organisation, name=name, **fields)


def tenant_line(tenant: Any) -> Line:
    with scopes_disabled():
        existing = Line.objects.filter(organisation=tenant.organisation, slug="evening-line").first()
    return existing or make_line(tenant)


def start(
    tenant: Any,
    user: Any = None,
    *,
    line: Line | None = None,
    channel: str = "call",
    alias: str = ALIAS,
    at: datetime | None = None,
    **fields: Any,
) -> LineContact:
    with scopes_disabled():
        return contacts.contact_start(
            acting_user=user or tenant.user("peer"),
            line=line or tenant_line(tenant),
            channel=channel,
            caller_alias=alias,
            at=at or timezone.now() - timedelta(minutes=30),
            **fields,
        )


def finished(tenant: Any, user: Any = None, *, minutes: int = 20, **details: Any) -> LineContact:
    """A finished record: started ``minutes`` + 10 minutes ago, ended 10 minutes ago."""
    user = user or tenant.user("peer")
    began = timezone.now() - timedelta(minutes=minutes + 10)
    contact = start(tenant, user, at=began, **{k: details.pop(k) for k in ("line", "channel", "alias") if k in details})
    details.setdefault("caller_kind", "first_time")
    details.setdefault("notes", NOTES)
    with scopes_disabled():
        return contacts.contact_complete(
            acting_user=user, contact=contact, ended_at=began + timedelta(minutes=minutes), **details
        )


def ctx(tenant: Any, role: str, user: Any = None) -> OrgContext:
    user = user or tenant.user(role)
    return OrgContext(tenant.organisation, user, frozenset(roles_for(user, tenant.organisation.pk)))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def rows_since(mark: int) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("action", "object_type"))


def raw(table: str, column: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608 - test-only, fixed names
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return str(cursor.fetchone()[0])
