"""Warm-line models: screening (see models/__init__.py).

A screening rule is organisation policy, not personal data: its phrase and its note are plain text
by design (tests/test_crypto.py lists them). The text of the messages screened is never stored here.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation
from alongside.core.tenancy import TimestampedModel, tenant_manager

__all__ = ["ScreeningLanguage", "ScreeningRule"]


class ScreeningLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class ScreeningRule(TimestampedModel):
    """One phrase that flags a message. While an organisation has no rules of its own in a language,
    the built-in defaults (``warmline/data/screening_defaults.json``) are used for that language."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(_("language"), max_length=2, choices=ScreeningLanguage.choices)
    # Plain words, lower case, single spaces; a word may end in "*" for any ending ("suicid*").
    phrase = models.CharField(_("phrase"), max_length=120)
    # A negation cue ("not", "never", "no"...) just before the phrase cancels it. Off for phrases
    # that already contain their negation ("don't want to live").
    negatable = models.BooleanField(_("a negation just before it cancels it"), default=True)
    is_active = models.BooleanField(_("in use"), default=True)
    note = models.CharField(_("why this rule exists"), max_length=300, blank=True)
    # Rules are listed and reported ("matched") in this order.
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[ScreeningRule]] = tenant_manager()

    class Meta:
        ordering = ["language", "position", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "language", "phrase"], name="warmline_screeningrule_unique_phrase"
            ),
        ]

    def __str__(self) -> str:
        return self.phrase
