"""Screening never stores or logs the words it screened: a message that flags, through the chat (its
first line and a message), the reach-out form, a call record, "try a message" and the command,
leaves no trace of its words in the logs, the audit rows or any plain column of any table (the
doors' own encrypted fields hold them encrypted, as before)."""

from __future__ import annotations

import logging
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat
from tests.warmline.chat.helpers import make_line
from tests.warmline.contacts.helpers import finished

pytestmark = pytest.mark.django_db

MARKER = "zorblax"  # a word no rule knows, inside messages that do flag
MESSAGE = f"{MARKER} I took a whole bottle of my pills tonight"


def plain_columns_holding(value: str) -> list[str]:
    found = []
    with scopes_disabled():
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if type(field) in (models.CharField, models.TextField) and (
                    model._base_manager.filter(**{f"{field.name}__icontains": value}).exists()
                ):
                    found.append(f"{model._meta.label}.{field.name}")
    return found


def test_no_screened_words_in_logs_audit_or_plain_columns(
    harbor: Any, login_as: Any, caplog: Any, monkeypatch: Any
) -> None:
    cache.clear()
    caplog.set_level(logging.DEBUG)
    # Chat: the first line and a message.
    line = make_line(harbor)
    from alongside.warmline import hours, shifts

    monkeypatch.setattr(hours, "line_status", lambda line, at: hours.LineStatus(is_open=True, opens_at=None))
    monkeypatch.setattr(shifts, "available_peers", lambda line, at: [harbor.user("peer").pk])
    with tenant_scope(harbor.organisation):
        started = chat.chat_start(line=line, first_line=MESSAGE, terms_accepted=True)
        chat.message_send(conversation=started.conversation, sender="visitor", client_id="c1", body=MESSAGE)
    with scopes_disabled():
        assert chat.Conversation.objects.filter(pk=started.conversation.pk).exclude(flagged_at=None).exists()
    # The reach-out form.
    Client().post("/o/harbor/reach-out/", {"preferred_name": "Sam", "email": "sam@example.org", "message": MESSAGE})
    # A call record's notes.
    with scopes_disabled():
        finished(harbor, notes=MESSAGE)
    # Try a message, and the command.
    login_as(harbor.user("admin")).post(
        reverse("warmline:screening_try", args=["harbor"]), {"text": MESSAGE, "language": ""}
    )
    call_command("warmline", "screen", "--text", MESSAGE, stdout=StringIO())

    assert MARKER not in caplog.text
    with scopes_disabled():
        rows = [str(values) for values in AuditEvent.objects.values()]
    assert rows and not any(MARKER in row for row in rows)
    assert plain_columns_holding(MARKER) == []
    assert plain_columns_holding("bottle of my pills") == []
