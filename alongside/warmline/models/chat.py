"""Live chat: a conversation between a visitor and a peer supporter, and its messages.

A conversation goes ``waiting`` (in the queue) → ``active`` (a peer holds it) → ``closed``, or
``waiting`` → ``abandoned`` when the visitor leaves the queue (or never comes back). The visitor
has no account: their secret is a random token they keep (cookie or link); only its SHA-256 is
stored. Every message gets the next ``seq`` of its conversation under a row lock on the
conversation, and ``client_id`` makes a resend of the same message a no-op (docs/warmline.md,
"Live chat"). Bodies, the alias, the first line and the feedback comment are P3: encrypted.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alongside.accounts.models import Organisation
from alongside.core.crypto import EncryptedTextField
from alongside.core.tenancy import TimestampedModel, tenant_manager
from alongside.warmline.models.lines import Line

__all__ = ["Conversation", "ConversationState", "ConversationTransfer", "Message", "SenderKind"]


class ConversationState(models.TextChoices):
    WAITING = "waiting", _("Waiting for a peer supporter")
    ACTIVE = "active", _("In conversation")
    CLOSED = "closed", _("Closed")
    ABANDONED = "abandoned", _("Left the queue")


class SenderKind(models.TextChoices):
    VISITOR = "visitor", _("The person")
    PEER = "peer", _("Peer supporter")
    SYSTEM = "system", _("Alongside")


class Conversation(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="conversations")
    state = models.CharField(
        _("state"), max_length=10, choices=ConversationState.choices, default=ConversationState.WAITING
    )
    # What the visitor chose to tell us before the chat (optional alias; one line).
    visitor_alias = EncryptedTextField(_("first name or alias"), blank=True, default="")
    first_line = EncryptedTextField(_("what is on their mind"), blank=True, default="")
    language = models.CharField(_("language"), max_length=10, default="en")
    terms_accepted_at = models.DateTimeField(_("chat terms accepted"))
    # SHA-256 of the visitor's secret (never the secret itself).
    visitor_token_hash = models.CharField(max_length=64, unique=True)
    queued_at = models.DateTimeField(_("joined the queue"))
    claimed_at = models.DateTimeField(_("first claimed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    peer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Crisis screening: when a visitor's message first matched, and the rule phrases (policy, not content).
    # Urgent: crisis options shown, alert, escalation, front of the queue (screening or a peer).
    flagged_at = models.DateTimeField(_("flagged by screening"), null=True, blank=True)
    flag_rules = models.JSONField(_("screening rules that matched"), default=list, blank=True)
    # The concepts screening matched (urgent or check in), never the person's words.
    flag_concepts = models.JSONField(_("screening concepts that matched"), default=list, blank=True)
    # Check in: a calm prompt to the peer to ask about safety; nothing is shown to the person.
    checkin_at = models.DateTimeField(_("screening suggested a check-in"), null=True, blank=True)
    escalation = models.ForeignKey(
        "safety.Escalation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The visitor stepped away: they can come back by their link until this moment.
    away_since = models.DateTimeField(null=True, blank=True)
    resume_until = models.DateTimeField(null=True, blank=True)
    # Presence: the last time the visitor's page, socket or poll was heard from (the sweep uses it).
    visitor_seen_at = models.DateTimeField(null=True, blank=True)
    # The newest message's seq (messages are numbered 1, 2, 3… under a lock on this row).
    last_seq = models.PositiveIntegerField(default=0)
    # Retention: the transcript is cleared after this (organisation.retention_transcripts_days after closing).
    purge_after = models.DateTimeField(_("transcript kept until"), null=True, blank=True)
    transcript_purged_at = models.DateTimeField(null=True, blank=True)
    feedback_rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    feedback_comment = EncryptedTextField(_("comment"), blank=True, default="")
    feedback_at = models.DateTimeField(null=True, blank=True)
    # The contact record made from this chat (the contacts part's model), when there is one.
    contact_id = models.UUIDField(null=True, blank=True)

    objects: ClassVar[models.Manager[Conversation]] = tenant_manager()

    class Meta:
        ordering = ["queued_at"]
        indexes = [
            models.Index(fields=["organisation", "line", "state"], name="warmline_conv_queue"),
            models.Index(fields=["organisation", "peer", "state"], name="warmline_conv_peer"),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk}"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender_kind = models.CharField(max_length=10, choices=SenderKind.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The sender's own id for this message (idempotency); system messages get a fresh UUID.
    client_id = models.CharField(max_length=64)
    body = EncryptedTextField()
    # System events the client renders specially ("crisis", "joined", "closed", "transfer"), else "".
    event = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField()

    objects: ClassVar[models.Manager[Message]] = tenant_manager()

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="warmline_message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "sender_kind", "client_id"], name="warmline_message_unique_client_id"
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.seq} of {self.conversation_id}"


class ConversationTransfer(models.Model):
    """A peer handed a conversation to another peer or a supervisor on shift."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="transfers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    objects: ClassVar[models.Manager[ConversationTransfer]] = tenant_manager()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"transfer of {self.conversation_id}"
