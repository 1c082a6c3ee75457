"""Staff pages of phone routing: a line's phone settings (the auth token is write-only, the
message must keep the crisis options, bad input writes nothing), "My phone for shifts" (E.164,
encrypted) and the recent calls list (numbers hidden unless the line shows them; a query budget)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.warmline import contacts
from alongside.warmline.models import CallStatus, LinePhone, PhoneCall, StaffPhone
from alongside.warmline.models.telephony import DEFAULT_CLOSED_MESSAGE
from tests.warmline.lines.helpers import make_line
from tests.warmline.telephony.helpers import CALLER, OPEN, TOKEN, phone_line

pytestmark = pytest.mark.django_db


def url(name: str, t: Any, *args: Any) -> str:
    return reverse(f"warmline:{name}", args=[t.organisation.slug, *args])


def settings_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "provider": "twilio",
        "account_sid": "AC0123",
        "auth_token": "secret-token-value",
        "ring_mode": "in_turn",
        "ring_timeout": "25",
        "hold_message": "Thanks for calling. This is not a crisis line.",
        "unanswered": "voicemail",
        "closed_message": DEFAULT_CLOSED_MESSAGE,
        "is_active": "on",
    }
    data.update(overrides)
    return data


def config_of(line: Any) -> LinePhone | None:
    with scopes_disabled():
        return LinePhone.objects.filter(line=line).first()


def audit_count() -> int:
    with scopes_disabled():
        return AuditEvent.objects.count()


# --- Line phone settings -------------------------------------------------------------------------


def test_settings_create_then_token_is_write_only(harbor: Any, login_as: Any) -> None:
    line = make_line(harbor)
    client = login_as(harbor.user("coordinator"))
    page = client.get(url("line_phone", harbor, line.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("warmline:phone_voice", args=[line.pk]) in body and "988" in body
    response = client.post(url("line_phone", harbor, line.pk), settings_post())
    assert response.status_code == 302
    config = config_of(line)
    assert config is not None
    assert (config.ring_mode, config.ring_timeout, config.auth_token, config.show_caller_numbers) == (
        "in_turn",
        25,
        "secret-token-value",
        False,
    )
    assert "secret-token-value" not in client.get(url("line_phone", harbor, line.pk)).content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT auth_token FROM warmline_linephone WHERE id = %s", [config.pk.hex])
        assert "secret-token-value" not in cursor.fetchone()[0]
    # Blank keeps the stored token.
    client.post(url("line_phone", harbor, line.pk), settings_post(auth_token="", ring_timeout="30"))
    config = config_of(line)
    assert config is not None and config.auth_token == "secret-token-value" and config.ring_timeout == 30


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"ring_timeout": "9"}, "ring_timeout", "greater than or equal to 10"),
        ({"ring_timeout": "61"}, "ring_timeout", "less than or equal to 60"),
        ({"ring_timeout": "soon"}, "ring_timeout", "Enter a whole number"),
        ({"closed_message": "Nobody can answer. Call again later."}, "closed_message", "Keep the crisis options"),
        ({"closed_message": ""}, "closed_message", "This field is required"),
        ({"ring_mode": "random"}, "ring_mode", "Select a valid choice"),
        ({"unanswered": "drop"}, "unanswered", "Select a valid choice"),
        ({"provider": "acme"}, "provider", "Select a valid choice"),
        ({"auth_token": ""}, "auth_token", "Enter the auth token"),
        ({"account_sid": ""}, "account_sid", "This field is required"),
        ({"hold_message": "x" * 501}, "hold_message", "at most 500"),
    ],
)
def test_settings_bad_input_writes_nothing(
    harbor: Any, login_as: Any, overrides: dict[str, Any], field: str, words: str
) -> None:
    line = make_line(harbor)
    client = login_as(harbor.user("admin"))
    before = audit_count()
    response = client.post(url("line_phone", harbor, line.pk), settings_post(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and words in " ".join(errors[field]), errors
    assert config_of(line) is None and audit_count() == before


def test_message_must_keep_the_organisations_own_crisis_number(harbor: Any, login_as: Any) -> None:
    with scopes_disabled():
        harbor.organisation.crisis_options = [{"kind": "call", "label": "Crisis line", "value": "1-800-555-0199"}]
        harbor.organisation.save()
    line = make_line(harbor)
    client = login_as(harbor.user("admin"))
    refused = client.post(url("line_phone", harbor, line.pk), settings_post())
    assert refused.status_code == 400 and "1-800-555-0199" in refused.content.decode()
    ok = client.post(
        url("line_phone", harbor, line.pk),
        settings_post(closed_message="Nobody can answer now. If you are in crisis, call 1-800-555-0199."),
    )
    assert ok.status_code == 302 and config_of(line) is not None


def test_existing_settings_cannot_drop_988(harbor: Any, login_as: Any) -> None:
    line, _config = phone_line(harbor)
    response = login_as(harbor.user("admin")).post(
        url("line_phone", harbor, line.pk), settings_post(closed_message="Sorry, we are closed.", auth_token="")
    )
    assert response.status_code == 400
    config = config_of(line)
    assert config is not None and "988" in config.closed_message and config.auth_token == TOKEN


def test_settings_need_warmline_change(harbor: Any, login_as: Any) -> None:
    line = make_line(harbor)
    for role in ("peer", "supervisor", "funder"):
        assert login_as(harbor.user(role)).get(url("line_phone", harbor, line.pk)).status_code == 403, role
        assert login_as(harbor.user(role)).post(url("line_phone", harbor, line.pk), settings_post()).status_code == 403
    assert config_of(line) is None


def test_outsider_gets_404(harbor: Any, outsider: Any, login_as: Any) -> None:
    line = make_line(harbor)
    client = login_as(outsider)
    assert client.get(url("line_phone", harbor, line.pk)).status_code == 404
    assert client.get(url("phone_calls", harbor)).status_code == 404
    assert client.post(url("my_phone", harbor), {"number": "+12075550100"}).status_code == 404


# --- My phone for shifts ---------------------------------------------------------------------------


def test_peer_sets_changes_and_removes_their_number(harbor: Any, login_as: Any) -> None:
    peer = harbor.user("peer")
    client = login_as(peer)
    assert client.get(url("my_phone", harbor)).status_code == 200
    assert client.post(url("my_phone", harbor), {"number": "(207) 555-0142", "ring_on_shift": "on"}).status_code == 302
    with scopes_disabled():
        mine = StaffPhone.objects.get(user=peer)
        assert mine.number == "+12075550142" and mine.ring_on_shift
        with connection.cursor() as cursor:
            cursor.execute("SELECT number FROM warmline_staffphone WHERE id = %s", [mine.pk.hex])
            assert "5550142" not in cursor.fetchone()[0]
    assert "+12075550142" in client.get(url("my_phone", harbor)).content.decode()
    client.post(url("my_phone", harbor), {"number": "+1 207 555 0143"})
    with scopes_disabled():
        mine = StaffPhone.objects.get(user=peer)
        assert mine.number == "+12075550143" and not mine.ring_on_shift
    client.post(url("my_phone", harbor), {"number": ""})
    with scopes_disabled():
        assert not StaffPhone.objects.filter(user=peer).exists()


@pytest.mark.parametrize("number", ["12", "call me", "+1 207 555", "+0 207 555 0100", "555-0100", "1" * 30])
def test_bad_numbers_are_refused_and_nothing_written(harbor: Any, login_as: Any, number: str) -> None:
    client = login_as(harbor.user("peer"))
    before = audit_count()
    response = client.post(url("my_phone", harbor), {"number": number, "ring_on_shift": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["number"]
    with scopes_disabled():
        assert not StaffPhone.objects.exists()
    assert audit_count() == before


def test_my_phone_needs_shift_signup(harbor: Any, login_as: Any) -> None:
    assert login_as(harbor.user("funder")).get(url("my_phone", harbor)).status_code == 403


# --- Recent calls ------------------------------------------------------------------------------------


def make_call(tenant: Any, line: Any, sid: str, **fields: Any) -> PhoneCall:
    with scopes_disabled():
        return PhoneCall.objects.create(
            organisation=tenant.organisation, line=line, provider_call_id=sid, started_at=OPEN, **fields
        )


def test_calls_list_hides_numbers_unless_the_line_shows_them(harbor: Any, login_as: Any) -> None:
    hidden_line, _hidden = phone_line(harbor, "Quiet Line")
    shown_line, _shown = phone_line(harbor, "Open Line", show_caller_numbers=True)
    make_call(harbor, hidden_line, "CA1", caller_number="+12075550111", status=CallStatus.MISSED)
    make_call(harbor, shown_line, "CA2", caller_number=CALLER, status=CallStatus.MISSED)
    body = login_as(harbor.user("supervisor")).get(url("phone_calls", harbor)).content.decode()
    assert "Quiet Line" in body and "Open Line" in body
    assert CALLER in body and "+12075550111" not in body


def test_calls_list_links_the_record_and_shows_the_answerer(harbor: Any, login_as: Any) -> None:
    line, _config = phone_line(harbor)
    peer = harbor.user("peer")
    with scopes_disabled():
        draft = contacts.contact_start(acting_user=peer, line=line, channel="call", at=OPEN)
    make_call(
        harbor,
        line,
        "CA1",
        status=CallStatus.ANSWERED,
        answered_by=peer,
        answered_at=OPEN,
        ended_at=OPEN + timedelta(seconds=95),
        contact=draft.contact,
    )
    body = login_as(harbor.user("supervisor")).get(url("phone_calls", harbor)).content.decode()
    assert url("contact_detail", harbor, draft.pk) in body
    assert peer.full_name in body and "95 seconds" in body


def test_calls_list_needs_supervise_and_has_a_query_budget(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    assert login_as(harbor.user("peer")).get(url("phone_calls", harbor)).status_code == 403
    client = login_as(harbor.user("supervisor"))
    line, _config = phone_line(harbor)
    make_call(harbor, line, "CA0", answered_by=harbor.user("peer"), status=CallStatus.ANSWERED)
    client.get(url("phone_calls", harbor))
    with django_assert_max_num_queries(12) as few:
        client.get(url("phone_calls", harbor))
    for n in range(6):
        other = make_line(harbor, f"Line {n}")
        make_call(harbor, other, f"CA{n + 1}", answered_by=harbor.user("coordinator"), status=CallStatus.ANSWERED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("phone_calls", harbor)).status_code == 200


def test_new_settings_form_starts_from_the_defaults(harbor: Any, login_as: Any) -> None:
    line = make_line(harbor)
    form = login_as(harbor.user("admin")).get(url("line_phone", harbor, line.pk)).context["form"]
    assert form["account_sid"].value() == "" and form["closed_message"].value() == DEFAULT_CLOSED_MESSAGE
    assert form["ring_timeout"].value() == 20 and form["is_active"].value() is True
    assert not form["show_caller_numbers"].value()
    assert "NOT_PROVIDED" not in str(form)
