from __future__ import annotations

from django.apps import AppConfig


class SafetyConfig(AppConfig):
    """Safety concerns and escalations (DOMAIN.md §6): a protocol, not a number."""

    name = "alongside.safety"
    label = "safety"

    def ready(self) -> None:
        from alongside.people.rights import register_rights_handlers
        from alongside.safety import services

        register_rights_handlers(
            on_restrict=services.participant_restricted, on_anonymise=services.participant_anonymised
        )
