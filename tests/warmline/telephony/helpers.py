"""Set-up for the phone routing tests: a line with phone settings, staff phones, and signed
sample webhooks built the way Twilio signs them (``RequestValidator.compute_signature``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from alongside.warmline.models import Line, LinePhone, PhoneCall, StaffPhone
from tests.warmline.lines.helpers import evenings, make_line

TOKEN = "sample-auth-token-0123456789abcdef"
SID = "AC0123456789abcdef0123456789abcdef"
CALLER = "+12075550177"
LINE_NUMBER = "+12075550100"
# Tuesday 24 November 2026, 19:00 in New York: the evening line is open.
OPEN = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
# Wednesday 25 November 2026, 10:00 in New York: closed.
CLOSED = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def phone_line(tenant: Any, name: str = "Evening Line", **settings: Any) -> tuple[Line, LinePhone]:
    line = make_line(tenant, name, hours=evenings())
    fields: dict[str, Any] = {"account_sid": SID, "auth_token": TOKEN}
    fields.update(settings)
    with scopes_disabled():
        config = LinePhone.objects.create(organisation=tenant.organisation, line=line, **fields)
    return line, config


def staff_phone(tenant: Any, user: Any, number: str, *, ring: bool = True) -> StaffPhone:
    with scopes_disabled():
        return StaffPhone.objects.create(organisation=tenant.organisation, user=user, number=number, ring_on_shift=ring)


def webhook_url(name: str, line: Line, **query: str) -> str:
    url = reverse(f"warmline:{name}", args=[line.pk])
    if query:
        from django.utils.http import urlencode

        url += "?" + urlencode(query)
    return url


def signed_post(url: str, params: dict[str, str], *, token: str = TOKEN, sign: dict[str, str] | None = None) -> Any:
    """POST ``params`` to ``url`` as Twilio would, signed with ``token`` (over ``sign`` instead
    of ``params`` when given, to send a request whose parameters were changed after signing)."""
    full = url if url.startswith("http") else f"http://testserver{url}"
    signature = RequestValidator(token).compute_signature(full, sign if sign is not None else params)
    return Client().post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)


def inbound(call_sid: str = "CA100", caller: str = CALLER) -> dict[str, str]:
    return {"CallSid": call_sid, "From": caller, "To": LINE_NUMBER, "AccountSid": SID, "CallStatus": "ringing"}


def twiml(response: Any) -> Any:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314  (our own TwiML, not untrusted input)


def calls() -> list[PhoneCall]:
    with scopes_disabled():
        return list(PhoneCall.objects.order_by("started_at", "created_at"))
