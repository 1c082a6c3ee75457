from __future__ import annotations

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Participants, families, guardians, consent, intake, contact records and peer profiles."""

    name = "alongside.people"
    label = "people"
