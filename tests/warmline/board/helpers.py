"""Helpers for the board tests: a running shift with people on it, a chat in progress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat
from alongside.warmline.models import (
    AssignmentHow,
    Conversation,
    DutyStatus,
    Line,
    OnShiftStatus,
    Shift,
    ShiftAssignment,
)
from tests.warmline.chat.helpers import start


def running_shift(line: Line, *people: Any, supervisor: Any = None, status: dict[Any, str] | None = None) -> Shift:
    now = timezone.now()
    with scopes_disabled():
        shift = Shift.objects.create(
            organisation=line.organisation,
            line=line,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
            supervisor=supervisor,
        )
        for person in people:
            ShiftAssignment.objects.create(
                organisation=line.organisation, shift=shift, user=person, how=AssignmentHow.ASSIGNED
            )
        for person, value in (status or {}).items():
            OnShiftStatus.objects.update_or_create(
                organisation=line.organisation,
                user=person,
                defaults={"shift": shift, "status": value, "changed_at": now},
            )
    return shift


def active_chat(line: Line, peer: Any, first_line: str = "Rough week, would like to talk") -> Conversation:
    started = start(line, first_line)
    with tenant_scope(line.organisation):
        return chat.chat_claim(acting_user=peer, conversation=started.conversation)


__all__ = ["DutyStatus", "active_chat", "running_shift"]
