"""Phone routing: the provider's webhooks (public, CSRF-exempt, every request's signature checked
first) and the staff pages (a line's phone settings, "My phone for shifts", recent calls).

Webhooks find the line's phone settings by the line id in the URL, check the signature with that
line's auth token (403 and nothing written when it fails), then run in the line's organisation.
Thin: the flow is in ``warmline.telephony.calls``, the answers in the provider.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts.access import OrgContext, org_view
from alongside.core.forms import add_service_errors
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.warmline import hours, lines
from alongside.warmline.forms_telephony import LinePhoneForm, StaffPhoneForm
from alongside.warmline.models import CallStatus, LinePhone, PhoneCall, RingMode, Unanswered
from alongside.warmline.telephony import calls, provider_for
from alongside.warmline.telephony.base import IN_TURN, Provider, RingTarget

log = logging.getLogger("alongside.warmline.telephony")

WebhookView = Callable[[HttpRequest, LinePhone, Provider], HttpResponse]


# --- Webhooks ---------------------------------------------------------------------------------------


def _webhook(view: WebhookView) -> Callable[..., HttpResponse]:
    """Find the line's settings (404 when none), check the signature (403), enter its scope."""

    def wrapper(request: HttpRequest, line_id: Any) -> HttpResponse:
        config = calls.line_phone_by_line_id(line_id)
        if config is None:
            raise Http404
        provider = provider_for(config)
        if not provider.verify(request):
            log.warning("phone webhook refused: signature check failed (line %s)", config.line_id)
            return HttpResponseForbidden("signature check failed")
        with tenant_scope(config.organisation):
            return view(request, config, provider)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(public(require_POST(wrapper)))


def _url(request: HttpRequest, name: str, config: LinePhone, **query: str) -> str:
    url = reverse(f"warmline:{name}", args=[config.line_id])
    if query:
        url += "?" + urlencode(query)
    return request.build_absolute_uri(url)


def _fallback(request: HttpRequest, config: LinePhone, provider: Provider) -> HttpResponse:
    """Nobody can answer: the message with the crisis options, then a voicemail if chosen."""
    if config.unanswered == Unanswered.VOICEMAIL:
        message = f"{config.closed_message} {_('You can leave a message after the tone.')}"
        return provider.voicemail(message, action_url=_url(request, "phone_voicemail_done", config))
    return provider.closed(config.closed_message)


def _ring(
    request: HttpRequest,
    config: LinePhone,
    provider: Provider,
    call: PhoneCall,
    targets: list[RingTarget],
    *,
    first: bool,
) -> HttpResponse:
    def whisper_url(target: RingTarget) -> str:
        return _url(request, "phone_whisper", config, user=calls.whisper_token(call, target.user_id))

    return provider.ring(
        targets,
        mode=config.ring_mode if first else IN_TURN,
        hold_message=config.hold_message if first else "",
        timeout=config.ring_timeout,
        whisper_url_for=whisper_url,
        fallback_url=_url(request, "phone_dial_status", config),
    )


def _voice(request: HttpRequest, config: LinePhone, provider: Provider) -> HttpResponse:
    """A call arrives: closed → the message (or voicemail); open → ring the peers on shift."""
    inbound = provider.parse_inbound(request)
    if not inbound.call_id:
        return HttpResponseBadRequest("missing call id")
    now = timezone.now()
    call, _created = calls.call_receive(config=config, inbound=inbound, at=now)
    if call.status in (CallStatus.CLOSED, CallStatus.MISSED, CallStatus.VOICEMAIL):
        return _fallback(request, config, provider)
    if call.status == CallStatus.ANSWERED:
        return provider.hangup()
    if not hours.line_status(config.line, now).is_open:
        calls.call_route(call=call, status=CallStatus.CLOSED, at=now)
        return _fallback(request, config, provider)
    targets = calls.ring_targets(config.line, now)
    if not targets:
        calls.call_route(call=call, status=CallStatus.MISSED, at=now)
        return _fallback(request, config, provider)
    calls.call_route(call=call, status=CallStatus.RINGING, at=now, queue=[t.user_id for t in targets])
    return _ring(request, config, provider, call, targets, first=True)


def _whisper(request: HttpRequest, config: LinePhone, provider: Provider) -> HttpResponse:
    """On the answering phone: "Press 1 to take it"; the key marks who answered."""
    call = calls.call_by_provider_id(config, provider.answering_call_id(request))
    user_id = calls.whisper_user_id(call, request.GET.get("user", "")) if call is not None else None
    if call is None or user_id is None:
        return provider.hangup()
    pressed = provider.pressed(request)
    if pressed is None:
        return provider.whisper(_("Warm line call. Press 1 to take it."), action_url=request.build_absolute_uri())
    if pressed == "1" and calls.call_answer(call=call, user_id=user_id, at=timezone.now()):
        return provider.connect()
    return provider.hangup()


def _dial_status(request: HttpRequest, config: LinePhone, provider: Provider) -> HttpResponse:
    """One attempt to ring ended: done when a peer took it, else the next phone or the fallback."""
    result = provider.parse_dial_result(request)
    call = calls.call_by_provider_id(config, result.call_id)
    if call is None:
        return provider.hangup()
    following = calls.call_attempt_ended(
        call=call, answered=result.answered, in_turn=config.ring_mode == RingMode.IN_TURN, at=timezone.now()
    )
    if following is not None:
        return _ring(request, config, provider, call, [following], first=False)
    call.refresh_from_db(fields=["status"])
    if call.status == CallStatus.ANSWERED:
        return provider.hangup()
    return _fallback(request, config, provider)


def _voicemail_done(request: HttpRequest, config: LinePhone, provider: Provider) -> HttpResponse:
    """The recording is at the provider: keep its address and length."""
    recording = provider.parse_recording(request)
    call = calls.call_by_provider_id(config, recording.call_id)
    if call is not None:
        calls.call_voicemail_saved(call=call, url=recording.url, seconds=recording.seconds, at=timezone.now())
    return provider.hangup()


phone_voice = _webhook(_voice)
phone_whisper = _webhook(_whisper)
phone_dial_status = _webhook(_dial_status)
phone_voicemail_done = _webhook(_voicemail_done)


# --- Staff pages ------------------------------------------------------------------------------------


def _initial(config: LinePhone | None) -> dict[str, Any]:
    if config is None:
        return {
            field.name: field.get_default()
            for field in LinePhone._meta.concrete_fields
            if field.name in calls.SETTINGS_FIELDS and field.name != "auth_token"
        }
    return {name: getattr(config, name) for name in calls.SETTINGS_FIELDS if name != "auth_token"}


@org_view("warmline.change")
@require_http_methods(["GET", "POST"])
def line_phone(request: HttpRequest, org: OrgContext, line_id: Any) -> HttpResponse:
    line = lines.access_line(org, line_id, write=True)
    config = calls.line_phone_for(line)
    form = LinePhoneForm(request.POST or None, initial=_initial(config))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                calls.line_phone_save(acting_user=org.user, line=line, **form.settings_fields())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The phone settings were saved."))
                return redirect("warmline:line_phone", org.organisation.slug, line.pk)
        status = 400
    context = {
        "org": org,
        "line": line,
        "form": form,
        "config": config,
        "has_token": bool(config and config.auth_token),
        "voice_url": request.build_absolute_uri(reverse("warmline:phone_voice", args=[line.pk])),
    }
    return render(request, "warmline/telephony/line_phone.html", context, status=status)


@org_view("shifts.signup")
@require_http_methods(["GET", "POST"])
def my_phone(request: HttpRequest, org: OrgContext) -> HttpResponse:
    mine = calls.staff_phone_for(org.organisation, org.user)
    initial = {"number": mine.number, "ring_on_shift": mine.ring_on_shift} if mine else {"ring_on_shift": True}
    form = StaffPhoneForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                calls.staff_phone_set(
                    acting_user=org.user,
                    organisation=org.organisation,
                    number=form.cleaned_data["number"],
                    ring_on_shift=form.cleaned_data["ring_on_shift"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your phone for shifts was saved."))
                return redirect("warmline:my_phone", org.organisation.slug)
        status = 400
    return render(request, "warmline/telephony/my_phone.html", {"org": org, "form": form, "mine": mine}, status=status)


@org_view("warmline.supervise")
@require_GET
def phone_calls(request: HttpRequest, org: OrgContext) -> HttpResponse:
    rows = calls.recent_calls(org)
    return render(request, "warmline/telephony/calls.html", {"org": org, "rows": rows})
