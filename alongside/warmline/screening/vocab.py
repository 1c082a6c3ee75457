"""The words of screening that services, pages and data files share: languages, tiers, concepts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CONCEPTS", "LANGUAGES", "OWN_CONCEPT", "Tier", "concept_label"]

LANGUAGES = ("en", "es")


class Tier(models.TextChoices):
    # Present or planned danger, means at hand, finality, abuse, a medical emergency: crisis
    # options to the person at once, checklist to the peer, live alert, escalation, front of queue.
    URGENT = "urgent", _("Urgent")
    # A wish to die without a plan, past self-harm, someone else's words, awareness contexts,
    # ambiguous slang: a calm prompt to the peer to ask about safety; nothing shown to the person.
    CHECK_IN = "check_in", _("Check in")


TIER_RANK = {"": 0, Tier.CHECK_IN: 1, Tier.URGENT: 2}

# Concept names are the same in every language, so a supervisor sees which one matched.
CONCEPTS: dict[str, object] = {
    "suicide_intent": _("Intent or plan to end their life"),
    "wish_to_die": _("A wish to die or not be here"),
    "self_harm": _("Hurting themself"),
    "means": _("Means at hand or taken"),
    "place_of_danger": _("At a place of danger"),
    "finality": _("Saying goodbye, final acts"),
    "someone_else": _("Someone else at risk"),
    "abuse": _("Violence or abuse against them"),
    "medical": _("A medical emergency"),
    "harm_to_others": _("Intent to hurt someone else"),
    "mention": _("Talks about suicide or dying"),
}
OWN_CONCEPT = "own"


def concept_label(name: str) -> str:
    """The concept's name for people (an organisation's own concept names are shown as written)."""
    if name == OWN_CONCEPT:
        return str(_("Our own rule"))
    label = CONCEPTS.get(name)
    return str(label) if label is not None else name
