"""The provider-neutral interface: the registry, a second provider plugged in without touching
the views, and the Twilio provider's answers on their own."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django_scopes import scopes_disabled

from alongside.warmline import telephony
from alongside.warmline.models import CallStatus, PhoneCall
from alongside.warmline.telephony import calls, provider_for
from alongside.warmline.telephony.base import IN_TURN, SIMULTANEOUS, RingTarget
from alongside.warmline.telephony.twilio import TwilioProvider
from tests.warmline.telephony.helpers import CALLER, OPEN, TOKEN, phone_line, twiml

TARGETS = [RingTarget("u1", "+12075550101"), RingTarget("u2", "+12075550102")]


def twilio(token: str = TOKEN) -> TwilioProvider:
    return TwilioProvider(type("Config", (), {"auth_token": token, "provider": "twilio"})())


def test_registry_builds_the_provider_named_by_the_settings() -> None:
    config = type("Config", (), {"provider": "twilio", "auth_token": TOKEN})()
    assert isinstance(provider_for(config), TwilioProvider)
    with pytest.raises(KeyError):
        provider_for(type("Config", (), {"provider": "nobody"})())


def test_another_provider_plugs_in(monkeypatch: pytest.MonkeyPatch) -> None:
    class Echo(TwilioProvider):
        name = "echo"

        def closed(self, message: str) -> HttpResponse:
            return HttpResponse(f"echo:{message}")

    monkeypatch.setitem(telephony.PROVIDERS, "echo", Echo)
    provider = provider_for(type("Config", (), {"provider": "echo", "auth_token": ""})())
    assert provider.closed("call 988").content == b"echo:call 988"


@pytest.mark.parametrize(("mode", "numbers"), [(SIMULTANEOUS, 2), (IN_TURN, 1)])
def test_ring_twiml(mode: str, numbers: int) -> None:
    root = twiml(
        twilio().ring(
            TARGETS,
            mode=mode,
            hold_message="Please hold",
            timeout=30,
            whisper_url_for=lambda t: f"https://example.org/w?user={t.user_id}",
            fallback_url="https://example.org/after",
        )
    )
    dial = root.find("Dial")
    assert root.find("Say").text == "Please hold"
    assert dial.get("action") == "https://example.org/after" and dial.get("answerOnBridge") == "true"
    found = list(dial.iter("Number"))
    assert len(found) == numbers and found[0].get("url") == "https://example.org/w?user=u1"


def test_voicemail_closed_and_hangup_twiml() -> None:
    voicemail = twiml(twilio().voicemail("Call or text 988.", action_url="https://example.org/done"))
    assert [el.tag for el in voicemail] == ["Say", "Record", "Hangup"]
    assert voicemail.find("Record").get("action") == "https://example.org/done"
    assert [el.tag for el in twiml(twilio().closed("Call or text 988."))] == ["Say", "Hangup"]
    assert [el.tag for el in twiml(twilio().hangup())] == ["Hangup"]


def test_verify_needs_a_token_a_header_and_post() -> None:
    factory = RequestFactory()
    assert not twilio().verify(factory.post("/x", {"CallSid": "CA1"}))
    assert not twilio(token="").verify(factory.post("/x", {"CallSid": "CA1"}, HTTP_X_TWILIO_SIGNATURE="abc"))
    assert not twilio().verify(factory.get("/x", HTTP_X_TWILIO_SIGNATURE="abc"))


def test_parsing_the_providers_requests() -> None:
    factory = RequestFactory()
    provider = twilio()
    assert provider.parse_inbound(factory.post("/x", {"CallSid": "CA1", "From": CALLER, "To": "+1"})).call_id == "CA1"
    assert provider.parse_dial_result(factory.post("/x", {"CallSid": "CA1", "DialCallStatus": "completed"})).answered
    assert not provider.parse_dial_result(factory.post("/x", {"CallSid": "CA1", "DialCallStatus": "busy"})).answered
    recording = provider.parse_recording(factory.post("/x", {"CallSid": "CA1", "RecordingDuration": "soon"}))
    assert recording.seconds is None and recording.url == ""
    assert provider.pressed(factory.post("/x", {})) is None
    assert provider.pressed(factory.post("/x", {"Digits": "1"})) == "1"


@pytest.mark.django_db
def test_caller_number_for_the_contact_page_only_when_shown(harbor: Any) -> None:
    from alongside.warmline import contacts

    line, config = phone_line(harbor)
    with scopes_disabled():
        draft = contacts.contact_start(acting_user=harbor.user("peer"), line=line, channel="call", at=OPEN)
        PhoneCall.objects.create(
            organisation=harbor.organisation,
            line=line,
            provider_call_id="CA1",
            started_at=OPEN,
            caller_number=CALLER,
            status=CallStatus.ANSWERED,
            contact=draft.contact,
        )
        assert calls.caller_number_for_contact(draft.contact) == ""
        config.show_caller_numbers = True
        config.save()
        assert calls.caller_number_for_contact(draft.contact) == CALLER
