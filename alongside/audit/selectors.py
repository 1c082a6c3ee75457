from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from alongside.audit.models import AuditEvent


def events_for_organisation(
    organisation: Any, *, object_id: str = "", action: str = "", actor_id: Any = None
) -> QuerySet[AuditEvent]:
    """Who viewed or changed what in one organisation, newest first."""
    qs = AuditEvent.objects.filter(organisation_id=organisation.pk).order_by("-id")
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action__startswith=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    return qs


def events_since(after_id: int, n: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=after_id).order_by("id")[:n])


def last_events(n: int) -> list[AuditEvent]:
    return list(reversed(AuditEvent.objects.order_by("-id")[:n]))
