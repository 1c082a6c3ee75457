"""Phone routing: a line's phone settings, the number that rings for each staff member, and the
calls that came in (see docs/warmline.md, "Phone routing").

Secrets and P2 are encrypted: the provider's auth token, a staff member's own phone number, a
caller's number (kept only when the organisation chose to show numbers to peers) and the link to
a voicemail recording (the recording itself stays at the provider). A caller's number is otherwise
kept only as a keyed hash, enough to tell a first-time caller from a repeat one.
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

__all__ = [
    "DEFAULT_CLOSED_MESSAGE",
    "DEFAULT_HOLD_MESSAGE",
    "CallStatus",
    "LinePhone",
    "PhoneCall",
    "PhoneProvider",
    "RingMode",
    "StaffPhone",
    "Unanswered",
]

RING_TIMEOUT_MIN, RING_TIMEOUT_MAX = 10, 60

DEFAULT_HOLD_MESSAGE = (
    "Thank you for calling the warm line. This is not a crisis line. We are connecting you with a peer supporter."
)
DEFAULT_CLOSED_MESSAGE = (
    "If you are in crisis, call or text 988, the Suicide and Crisis Lifeline. In an emergency, call 911. "
    "This warm line is not a crisis line, and nobody can answer right now. Please call again when the line is open."
)


class PhoneProvider(models.TextChoices):
    TWILIO = "twilio", _("Twilio")


class RingMode(models.TextChoices):
    SIMULTANEOUS = "simultaneous", _("Ring everyone on shift at once")
    IN_TURN = "in_turn", _("Ring one peer supporter at a time")


class Unanswered(models.TextChoices):
    VOICEMAIL = "voicemail", _("Play the message, then take a voicemail")
    MESSAGE = "message", _("Play the message only")


class CallStatus(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    VOICEMAIL = "voicemail", _("Voicemail")
    MISSED = "missed", _("Not answered")
    CLOSED = "closed", _("Line closed")


class LinePhone(TimestampedModel):
    """How a line's phone number is answered: the provider account, who rings and how, and what
    callers hear when nobody can answer or the line is closed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.OneToOneField(Line, on_delete=models.CASCADE, related_name="phone")
    provider = models.CharField(
        _("phone provider"), max_length=20, choices=PhoneProvider.choices, default=PhoneProvider.TWILIO
    )
    account_sid = models.CharField(_("account SID"), max_length=64, blank=True)
    # A secret: encrypted, and never shown back in a form.
    auth_token = EncryptedTextField(_("auth token"), blank=True, sensitivity="secret")
    ring_mode = models.CharField(
        _("how phones ring"), max_length=16, choices=RingMode.choices, default=RingMode.SIMULTANEOUS
    )
    ring_timeout = models.PositiveSmallIntegerField(
        _("seconds to ring"),
        default=20,
        validators=[MinValueValidator(RING_TIMEOUT_MIN), MaxValueValidator(RING_TIMEOUT_MAX)],
    )
    hold_message = models.TextField(_("hold message"), max_length=500, default=DEFAULT_HOLD_MESSAGE)
    unanswered = models.CharField(
        _("when nobody answers or the line is closed"),
        max_length=12,
        choices=Unanswered.choices,
        default=Unanswered.VOICEMAIL,
    )
    # Must keep the organisation's crisis options (988 by default): the service refuses one without.
    closed_message = models.TextField(
        _("message when nobody can answer"), max_length=1000, default=DEFAULT_CLOSED_MESSAGE
    )
    show_caller_numbers = models.BooleanField(_("show callers' numbers to peer supporters"), default=False)
    is_active = models.BooleanField(_("answer calls through this service"), default=True)

    objects: ClassVar[models.Manager[LinePhone]] = tenant_manager()

    def __str__(self) -> str:
        return f"{self.line_id} ({self.provider})"


class StaffPhone(TimestampedModel):
    """The number that rings for a staff member while they are on shift (P2: encrypted)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    number = EncryptedTextField(_("phone number"), sensitivity="P2")
    ring_on_shift = models.BooleanField(_("ring me while I am on shift"), default=True)

    objects: ClassVar[models.Manager[StaffPhone]] = tenant_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="warmline_staffphone_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"phone of {self.user_id}"


class PhoneCall(TimestampedModel):
    """One inbound call. Made by the provider's webhook; the provider's call id makes retried
    webhooks land on the same row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="phone_calls")
    provider = models.CharField(max_length=20, choices=PhoneProvider.choices, default=PhoneProvider.TWILIO)
    provider_call_id = models.CharField(max_length=64)
    # Keyed hash of the caller's number (``groups.registration.contact_hash``): repeat detection only.
    caller_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Kept only when the line shows callers' numbers to peers (P2: encrypted).
    caller_number = EncryptedTextField(blank=True, sensitivity="P2")
    repeat_caller = models.BooleanField(_("called this line before"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=CallStatus.choices, default=CallStatus.RINGING)
    started_at = models.DateTimeField(_("started"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "people.ContactRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # In-turn ringing: the user ids to ring, in order, and the position reached.
    ring_queue = models.JSONField(default=list, blank=True)
    ring_position = models.PositiveSmallIntegerField(default=0)
    # The recording stays at the provider: only its address (encrypted) and length are kept.
    voicemail_url = EncryptedTextField(blank=True)
    voicemail_seconds = models.PositiveIntegerField(null=True, blank=True)

    objects: ClassVar[models.Manager[PhoneCall]] = tenant_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_call_id"], name="warmline_phonecall_unique_call"),
        ]
        indexes = [models.Index(fields=["organisation", "-started_at"], name="warmline_phonecall_recent")]

    def __str__(self) -> str:
        return f"call {self.pk} ({self.status})"

    @property
    def duration_seconds(self) -> int | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.answered_at).total_seconds()))
