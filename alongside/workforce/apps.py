from __future__ import annotations

from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    """Sustaining the workforce: private wellbeing check-ins and the signal a worker chooses to share."""

    name = "alongside.workforce"
    label = "workforce"
