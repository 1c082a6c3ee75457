"""The provider-neutral telephony interface (see docs/warmline.md, "Phone routing").

A provider turns its webhook requests into the small values below and builds the answers its
platform understands (TwiML for Twilio). The views and ``telephony.calls`` only ever talk to this
interface, so adding a provider (Telnyx, SignalWire, an Asterisk or FreeSWITCH bridge) means one
module implementing ``Provider`` and one line in ``telephony.PROVIDERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.http import HttpRequest, HttpResponse

SIMULTANEOUS = "simultaneous"
IN_TURN = "in_turn"


@dataclass(frozen=True)
class InboundCall:
    """A call arriving at a line's number."""

    call_id: str
    from_number: str
    to_number: str


@dataclass(frozen=True)
class RingTarget:
    """A phone to ring: the staff member's id (kept to know who answered) and their number."""

    user_id: str
    number: str


@dataclass(frozen=True)
class DialResult:
    """How one attempt to ring ended: ``answered`` (the peer took the call and it has now ended),
    or not (no answer, busy, failed, cancelled)."""

    call_id: str
    answered: bool


@dataclass(frozen=True)
class Recording:
    call_id: str
    url: str
    seconds: int | None


class Provider(Protocol):
    name: str

    def verify(self, request: HttpRequest) -> bool:
        """Whether the request really comes from the provider (signature check)."""
        ...

    def parse_inbound(self, request: HttpRequest) -> InboundCall: ...

    def parse_dial_result(self, request: HttpRequest) -> DialResult: ...

    def parse_recording(self, request: HttpRequest) -> Recording: ...

    def answering_call_id(self, request: HttpRequest) -> str:
        """On the answering phone's leg (the whisper): the id of the caller's call."""
        ...

    def pressed(self, request: HttpRequest) -> str | None:
        """The key pressed in answer to ``whisper`` (None when nothing was asked yet)."""
        ...

    def ring(
        self,
        targets: Sequence[RingTarget],
        *,
        mode: str,
        hold_message: str,
        timeout: int,
        whisper_url_for: Callable[[RingTarget], str],
        fallback_url: str,
    ) -> HttpResponse:
        """Play ``hold_message`` (when not empty), then ring ``targets``: all at once
        (``SIMULTANEOUS``) or only the first (``IN_TURN``: the caller asks again at ``fallback_url``
        for the next). Each answering phone first runs ``whisper_url_for(target)``; when the
        attempt ends the provider requests ``fallback_url``."""
        ...

    def whisper(self, prompt: str, *, action_url: str) -> HttpResponse:
        """On the answering phone: say ``prompt`` and collect one key at ``action_url``; hang up
        that phone when no key is pressed."""
        ...

    def connect(self) -> HttpResponse:
        """On the answering phone after the key: connect it to the caller."""
        ...

    def voicemail(self, message: str, *, action_url: str) -> HttpResponse: ...

    def closed(self, message: str) -> HttpResponse: ...

    def hangup(self) -> HttpResponse: ...
