from __future__ import annotations

from django.apps import AppConfig


class WarmlineConfig(AppConfig):
    """Warm lines (DOMAIN.md §1, §6): lines and their hours, shifts, call and chat records,
    repeat-caller plans, crisis screening, live chat and phone routing. Not a crisis line."""

    name = "alongside.warmline"
    label = "warmline"
