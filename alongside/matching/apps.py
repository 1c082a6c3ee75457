from __future__ import annotations

from django.apps import AppConfig


class MatchingConfig(AppConfig):
    """One-on-one mentorship: match requests, explained scoring, optimal batch assignment, matches."""

    name = "alongside.matching"
    label = "matching"
