"""Helpers for the live-chat tests: a chat line, and the other parts' functions made predictable."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scopes_disabled

from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat, hours, screening, shifts
from alongside.warmline.models import Conversation, Line

FLAG_WORD = "hopeless-test-phrase"  # screened as urgent (concept "means")
CHECKIN_WORD = "checkin-test-phrase"  # screened as check in (concept "wish_to_die")


def make_line(t: Any, slug: str = "talk", **fields: Any) -> Line:
    defaults: dict[str, Any] = {"name": f"{t.organisation.name} Talk Line", "chat_enabled": True}
    defaults.update(fields)
    with scopes_disabled():
        return Line.objects.create(organisation=t.organisation, slug=slug, **defaults)


class World:
    """Who is on shift and whether the line is open, as the tests set it."""

    def __init__(self) -> None:
        self.open = True
        self.opens_at: Any = None
        self.on_shift: set[Any] = set()
        self.available: set[Any] = set()
        self.supervisors: list[Any] = []

    def put_on_shift(self, *users: Any) -> None:
        for user in users:
            self.on_shift.add(user.pk)
            self.available.add(user.pk)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    w = World()

    def line_status(line: Any, at: Any) -> hours.LineStatus:
        return hours.LineStatus(is_open=w.open, opens_at=None if w.open else w.opens_at)

    def screen(text: str, *, organisation: Any = None, language: str = "en") -> screening.Verdict:
        if FLAG_WORD in text:
            return screening.Verdict(tier="urgent", concepts=["means"], matched=[FLAG_WORD])
        if CHECKIN_WORD in text:
            return screening.Verdict(tier="check_in", concepts=["wish_to_die"], matched=[CHECKIN_WORD])
        return screening.Verdict()

    monkeypatch.setattr(hours, "line_status", line_status)
    monkeypatch.setattr(shifts, "available_peers", lambda line, at: [pk for pk in w.available])
    monkeypatch.setattr(shifts, "is_on_shift", lambda user, line, at: user.pk in w.on_shift)
    monkeypatch.setattr(shifts, "supervisors_on_duty", lambda line, at: list(w.supervisors))
    monkeypatch.setattr(screening, "screen", screen)
    return w


def start(line: Line, first_line: str = "Rough week, would like to talk", **kwargs: Any) -> chat.ChatStart:
    with tenant_scope(line.organisation):
        return chat.chat_start(line=line, first_line=first_line, terms_accepted=True, **kwargs)


def fresh(conversation: Conversation) -> Conversation:
    with scopes_disabled():
        return Conversation.objects.select_related("organisation", "line").get(pk=conversation.pk)
