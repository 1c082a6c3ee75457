from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    """Group peer support: definitions, schedules, sessions, registration and waitlists,
    attendance, agreements and feedback."""

    name = "alongside.groups"
    label = "groups"

    def ready(self) -> None:
        from alongside.groups import registration
        from alongside.people.rights import register_rights_handlers
        from alongside.people.services import ExportSection, register_export_section, register_merge_handler

        # Registrations name a participant: merges move them (one place per group), erasure
        # requests cancel them, anonymisation clears what identifies the person.
        register_merge_handler("groups.registration", registration.registrations_merge)
        register_export_section(
            "group_registrations", ExportSection(_("Group registrations"), registration.export_rows)
        )
        register_rights_handlers(
            on_restrict=registration.participant_restricted, on_anonymise=registration.participant_anonymised
        )
