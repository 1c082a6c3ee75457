from __future__ import annotations

from django.apps import AppConfig


class WarmlineConfig(AppConfig):
    """Warm lines (DOMAIN.md §1, §6): lines and their hours, shifts, call and chat records,
    repeat-caller plans, crisis screening, live chat and phone routing. Not a crisis line."""

    name = "alongside.warmline"
    label = "warmline"

    def ready(self) -> None:
        from alongside.people.rights import register_rights_handlers
        from alongside.warmline import contacts

        # A person's warm-line records follow their rights requests like every other record:
        # restriction stops new use, anonymisation clears what identifies them.
        register_rights_handlers(
            on_restrict=contacts.participant_restricted, on_anonymise=contacts.participant_anonymised
        )
