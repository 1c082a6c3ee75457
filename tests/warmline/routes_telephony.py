"""Matrix routes of the warm line: telephony (see tests/matrix.py). A line's phone settings, "My
phone for shifts" and the recent calls list. The provider webhooks are public and found by line
id, with every request's signature checked: exempt, tested in tests/warmline/telephony."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django_scopes import scopes_disabled

from alongside.warmline.models import LinePhone, PhoneCall
from tests.matrix import EXEMPT, Route, register
from tests.warmline.routes_lines import NAME, tenant_line

HOLD = "Matrix hold message that must stay with its own organisation"
SID = "ACmatrix00000000000000000000000000"

WEBHOOK_REASON = "provider webhook, signature-checked; tested in tests/warmline/telephony"
EXEMPT.update(
    {
        "warmline:phone_voice": WEBHOOK_REASON,
        "warmline:phone_whisper": WEBHOOK_REASON,
        "warmline:phone_dial_status": WEBHOOK_REASON,
        "warmline:phone_voicemail_done": WEBHOOK_REASON,
    }
)


def _line(t: Any) -> dict[str, str]:
    line = tenant_line(t)
    with scopes_disabled():
        LinePhone.objects.get_or_create(
            organisation=t.organisation,
            line=line,
            defaults={"account_sid": SID, "auth_token": "matrix-token", "hold_message": HOLD},
        )
        PhoneCall.objects.get_or_create(
            provider="twilio",
            provider_call_id=f"CA-matrix-{t.organisation.slug}",
            defaults={"organisation": t.organisation, "line": line, "started_at": datetime(2026, 1, 5, tzinfo=UTC)},
        )
    return {"line_id": str(line.pk)}


def _secrets(t: Any) -> list[str]:
    _line(t)
    return [NAME, HOLD, SID]


def _settings_data(t: Any) -> dict[str, Any]:
    return {
        "provider": "twilio",
        "account_sid": "ACtakenover",
        "auth_token": "taken-over",
        "ring_mode": "simultaneous",
        "ring_timeout": "20",
        "hold_message": "Taken over",
        "unanswered": "message",
        "closed_message": "Taken over. Call or text 988.",
        "is_active": "on",
    }


register(Route("warmline:line_phone", objects=_line, secrets=_secrets))
register(Route("warmline:line_phone", method="POST", objects=_line, secrets=_secrets, data=_settings_data))
register(Route("warmline:my_phone"))
register(Route("warmline:my_phone", method="POST", data=lambda t: {"number": "+12075550142", "ring_on_shift": "on"}))
register(Route("warmline:phone_calls", secrets=_secrets))
