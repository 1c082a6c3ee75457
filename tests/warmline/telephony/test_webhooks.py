"""Phone routing webhooks with signed sample requests (never the network): the signature check
(403 and nothing written), what callers hear (parsed TwiML: ringing everyone or in turn, the hold
message, the closed message with 988, voicemail), the answering peer's "press 1", the draft record
made once, repeat callers and hidden numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.warmline import shifts
from alongside.warmline.models import (
    AssignmentHow,
    CallStatus,
    LineContact,
    RingMode,
    Shift,
    ShiftAssignment,
    Unanswered,
)
from tests.warmline.telephony.helpers import (
    CALLER,
    CLOSED,
    OPEN,
    calls,
    inbound,
    phone_line,
    signed_post,
    staff_phone,
    twiml,
    webhook_url,
)

pytestmark = pytest.mark.django_db

PEER_PHONE = "+12075550121"
SUPERVISOR_PHONE = "+12075550122"


@pytest.fixture(autouse=True)
def _evening() -> Any:
    """The evening line is open (a test may travel on to when it is closed)."""
    with time_machine.travel(OPEN, tick=False):
        yield


@pytest.fixture
def on_shift(harbor: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The peer and the supervisor are available on shift (in that order), both with phones."""
    people = [harbor.user("peer"), harbor.user("supervisor")]
    staff_phone(harbor, people[0], PEER_PHONE)
    staff_phone(harbor, people[1], SUPERVISOR_PHONE)
    monkeypatch.setattr(shifts, "available_peers", lambda line, at: list(people))
    return people


def dial_numbers(root: Any) -> list[str]:
    return [(n.text or "").strip() for n in root.iter("Number")]


def whisper_urls(root: Any) -> list[str]:
    return [n.get("url") for n in root.iter("Number")]


def ring(line: Any, sid: str = "CA100", caller: str = CALLER) -> Any:
    return twiml(signed_post(webhook_url("phone_voice", line), inbound(sid, caller)))


def whisper(url: str, parent: str = "CA100", digits: str | None = None, child: str = "CA900") -> Any:
    params = {"CallSid": child, "ParentCallSid": parent, "CallStatus": "in-progress"}
    if digits is not None:
        params["Digits"] = digits
    return signed_post(url, params)


def audit_count() -> int:
    with scopes_disabled():
        return AuditEvent.objects.count()


# --- Signatures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["wrong token", "tampered parameter", "missing header", "other line's token"],
)
def test_bad_signatures_get_403_and_write_nothing(harbor: Any, on_shift: Any, case: str) -> None:
    line, _config = phone_line(harbor)
    _other, _other_config = phone_line(harbor, "Other Line", auth_token="a-different-token")
    url = webhook_url("phone_voice", line)
    before = audit_count()
    params = inbound()
    if case == "wrong token":
        response = signed_post(url, params, token="not-the-token")
    elif case == "tampered parameter":
        response = signed_post(url, {**params, "From": "+12075550999"}, sign=params)
    elif case == "other line's token":
        response = signed_post(url, params, token="a-different-token")
    else:
        from django.test import Client

        response = Client().post(url, params)
    assert response.status_code == 403
    assert calls() == [] and audit_count() == before


def test_every_webhook_checks_the_signature(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    ring(line)
    before = [(c.status, c.answered_by_id, c.voicemail_url) for c in calls()]
    for name in ("phone_whisper", "phone_dial_status", "phone_voicemail_done"):
        params = {
            "CallSid": "CA100",
            "ParentCallSid": "CA100",
            "Digits": "1",
            "DialCallStatus": "no-answer",
            "RecordingUrl": "https://api.twilio.com/rec/RE1",
            "RecordingDuration": "12",
        }
        assert signed_post(webhook_url(name, line), params, token="forged").status_code == 403
    assert [(c.status, c.answered_by_id, c.voicemail_url) for c in calls()] == before


def test_unknown_line_or_line_without_phone_settings_is_404(harbor: Any) -> None:
    from tests.warmline.lines.helpers import make_line

    bare = make_line(harbor, "No Phone Line")
    assert signed_post(webhook_url("phone_voice", bare), inbound()).status_code == 404
    line, config = phone_line(harbor)
    with scopes_disabled():
        config.is_active = False
        config.save()
    assert signed_post(webhook_url("phone_voice", line), inbound()).status_code == 404
    assert calls() == []


def test_get_is_refused(harbor: Any) -> None:
    line, _config = phone_line(harbor)
    from django.test import Client

    assert Client().get(webhook_url("phone_voice", line)).status_code in (403, 405)
    assert calls() == []


# --- Ringing ---------------------------------------------------------------------------------------


def test_open_line_rings_everyone_at_once_after_the_hold_message(harbor: Any, on_shift: Any) -> None:
    line, config = phone_line(harbor, hold_message="Thanks for calling. Not a crisis line; connecting you.")
    root = ring(line)
    assert [el.tag for el in root] == ["Say", "Dial"]
    assert root.find("Say").text == "Thanks for calling. Not a crisis line; connecting you."
    dial = root.find("Dial")
    assert dial.get("timeout") == "20" and dial.get("action").endswith(webhook_url("phone_dial_status", line))
    assert dial_numbers(root) == [PEER_PHONE, SUPERVISOR_PHONE]
    for url in whisper_urls(root):
        assert webhook_url("phone_whisper", line) in url and "user=" in url
    [call] = calls()
    assert call.status == CallStatus.RINGING and call.line_id == line.pk
    assert call.ring_queue == [str(on_shift[0].pk), str(on_shift[1].pk)]


def test_in_turn_rings_one_phone_then_the_next_then_the_fallback(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor, ring_mode=RingMode.IN_TURN, ring_timeout=15)
    root = ring(line)
    assert dial_numbers(root) == [PEER_PHONE] and root.find("Dial").get("timeout") == "15"
    status_url = webhook_url("phone_dial_status", line)
    second = twiml(signed_post(status_url, {"CallSid": "CA100", "DialCallStatus": "no-answer"}))
    assert dial_numbers(second) == [SUPERVISOR_PHONE]
    assert second.find("Say") is None  # the hold message plays once
    last = twiml(signed_post(status_url, {"CallSid": "CA100", "DialCallStatus": "busy"}))
    assert last.find("Dial") is None and last.find("Record") is not None
    assert "988" in last.find("Say").text
    assert calls()[0].status == CallStatus.MISSED


def test_in_turn_skips_a_peer_who_removed_their_phone_meanwhile(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor, ring_mode=RingMode.IN_TURN)
    ring(line)
    with scopes_disabled():
        from alongside.warmline.models import StaffPhone

        StaffPhone.objects.filter(user=on_shift[1]).update(ring_on_shift=False)
    after = twiml(signed_post(webhook_url("phone_dial_status", line), {"CallSid": "CA100", "DialCallStatus": "failed"}))
    assert after.find("Dial") is None and after.find("Record") is not None


def test_simultaneous_no_answer_goes_to_the_fallback(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor, unanswered=Unanswered.MESSAGE)
    ring(line)
    root = twiml(
        signed_post(webhook_url("phone_dial_status", line), {"CallSid": "CA100", "DialCallStatus": "no-answer"})
    )
    assert [el.tag for el in root] == ["Say", "Hangup"] and "988" in root.find("Say").text
    assert calls()[0].status == CallStatus.MISSED


def test_only_peers_with_a_phone_who_want_it_to_ring(harbor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    peer, coordinator, supervisor = harbor.user("peer"), harbor.user("coordinator"), harbor.user("supervisor")
    staff_phone(harbor, peer, PEER_PHONE)
    staff_phone(harbor, coordinator, "+12075550123", ring=False)
    monkeypatch.setattr(shifts, "available_peers", lambda line, at: [peer, coordinator, supervisor])
    line, _config = phone_line(harbor)
    assert dial_numbers(ring(line)) == [PEER_PHONE]


def test_real_shift_rings_the_peer_and_supervisor_on_it(harbor: Any) -> None:
    line, _config = phone_line(harbor)
    peer, supervisor = harbor.user("peer"), harbor.user("supervisor")
    staff_phone(harbor, peer, PEER_PHONE)
    staff_phone(harbor, supervisor, SUPERVISOR_PHONE)
    from datetime import timedelta

    with scopes_disabled():
        shift = Shift.objects.create(
            organisation=harbor.organisation,
            line=line,
            starts_at=OPEN - timedelta(hours=1),
            ends_at=OPEN + timedelta(hours=2),
            supervisor=supervisor,
        )
        ShiftAssignment.objects.create(
            organisation=harbor.organisation, shift=shift, user=peer, how=AssignmentHow.SIGNED_UP
        )
    assert sorted(dial_numbers(ring(line))) == sorted([PEER_PHONE, SUPERVISOR_PHONE])


def test_nobody_available_gets_the_fallback(harbor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shifts, "available_peers", lambda line, at: [])
    line, _config = phone_line(harbor)
    root = ring(line)
    assert root.find("Dial") is None
    assert "988" in root.find("Say").text and root.find("Record") is not None
    assert calls()[0].status == CallStatus.MISSED


@time_machine.travel(CLOSED, tick=False)
def test_closed_line_plays_the_message_with_988(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor, unanswered=Unanswered.MESSAGE)
    root = ring(line)
    assert [el.tag for el in root] == ["Say", "Hangup"]
    assert "call or text 988" in root.find("Say").text
    [call] = calls()
    assert call.status == CallStatus.CLOSED and call.ended_at is not None


@time_machine.travel(CLOSED, tick=False)
def test_closed_line_with_voicemail_records_and_keeps_only_the_link(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    root = ring(line)
    assert [el.tag for el in root] == ["Say", "Record", "Hangup"]
    assert "988" in root.find("Say").text
    record = root.find("Record")
    assert record.get("action").endswith(webhook_url("phone_voicemail_done", line))
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE123"
    done = signed_post(
        webhook_url("phone_voicemail_done", line),
        {"CallSid": "CA100", "RecordingUrl": recording, "RecordingDuration": "42", "RecordingSid": "RE123"},
    )
    assert [el.tag for el in twiml(done)] == ["Hangup"]
    [call] = calls()
    assert call.status == CallStatus.VOICEMAIL and call.voicemail_seconds == 42 and call.voicemail_url == recording
    with connection.cursor() as cursor:
        cursor.execute("SELECT voicemail_url FROM warmline_phonecall WHERE id = %s", [call.pk.hex])
        raw = cursor.fetchone()[0]
    assert "twilio" not in raw and raw.startswith("gAAAA")


def test_voicemail_link_that_is_not_https_is_not_kept(harbor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shifts, "available_peers", lambda line, at: [])
    line, _config = phone_line(harbor)
    ring(line)
    signed_post(
        webhook_url("phone_voicemail_done", line),
        {"CallSid": "CA100", "RecordingUrl": "javascript:alert(1)", "RecordingDuration": "3"},
    )
    assert calls()[0].voicemail_url == "" and calls()[0].status == CallStatus.MISSED


def test_retried_inbound_webhook_makes_one_call(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    first, again = ring(line), ring(line)
    assert dial_numbers(first) == dial_numbers(again)
    assert len(calls()) == 1


# --- Answering ---------------------------------------------------------------------------------------


def test_press_1_marks_the_answerer_and_starts_their_record_once(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    peer_url, supervisor_url = whisper_urls(ring(line))
    prompt = twiml(whisper(peer_url))
    gather = prompt.find("Gather")
    assert gather.get("numDigits") == "1" and "Press 1 to take it" in gather.find("Say").text
    assert gather.get("action") == peer_url
    assert [el.tag for el in prompt] == ["Gather", "Hangup"]  # no key: that phone hangs up
    assert calls()[0].answered_by_id is None

    connected = twiml(whisper(peer_url, digits="1"))
    assert len(connected) == 0  # an empty response connects the call
    twiml(whisper(peer_url, digits="1"))  # Twilio retries: still one record
    [call] = calls()
    assert call.status == CallStatus.ANSWERED and call.answered_by_id == on_shift[0].pk
    with scopes_disabled():
        [draft] = LineContact.objects.all()
        assert draft.contact.peer_id == on_shift[0].pk and draft.state == "draft" and draft.channel == "call"
    assert call.contact_id == draft.contact_id

    # The supervisor's phone answers too late: it hangs up, nothing changes.
    late = twiml(whisper(supervisor_url, digits="1", child="CA901"))
    assert [el.tag for el in late] == ["Hangup"]
    assert calls()[0].answered_by_id == on_shift[0].pk

    # The call ends: the dial action closes it, no fallback.
    ended = twiml(
        signed_post(webhook_url("phone_dial_status", line), {"CallSid": "CA100", "DialCallStatus": "completed"})
    )
    assert [el.tag for el in ended] == ["Hangup"]
    call = calls()[0]
    assert call.status == CallStatus.ANSWERED and call.ended_at is not None
    with scopes_disabled():
        assert LineContact.objects.count() == 1


def test_other_key_or_bad_token_does_not_take_the_call(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    peer_url, _second = whisper_urls(ring(line))
    assert [el.tag for el in twiml(whisper(peer_url, digits="2"))] == ["Hangup"]
    forged = webhook_url("phone_whisper", line, user="forged-token")
    assert [el.tag for el in twiml(whisper(f"http://testserver{forged}", digits="1"))] == ["Hangup"]
    # A real token from another call does not work on this one.
    ring(line, sid="CA200", caller="+12075550188")
    assert [el.tag for el in twiml(whisper(peer_url, parent="CA200", digits="1"))] == ["Hangup"]
    assert all(call.answered_by_id is None for call in calls())
    with scopes_disabled():
        assert LineContact.objects.count() == 0


def test_answered_call_without_the_key_counts_as_not_answered(harbor: Any, on_shift: Any) -> None:
    """A voicemail box that picks up never presses 1: the caller moves on, not into a mailbox."""
    line, _config = phone_line(harbor, ring_mode=RingMode.IN_TURN)
    ring(line)
    root = twiml(
        signed_post(webhook_url("phone_dial_status", line), {"CallSid": "CA100", "DialCallStatus": "completed"})
    )
    assert dial_numbers(root) == [SUPERVISOR_PHONE]


def test_whisper_token_names_the_peer(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    peer_url, supervisor_url = whisper_urls(ring(line))
    assert parse_qs(urlsplit(peer_url).query)["user"] != parse_qs(urlsplit(supervisor_url).query)["user"]
    twiml(whisper(supervisor_url, digits="1"))
    assert calls()[0].answered_by_id == on_shift[1].pk


# --- Repeat callers and numbers ------------------------------------------------------------------------


def test_repeat_caller_is_known_by_a_keyed_hash_only(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    other, _other_config = phone_line(harbor, "Other Line")
    ring(line, sid="CA1")
    ring(line, sid="CA2", caller="+1 (207) 555-0177")
    ring(line, sid="CA3", caller="+12075550999")
    ring(other, sid="CA4")
    by_sid = {call.provider_call_id: call for call in calls()}
    assert [by_sid[s].repeat_caller for s in ("CA1", "CA2", "CA3", "CA4")] == [False, True, False, False]
    assert by_sid["CA1"].caller_hash == by_sid["CA2"].caller_hash != by_sid["CA3"].caller_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT caller_hash, caller_number FROM warmline_phonecall")
        rows = cursor.fetchall()
    for digest, number in rows:
        assert "5550177" not in digest and "5550177" not in (number or "")
    assert all(call.caller_number == "" for call in calls())


def test_numbers_kept_encrypted_only_when_the_line_shows_them(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor, show_caller_numbers=True)
    ring(line)
    [call] = calls()
    assert call.caller_number == CALLER
    with connection.cursor() as cursor:
        cursor.execute("SELECT caller_number FROM warmline_phonecall WHERE id = %s", [call.pk.hex])
        raw = cursor.fetchone()[0]
    assert CALLER not in raw and raw.startswith("gAAAA")


def test_audit_rows_name_no_number(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    peer_url, _second = whisper_urls(ring(line))
    twiml(whisper(peer_url, digits="1"))
    with scopes_disabled():
        actions = list(
            AuditEvent.objects.filter(object_type="warmline.phonecall").order_by("id").values_list("action", flat=True)
        )
        assert actions == ["phone_call.receive", "phone_call.ringing", "phone_call.answer"]
    assert all(call.caller_number == "" for call in calls())


def test_call_end_goes_on_the_draft_and_a_repeat_caller_is_marked(harbor: Any, on_shift: Any) -> None:
    line, _config = phone_line(harbor)
    ring(line, sid="CA1")  # an earlier call from the same number
    peer_url, _second = whisper_urls(ring(line, sid="CA2"))
    twiml(whisper(peer_url, parent="CA2", digits="1"))
    with time_machine.travel(OPEN + timedelta(minutes=7), tick=False):
        signed_post(webhook_url("phone_dial_status", line), {"CallSid": "CA2", "DialCallStatus": "completed"})
    with scopes_disabled():
        [draft] = LineContact.objects.all()
    assert draft.state == "draft" and draft.caller_kind == "repeat"
    assert draft.ended_at == OPEN + timedelta(minutes=7) and draft.contact.duration_minutes == 7


def test_call_still_connects_when_the_record_cannot_be_started(
    harbor: Any, on_shift: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.exceptions import ValidationError

    from alongside.warmline import contacts

    def refuse(**kwargs: Any) -> Any:
        raise ValidationError({"line": "This line is not in service."})

    monkeypatch.setattr(contacts, "contact_start", refuse)
    line, _config = phone_line(harbor)
    peer_url, _second = whisper_urls(ring(line))
    assert len(twiml(whisper(peer_url, digits="1"))) == 0
    [call] = calls()
    assert call.answered_by_id == on_shift[0].pk and call.contact_id is None
