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
from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import TimestampedModel, tenant_manager

__all__ = [
    "MarkKind",
    "ScreeningExample",
    "ScreeningLanguage",
    "ScreeningMark",
    "ScreeningRule",
    "ScreeningTier",
    "ScreeningWord",
]


class ScreeningLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class ScreeningTier(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    CHECK_IN = "check_in", _("Check in")


class ScreeningRule(TimestampedModel):
    """An organisation's own rule, used beside the built-in rules (``warmline/screening/data/``):
    plain words, word sets (``@self``) and gaps (``...``), in the rule language of
    ``warmline/screening/rules.py``. It belongs to a concept and flags in a tier."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(_("language"), max_length=2, choices=ScreeningLanguage.choices)
    # The rule: plain words, lower case, single spaces; "@set", "...", "=word", "word*".
    phrase = models.CharField(_("rule"), max_length=200)
    # A built-in concept's name (warmline/screening/vocab.py) or "own".
    concept = models.CharField(_("concept"), max_length=40, default="own")
    tier = models.CharField(_("tier"), max_length=10, choices=ScreeningTier.choices, default=ScreeningTier.URGENT)
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


class ScreeningWord(TimestampedModel):
    """A word or a few words an organisation adds to one of the built-in word sets of a language
    (``@self``, ``@meds``...): every rule that uses the set then matches it too."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(_("language"), max_length=2, choices=ScreeningLanguage.choices)
    set_name = models.CharField(_("word set"), max_length=40)
    term = models.CharField(_("word or words"), max_length=80)
    is_active = models.BooleanField(_("in use"), default=True)
    note = models.CharField(_("why it was added"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[ScreeningWord]] = tenant_manager()

    class Meta:
        ordering = ["language", "set_name", "term"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "language", "set_name", "term"], name="warmline_screeningword_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.term


class MarkKind(models.TextChoices):
    MISSED = "missed", _("Screening should have caught this")
    WRONG = "wrong", _("Flagged wrongly")


class ScreeningMark(TimestampedModel):
    """A peer's or supervisor's mark on a chat message or a call record: screening should have
    caught it, or flagged it wrongly. Admins see the marks beside the rules (the words are read
    from the message or record itself, with the same access and audit as the transcript: nothing
    is copied here) and can turn one into a rule. Nothing leaves the organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("mark"), max_length=10, choices=MarkKind.choices)
    message = models.ForeignKey("warmline.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "warmline.LineContact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[ScreeningMark]] = tenant_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(message__isnull=False, contact__isnull=True)
                | models.Q(message__isnull=True, contact__isnull=False),
                name="warmline_screeningmark_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"screening mark {self.pk}"


class ScreeningExample(TimestampedModel):
    """A message the organisation keeps to try rule changes on before saving them: what it should
    do (flag or not). Written by admins; kept encrypted all the same, in case a real person's words
    were pasted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(_("language"), max_length=2, choices=ScreeningLanguage.choices)
    text = EncryptedTextField(_("example message"))
    should_flag = models.BooleanField(_("screening should flag it"), default=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[models.Manager[ScreeningExample]] = tenant_manager()

    class Meta:
        ordering = ["language", "created_at"]

    def __str__(self) -> str:
        return f"screening example {self.pk}"
