"""Phone routing's writes and reads: a line's phone settings, a staff member's own ringing number,
and each inbound call from the first ring to the peer's draft record (see docs/warmline.md).

Writes are keyword-only, take the acting user (``None`` for the provider's webhooks: the system
acts), run in one transaction and write their audit row with identifiers only (never a number,
a token or a recording's address). Errors are ``ValidationError({field: message})``.

Webhook writes are idempotent on the provider's call id: the provider retries webhooks, and a
retried request finds the same ``PhoneCall`` row (taken with ``_locked``, the one lock shape here).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from alongside.accounts.access import OrgContext
from alongside.accounts.models import Organisation, User
from alongside.audit.services import record
from alongside.core.tenancy import unscoped
from alongside.groups.registration import contact_hash
from alongside.warmline import contacts, shifts
from alongside.warmline.lines import normalise_phone
from alongside.warmline.models import (
    CallerKind,
    CallStatus,
    ContactState,
    Line,
    LineContact,
    LinePhone,
    PhoneCall,
    PhoneProvider,
    RingMode,
    StaffPhone,
    Unanswered,
)
from alongside.warmline.models.telephony import RING_TIMEOUT_MAX, RING_TIMEOUT_MIN
from alongside.warmline.telephony.base import InboundCall, RingTarget

log = logging.getLogger("alongside.warmline.telephony")

WHISPER_SALT = "alongside.warmline.telephony.whisper"
WHISPER_MAX_AGE = 15 * 60  # seconds: a call rings for minutes, not hours
HOLD_MAX_LENGTH = 500
MESSAGE_MAX_LENGTH = 1000
SID_MAX_LENGTH = 64
TOKEN_MAX_LENGTH = 128
RECENT_CALLS = 50

SETTINGS_FIELDS = (
    "provider",
    "account_sid",
    "auth_token",
    "ring_mode",
    "ring_timeout",
    "hold_message",
    "unanswered",
    "closed_message",
    "show_caller_numbers",
    "is_active",
)


# --- Helpers -----------------------------------------------------------------------------------


def crisis_numbers(organisation: Organisation) -> list[str]:
    """The numbers of the organisation's crisis options ("988" by default) that a message must keep."""
    numbers = [
        str(option.get("value", "")).strip()
        for option in organisation.crisis_options or []
        if isinstance(option, dict) and option.get("kind") == "call" and str(option.get("value", "")).strip()
    ]
    return numbers or ["988"]


def _text(errors: dict[str, str], name: str, value: Any, limit: int, *, required: str | None = None) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("This must be text.")
        return ""
    value = " ".join(value.split())
    if required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = _("Keep this to %(n)d characters or fewer.") % {"n": limit}
    return value


def _locked(call: PhoneCall) -> PhoneCall:
    """The one lock shape of this part: the call's row (two phones answer at once; retries)."""
    return PhoneCall.objects.select_for_update().get(organisation=call.organisation_id, pk=call.pk)


# --- Line phone settings ---------------------------------------------------------------------------


def line_phone_for(line: Line) -> LinePhone | None:
    return LinePhone.objects.filter(organisation=line.organisation_id, line=line).first()


def _clean_settings(organisation: Organisation, data: dict[str, Any], *, instance: LinePhone | None) -> dict[str, Any]:
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({"__all__": _("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    provider = data.get("provider", instance.provider if instance else PhoneProvider.TWILIO)
    if provider not in PhoneProvider.values:
        errors["provider"] = _("Choose one of the phone providers listed.")
    out["provider"] = provider
    out["account_sid"] = _text(
        errors,
        "account_sid",
        data.get("account_sid", instance.account_sid if instance else ""),
        SID_MAX_LENGTH,
        required=_("Enter the account SID from the provider's console."),
    )
    # Write-only: blank keeps the stored token.
    token = _text(errors, "auth_token", data.get("auth_token", ""), TOKEN_MAX_LENGTH)
    if token:
        out["auth_token"] = token
    elif instance is None or not instance.auth_token:
        errors["auth_token"] = _("Enter the auth token: calls cannot be checked without it.")
    mode = data.get("ring_mode", instance.ring_mode if instance else RingMode.SIMULTANEOUS)
    if mode not in RingMode.values:
        errors["ring_mode"] = _("Choose how phones ring.")
    out["ring_mode"] = mode
    timeout = data.get("ring_timeout", instance.ring_timeout if instance else 20)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not RING_TIMEOUT_MIN <= timeout <= RING_TIMEOUT_MAX:
        errors["ring_timeout"] = _("Ring for between %(low)d and %(high)d seconds.") % {
            "low": RING_TIMEOUT_MIN,
            "high": RING_TIMEOUT_MAX,
        }
    out["ring_timeout"] = timeout
    out["hold_message"] = _text(
        errors,
        "hold_message",
        data.get("hold_message", instance.hold_message if instance else ""),
        HOLD_MAX_LENGTH,
        required=_("Write what callers hear while the phones ring."),
    )
    unanswered = data.get("unanswered", instance.unanswered if instance else Unanswered.VOICEMAIL)
    if unanswered not in Unanswered.values:
        errors["unanswered"] = _("Choose what happens when nobody can answer.")
    out["unanswered"] = unanswered
    message = _text(
        errors,
        "closed_message",
        data.get("closed_message", instance.closed_message if instance else ""),
        MESSAGE_MAX_LENGTH,
        required=_("Write what callers hear when nobody can answer."),
    )
    missing = [number for number in crisis_numbers(organisation) if number not in message]
    if message and missing:
        errors["closed_message"] = _(
            "Keep the crisis options in this message: callers who cannot reach a peer must hear %(numbers)s."
        ) % {"numbers": ", ".join(missing)}
    out["closed_message"] = message
    for flag in ("show_caller_numbers", "is_active"):
        value = data.get(flag, getattr(instance, flag) if instance else flag == "is_active")
        if not isinstance(value, bool):
            errors[flag] = _("Choose yes or no.")
        out[flag] = value
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def line_phone_save(*, acting_user: User, line: Line, **fields: Any) -> LinePhone:
    """Create or change ``line``'s phone settings (fields: ``SETTINGS_FIELDS``; a blank
    ``auth_token`` keeps the stored one). Refuses a message that drops the crisis options."""
    instance = LinePhone.objects.select_for_update().filter(organisation=line.organisation_id, line=line).first()
    out = _clean_settings(line.organisation, fields, instance=instance)
    if instance is None:
        instance = LinePhone.objects.create(organisation=line.organisation, line=line, **out)
        record(acting_user, "line_phone.create", instance)
    else:
        for name, value in out.items():
            setattr(instance, name, value)
        instance.save()
        record(acting_user, "line_phone.change", instance)
    return instance


# --- A staff member's own phone ---------------------------------------------------------------------


def staff_phone_for(organisation: Organisation, user: User) -> StaffPhone | None:
    return StaffPhone.objects.filter(organisation=organisation, user=user).first()


@transaction.atomic
def staff_phone_set(
    *, acting_user: User, organisation: Organisation, number: Any, ring_on_shift: Any
) -> StaffPhone | None:
    """Set (or, with an empty number, remove) the number that rings for ``acting_user`` while on
    shift. Numbers are stored as E.164 ("+12075550100")."""
    errors: dict[str, str] = {}
    if not isinstance(ring_on_shift, bool):
        errors["ring_on_shift"] = _("Choose yes or no.")
    raw = number if isinstance(number, str) else None
    if raw is None:
        errors["number"] = _("This must be text.")
    e164 = ""
    if raw and raw.strip():
        try:
            e164 = normalise_phone(raw)
        except ValueError:
            errors["number"] = _("Enter a phone number such as +1 207 555 0100 or (207) 555-0100.")
    if errors:
        raise ValidationError(errors)
    existing = StaffPhone.objects.select_for_update().filter(organisation=organisation, user=acting_user).first()
    if not e164:
        if existing is not None:
            record(acting_user, "staff_phone.remove", existing)
            existing.delete()
        return None
    if existing is None:
        existing = StaffPhone.objects.create(
            organisation=organisation, user=acting_user, number=e164, ring_on_shift=ring_on_shift
        )
        record(acting_user, "staff_phone.create", existing)
    else:
        existing.number = e164
        existing.ring_on_shift = bool(ring_on_shift)
        existing.save(update_fields=["number", "ring_on_shift", "updated_at"])
        record(acting_user, "staff_phone.change", existing)
    return existing


# --- Webhooks: finding the line ---------------------------------------------------------------------


def line_phone_by_line_id(line_id: Any) -> LinePhone | None:
    """The phone settings of the line in a webhook's URL, across organisations: the provider does
    not sign in, so the line id names the organisation (the caller then enters its scope)."""
    with unscoped("provider webhook: the line id in the URL names the organisation"):
        return (
            LinePhone.objects.filter(line_id=line_id, is_active=True, line__is_active=True)
            .select_related("line", "line__organisation", "organisation")
            .first()
        )


# --- Webhooks: the call flow -------------------------------------------------------------------------


def ring_targets(line: Line, at: datetime, *, user_ids: list[str] | None = None) -> list[RingTarget]:
    """The phones to ring: peers available on shift now (``shifts.available_peers``) who set a
    number and want it to ring, in that order (or the given ``user_ids``, in their order)."""
    if user_ids is None:
        user_ids = [str(user.pk) for user in shifts.available_peers(line, at)]
    if not user_ids:
        return []
    phones = {
        str(phone.user_id): phone.number
        for phone in StaffPhone.objects.filter(
            organisation=line.organisation_id, user_id__in=user_ids, ring_on_shift=True
        )
    }
    return [RingTarget(user_id=uid, number=phones[uid]) for uid in user_ids if phones.get(uid)]


@transaction.atomic
def call_receive(*, config: LinePhone, inbound: InboundCall, at: datetime) -> tuple[PhoneCall, bool]:
    """The ``PhoneCall`` for an inbound call, made the first time (``created``), found again when
    the provider retries. Keeps the caller's number only as a keyed hash, plus the number itself
    when the line shows numbers to peers."""
    if not inbound.call_id:
        raise ValidationError({"call_id": "missing call id"})
    line = config.line
    existing = PhoneCall.objects.filter(provider=config.provider, provider_call_id=inbound.call_id).first()
    if existing is not None:
        return existing, False
    digest = contact_hash(phone=inbound.from_number) if inbound.from_number else ""
    repeat = (
        bool(digest)
        and PhoneCall.objects.filter(organisation=line.organisation_id, line=line, caller_hash=digest).exists()
    )
    try:
        with transaction.atomic():
            call = PhoneCall.objects.create(
                organisation=line.organisation,
                line=line,
                provider=config.provider,
                provider_call_id=inbound.call_id,
                caller_hash=digest,
                caller_number=inbound.from_number if config.show_caller_numbers else "",
                repeat_caller=repeat,
                started_at=at,
            )
    except IntegrityError:  # the same webhook twice at once: the other request made the row
        return PhoneCall.objects.get(provider=config.provider, provider_call_id=inbound.call_id), False
    record(None, "phone_call.receive", call)
    return call, True


@transaction.atomic
def call_route(*, call: PhoneCall, status: str, at: datetime, queue: list[str] | None = None) -> PhoneCall:
    """Record where a ringing call went: to the phones in ``queue`` (still ringing), or to the
    closed message / voicemail (``CLOSED`` or ``MISSED``)."""
    call = _locked(call)
    if call.status != CallStatus.RINGING:
        return call
    if queue is not None:
        call.ring_queue = queue
        call.ring_position = 0
    if status in (CallStatus.CLOSED, CallStatus.MISSED):
        call.status = status
        call.ended_at = at
    call.save()
    record(None, f"phone_call.{status}", call)
    return call


def whisper_token(call: PhoneCall, user_id: str) -> str:
    return signing.dumps({"c": str(call.pk), "u": str(user_id)}, salt=WHISPER_SALT, compress=True)


def whisper_user_id(call: PhoneCall, token: str) -> str | None:
    """The staff member a whisper token names, when it was made for this call and is recent."""
    try:
        data = signing.loads(token, salt=WHISPER_SALT, max_age=WHISPER_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("c") != str(call.pk):
        return None
    user = data.get("u")
    return str(user) if user else None


@transaction.atomic
def call_answer(*, call: PhoneCall, user_id: str, at: datetime) -> bool:
    """``user_id`` pressed 1 on their phone: they take the call. Makes their draft record (once,
    through ``contacts.contact_start``) and links it. False when somebody else already took it."""
    call = _locked(call)
    if call.answered_by_id is not None:
        return str(call.answered_by_id) == str(user_id)
    if call.status != CallStatus.RINGING:  # the caller has already gone to the fallback
        return False
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    call.answered_by = user
    call.answered_at = at
    call.status = CallStatus.ANSWERED
    call.ended_at = None
    try:
        with transaction.atomic():
            draft = contacts.contact_start(acting_user=user, line=call.line, channel="call", caller_alias="", at=at)
    except ValidationError:
        # The call still connects; the peer logs it by hand ("Log a call").
        log.warning("phone call %s answered without a draft record: refused by contacts", call.pk)
    else:
        call.contact = draft.contact
    call.save()
    record(user, "phone_call.answer", call)
    return True


@transaction.atomic
def call_attempt_ended(*, call: PhoneCall, answered: bool, in_turn: bool, at: datetime) -> RingTarget | None:
    """One ringing attempt ended (``answered``: as the provider saw it). Taken by a peer: the call
    is over. Otherwise (``in_turn``) the next phone to ring, or None (the caller goes to the fallback and
    the call is marked missed)."""
    call = _locked(call)
    # Only a peer who pressed 1 took the call (a voicemail box that picked up did not).
    if call.answered_by_id is not None:
        if call.ended_at is None:
            call.ended_at = at
            call.save(update_fields=["ended_at", "updated_at"])
            record(None, "phone_call.end", call)
            _finish_times(call, at)
        return None
    if call.status != CallStatus.RINGING:
        return None
    queue = [str(uid) for uid in call.ring_queue or []] if in_turn else []
    while call.ring_position + 1 < len(queue):
        call.ring_position += 1
        targets = ring_targets(call.line, at, user_ids=[queue[call.ring_position]])
        if targets:
            call.save(update_fields=["ring_position", "updated_at"])
            return targets[0]
    call.status = CallStatus.MISSED
    call.ended_at = at
    call.save(update_fields=["ring_position", "status", "ended_at", "updated_at"])
    record(None, "phone_call.missed", call)
    return None


def _finish_times(call: PhoneCall, at: datetime) -> None:
    """Put the call's end (and "repeat" when this number called the line before) on the peer's
    draft record through ``contacts.contact_update``; the peer still finishes the record."""
    if call.contact_id is None or call.answered_by is None:
        return
    draft = LineContact.objects.filter(organisation=call.organisation_id, contact_id=call.contact_id).first()
    if draft is None or draft.state != ContactState.DRAFT or draft.ended_at is not None:
        return
    details: dict[str, Any] = {"ended_at": at}
    if call.repeat_caller:
        details["caller_kind"] = CallerKind.REPEAT
    try:
        with transaction.atomic():
            contacts.contact_update(acting_user=call.answered_by, contact=draft, **details)
    except ValidationError:
        log.warning("phone call %s: the end time was not put on its draft record", call.pk)


@transaction.atomic
def call_voicemail_saved(*, call: PhoneCall, url: str, seconds: int | None, at: datetime) -> PhoneCall:
    """The caller left a voicemail: keep where it is at the provider (encrypted) and its length."""
    call = _locked(call)
    if not url.startswith("https://") or call.answered_by_id is not None:
        return call
    call.status = CallStatus.VOICEMAIL
    call.voicemail_url = url[:1000]
    call.voicemail_seconds = seconds if seconds is not None and seconds >= 0 else None
    call.ended_at = call.ended_at or at
    call.save()
    record(None, "phone_call.voicemail", call)
    return call


def call_by_provider_id(config: LinePhone, call_id: str) -> PhoneCall | None:
    if not call_id:
        return None
    return (
        PhoneCall.objects.filter(
            organisation=config.organisation_id, line=config.line, provider=config.provider, provider_call_id=call_id
        )
        .select_related("line", "line__organisation")
        .first()
    )


# --- Staff reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRow:
    call: PhoneCall
    # Only when the line shows callers' numbers to peers (and the number was kept).
    caller_number: str
    contact_id: Any


def recent_calls(org: OrgContext, *, limit: int = RECENT_CALLS) -> list[CallRow]:
    """The organisation's latest calls for supervisors (warmline.supervise); numbers only where shown."""
    org.require("warmline.supervise")
    calls = (
        PhoneCall.objects.filter(organisation=org.organisation)
        .select_related("line", "line__phone", "answered_by", "contact__warmline")
        .order_by("-started_at")[:limit]
    )
    return [CallRow(call, caller_number_shown(call), _contact_id(call)) for call in calls]


def _contact_id(call: PhoneCall) -> Any:
    if call.contact is None:
        return None
    line_contact = getattr(call.contact, "warmline", None)
    return getattr(line_contact, "pk", None)


def caller_number_shown(call: PhoneCall) -> str:
    """The caller's number for staff pages: "" unless the line shows numbers to peers now."""
    phone = getattr(call.line, "phone", None)
    if phone is None or not phone.show_caller_numbers:
        return ""
    return call.caller_number or ""


def caller_number_for_contact(contact_record: Any) -> str:
    """For the contact record page: the number of the call that made this record, when shown."""
    call = (
        PhoneCall.objects.filter(organisation=contact_record.organisation_id, contact=contact_record)
        .select_related("line__phone")
        .first()
    )
    return caller_number_shown(call) if call is not None else ""
