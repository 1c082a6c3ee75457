from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    """The UI shell: base layout, public organisation pages, staff home and organisation admin."""

    name = "alongside.web"
    label = "web"
