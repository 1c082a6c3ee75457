from __future__ import annotations

from django.apps import AppConfig


class GroupsConfig(AppConfig):
    """Group peer support: definitions, schedules, sessions, registration and waitlists,
    attendance, agreements and feedback."""

    name = "alongside.groups"
    label = "groups"
