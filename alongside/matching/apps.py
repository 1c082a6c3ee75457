from __future__ import annotations

from django.apps import AppConfig


class MatchingConfig(AppConfig):
    """One-on-one mentorship: match requests, explained scoring, optimal batch assignment, matches."""

    name = "alongside.matching"
    label = "matching"

    def ready(self) -> None:
        from alongside.matching import export, selectors, services
        from alongside.people.access import register_support_scope
        from alongside.people.rights import register_rights_handlers
        from alongside.people.services import register_export_section, register_merge_handler

        register_merge_handler("matching.matchrequest", services.match_requests_merge)
        register_export_section("match_requests", export.REQUESTS)
        register_export_section("mentorships", export.MENTORSHIPS)
        register_support_scope(selectors.mentored_by)
        register_rights_handlers(
            on_restrict=services.participant_restricted, on_anonymise=services.participant_anonymised
        )
