"""The Twilio provider: webhook signatures checked with Twilio's own ``RequestValidator``, answers
built with its ``VoiceResponse`` (TwiML). Nothing here calls Twilio's REST API.

Signatures cover the full URL Twilio requested and the POST parameters, so the URL this server
sees must be the public one: behind a proxy, forward the host and ``X-Forwarded-Proto``
(``SECURE_PROXY_SSL_HEADER`` is set in production).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from alongside.warmline.telephony import register_provider
from alongside.warmline.telephony.base import IN_TURN, DialResult, InboundCall, Recording, RingTarget

SIGNATURE_HEADER = "HTTP_X_TWILIO_SIGNATURE"
ANSWERED = {"completed", "answered"}
VOICEMAIL_MAX_SECONDS = 180


def _twiml(response: Any) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


def _post(request: HttpRequest, name: str) -> str:
    return str(request.POST.get(name, "")).strip()


class TwilioProvider:
    name = "twilio"

    def __init__(self, config: Any) -> None:
        self.config = config

    # --- Requests ----------------------------------------------------------------------------

    def verify(self, request: HttpRequest) -> bool:
        signature = request.META.get(SIGNATURE_HEADER, "")
        token = self.config.auth_token or ""
        if not signature or not token or request.method != "POST":
            return False
        validator = RequestValidator(token)
        return bool(validator.validate(request.build_absolute_uri(), request.POST, signature))

    def parse_inbound(self, request: HttpRequest) -> InboundCall:
        return InboundCall(
            call_id=_post(request, "CallSid"), from_number=_post(request, "From"), to_number=_post(request, "To")
        )

    def parse_dial_result(self, request: HttpRequest) -> DialResult:
        status = _post(request, "DialCallStatus").lower()
        return DialResult(call_id=_post(request, "CallSid"), answered=status in ANSWERED)

    def parse_recording(self, request: HttpRequest) -> Recording:
        try:
            seconds: int | None = int(_post(request, "RecordingDuration"))
        except ValueError:
            seconds = None
        return Recording(call_id=_post(request, "CallSid"), url=_post(request, "RecordingUrl"), seconds=seconds)

    def answering_call_id(self, request: HttpRequest) -> str:
        # The whisper runs on the child leg (the peer's phone); the caller's call is its parent.
        return _post(request, "ParentCallSid")

    def pressed(self, request: HttpRequest) -> str | None:
        if "Digits" not in request.POST:
            return None
        return _post(request, "Digits")

    # --- Answers -----------------------------------------------------------------------------

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
        response = VoiceResponse()
        if hold_message:
            response.say(hold_message)
        dial = response.dial(action=fallback_url, method="POST", timeout=timeout, answer_on_bridge=True)
        for target in targets[:1] if mode == IN_TURN else targets:
            dial.number(target.number, url=whisper_url_for(target), method="POST")
        return _twiml(response)

    def whisper(self, prompt: str, *, action_url: str) -> HttpResponse:
        response = VoiceResponse()
        gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=10)
        gather.say(prompt)
        response.hangup()
        return _twiml(response)

    def connect(self) -> HttpResponse:
        return _twiml(VoiceResponse())

    def voicemail(self, message: str, *, action_url: str) -> HttpResponse:
        response = VoiceResponse()
        response.say(message)
        response.record(action=action_url, method="POST", max_length=VOICEMAIL_MAX_SECONDS, play_beep=True)
        response.hangup()
        return _twiml(response)

    def closed(self, message: str) -> HttpResponse:
        response = VoiceResponse()
        response.say(message)
        response.hangup()
        return _twiml(response)

    def hangup(self) -> HttpResponse:
        response = VoiceResponse()
        response.hangup()
        return _twiml(response)


register_provider("twilio", TwilioProvider)
