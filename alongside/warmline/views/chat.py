"""Live-chat pages and the polling fallback (docs/warmline.md, "Live chat").

Public (the visitor, no account): the "chat with a peer" page (the pre-chat form, or the hours,
alternatives and crisis options when chat is not available), the conversation page, stepping away
and coming back by a link, leaving, feedback, and the polling endpoints. The visitor's secret lives
in an HttpOnly cookie naming their conversation (``consumers.VISITOR_COOKIE``); anything else gets
the same 404 as a missing conversation.

Staff (``app/<org>/warmline/chat/``): the console (queue and my chats), one conversation, claim,
transfer, close, and the same polling endpoints for the peer. Every page calls the services the
sockets call; the polling endpoints answer exactly as the socket would (ack, messages by seq).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alongside.accounts import selectors as account_selectors
from alongside.accounts.access import OrgContext, org_view
from alongside.audit.services import record
from alongside.core.forms import add_service_errors
from alongside.core.middleware import client_ip
from alongside.core.policy import public
from alongside.core.tenancy import tenant_scope
from alongside.people.views.self_service import no_store
from alongside.warmline import chat, hours, lines, shifts
from alongside.warmline.consumers import VISITOR_COOKIE, visitor_secret
from alongside.warmline.forms_chat import ChatStartForm, CloseForm, FeedbackForm, TransferForm
from alongside.warmline.models import Conversation, ConversationState, Line, SenderKind

START_RATE_LIMIT = 10
START_RATE_WINDOW_SECONDS = 60 * 60
COOKIE_MAX_AGE = 12 * 60 * 60
QUEUE_SHOWN = 100


# --- Shared --------------------------------------------------------------------------------------


def _json_body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object of a polling POST, or the form fields of a page without script."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError({"__all__": _("The request is not valid JSON.")}) from None
        if not isinstance(data, dict):
            raise ValidationError({"__all__": _("Send a JSON object.")})
        return data
    return {key: request.POST.get(key) for key in ("client_id", "body")}


def _error_json(exc: ValidationError, status: int = 400) -> JsonResponse:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in found] for field, found in exc.message_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    return JsonResponse({"type": "error", "errors": errors}, status=status)


def _send(request: HttpRequest, conversation: Conversation, sender: str, user: Any, back: str) -> HttpResponse:
    wants_json = request.content_type == "application/json"
    try:
        data = _json_body(request)
        message, _created = chat.message_send(
            conversation=conversation,
            sender=sender,
            client_id=data.get("client_id"),
            body=data.get("body"),
            acting_user=user,
        )
    except chat.ChatFlood as exc:
        if wants_json:
            response = _error_json(exc, status=429)
            response.content = json.dumps(
                {"type": "error", "code": "flood", "retry_after": exc.retry_after, "errors": exc.message_dict}
            ).encode()
            response["Retry-After"] = str(exc.retry_after)
            return response
        flash.error(request, " ".join(str(m) for m in exc.messages))
        return redirect(back)
    except ValidationError as exc:
        if wants_json:
            return _error_json(exc)
        flash.error(request, " ".join(str(m) for m in exc.messages))
        return redirect(back)
    if wants_json:
        return JsonResponse({"type": "ack", "client_id": message.client_id, "seq": message.seq})
    return redirect(back)


def _messages_json(conversation: Conversation, after: Any, extra: dict[str, Any]) -> JsonResponse:
    try:
        found = chat.messages_after(conversation, after if after is not None else 0)
    except ValidationError as exc:
        return _error_json(exc)
    return JsonResponse(
        {
            "state": conversation.state,
            "last_seq": conversation.last_seq,
            "messages": [chat.message_payload(m) for m in found],
            **extra,
        }
    )


# --- Public: the visitor -------------------------------------------------------------------------


def _public_line(request: HttpRequest, org_slug: str, line_slug: str) -> Line:
    organisation = account_selectors.organisation_by_slug(org_slug)  # active organisations only
    if organisation is None:
        raise Http404
    line = lines.public_line(organisation, line_slug)
    if line is None:
        raise Http404
    line.organisation = organisation
    request.public_org = organisation  # type: ignore[attr-defined]
    return line


def _visitor(request: HttpRequest, org_slug: str, line_slug: str, conversation_id: Any) -> Conversation:
    """The visitor's own conversation (their cookie's secret), on this line's address; else 404."""
    conversation = chat.conversation_for_visitor(conversation_id, visitor_secret(request.COOKIES, conversation_id))
    if (
        conversation is None
        or conversation.organisation.slug != org_slug
        or conversation.line.slug != line_slug
        or not conversation.organisation.is_active
    ):
        raise Http404
    request.public_org = conversation.organisation  # type: ignore[attr-defined]
    return conversation


def _set_cookie(response: HttpResponse, conversation: Conversation, secret: str) -> None:
    response.set_cookie(
        VISITOR_COOKIE,
        f"{conversation.pk}.{secret}",
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _conversation_url(conversation: Conversation) -> str:
    return reverse(
        "warmline:chat_conversation", args=[conversation.organisation.slug, conversation.line.slug, conversation.pk]
    )


def _unavailable(request: HttpRequest, line: Line, reason: str, status: hours.LineStatus | None) -> HttpResponse:
    now = timezone.now()
    context = {
        "line": line,
        "organisation": line.organisation,
        "reason": reason,
        "status_text": hours.status_text(status, line.organisation.timezone, now) if status is not None else "",
        "phones": line.public_phone_numbers,
    }
    return render(request, "warmline/chat/unavailable.html", context)


def _over_limit(request: HttpRequest) -> bool:
    key = f"warmline-chat-start:{client_ip(request)}"
    if cache.add(key, 1, timeout=START_RATE_WINDOW_SECONDS):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        return False
    return count > START_RATE_LIMIT


@public
@no_store
@require_http_methods(["GET", "POST"])
def chat_start(request: HttpRequest, org_slug: str, line_slug: str) -> HttpResponse:
    """The "chat with a peer" page: the pre-chat form while chat is available."""
    line = _public_line(request, org_slug, line_slug)
    with tenant_scope(line.organisation):
        reason, status = chat.availability(line, timezone.now())
        if reason:
            return _unavailable(request, line, reason, status)
        form = ChatStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if _over_limit(request):
                return render(request, "warmline/chat/too_many.html", {"line": line}, status=429)
            try:
                started = chat.chat_start(
                    line=line,
                    alias=form.cleaned_data["alias"],
                    first_line=form.cleaned_data["first_line"],
                    terms_accepted=form.cleaned_data["terms"],
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                )
            except chat.ChatUnavailable as exc:
                return _unavailable(request, line, exc.reason, exc.status)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                response = redirect(_conversation_url(started.conversation))
                _set_cookie(response, started.conversation, started.secret)
                return response
    status_code = 400 if request.method == "POST" else 200
    return render(request, "warmline/chat/start.html", {"line": line, "form": form}, status=status_code)


def _visitor_context(conversation: Conversation) -> dict[str, Any]:
    wait = chat.estimated_wait(conversation)
    return {
        "conversation": conversation,
        "line": conversation.line,
        "transcript": chat.messages_after(conversation, 0),
        "position": chat.queue_position(conversation),
        "wait_minutes": round(wait.total_seconds() / 60) if wait is not None else None,
        "is_open": conversation.state in chat.OPEN_STATES,
        "feedback_form": FeedbackForm() if conversation.state == ConversationState.CLOSED else None,
        "crisis": chat.crisis_options(conversation.organisation) if conversation.flagged_at else [],
        "client_id": uuid.uuid4().hex,
    }


@public
@no_store
@require_GET
def chat_conversation(request: HttpRequest, org_slug: str, line_slug: str, conversation_id: Any) -> HttpResponse:
    conversation = _visitor(request, org_slug, line_slug, conversation_id)
    with tenant_scope(conversation.organisation):
        if not chat.visitor_may_use(conversation):
            chat.expire_away(conversation=conversation)
            return render(request, "warmline/chat/expired.html", {"line": conversation.line}, status=410)
        chat.visitor_seen(conversation=conversation)
        return render(request, "warmline/chat/conversation.html", _visitor_context(conversation))


@public
@no_store
@require_POST
def chat_visitor_send(request: HttpRequest, org_slug: str, line_slug: str, conversation_id: Any) -> HttpResponse:
    conversation = _visitor(request, org_slug, line_slug, conversation_id)
    with tenant_scope(conversation.organisation):
        if not chat.visitor_may_use(conversation):
            return _error_json(ValidationError(_expired_text()), status=410)
        return _send(request, conversation, SenderKind.VISITOR, None, _conversation_url(conversation))


def _expired_text() -> str:
    return _("This link has expired. You are welcome to start a new chat.")


@public
@no_store
@require_GET
def chat_visitor_messages(request: HttpRequest, org_slug: str, line_slug: str, conversation_id: Any) -> HttpResponse:
    conversation = _visitor(request, org_slug, line_slug, conversation_id)
    with tenant_scope(conversation.organisation):
        if not chat.visitor_may_use(conversation):
            return _error_json(ValidationError(_expired_text()), status=410)
        chat.visitor_seen(conversation=conversation)
        wait = chat.estimated_wait(conversation)
        extra = {
            "position": chat.queue_position(conversation),
            "wait_minutes": round(wait.total_seconds() / 60) if wait is not None else None,
            "crisis_options": chat.crisis_options(conversation.organisation) if conversation.flagged_at else [],
        }
        return _messages_json(conversation, request.GET.get("after"), extra)


@public
@no_store
@require_POST
def chat_step_away(request: HttpRequest, org_slug: str, line_slug: str, conversation_id: Any) -> HttpResponse:
    conversation = _visitor(request, org_slug, line_slug, conversation_id)
    secret = visitor_secret(request.COOKIES, conversation_id)
    with tenant_scope(conversation.organisation):
        try:
            away = chat.visitor_step_away(conversation=conversation)
        except ValidationError:
            return redirect(_conversation_url(conversation))
    link = request.build_absolute_uri(
        reverse("warmline:chat_resume", args=[org_slug, line_slug, conversation.pk, secret])
    )
    context = {"line": conversation.line, "link": link, "until": away.resume_until, "minutes": chat.resume_minutes()}
    return render(request, "warmline/chat/away.html", context)


@public
@no_store
@require_GET
def chat_resume(request: HttpRequest, org_slug: str, line_slug: str, conversation_id: Any, secret: str) -> HttpResponse:
    """The resume link: within the window it brings the visitor back to their conversation."""
    conversation = chat.conversation_for_visitor(conversation_id, secret)
    if conversation is None or conversation.organisation.slug != org_slug or conversation.line.slug != line_slug:
        raise Http404
    request.public_org = conversation.organisation  # type: ignore[attr-defined]
    with tenant_scope(conversation.organisation):
        try:
            chat.visitor_resume(conversation=conversation)
        except ValidationError:
            chat.expire_away(conversation=conversation)
            return render(request, "warmline/chat/expired.html", {"line": conversation.line}, status=410)
    response = redirect(_conversation_url(conversation))
    _set_cookie(response, conversation, secret)
    return response


@public
@no_store
@require_POST
def chat_leave(request: HttpRequest, org_slug: str, line_slug: str, conversation_id: Any) -> HttpResponse:
    conversation = _visitor(request, org_slug, line_slug, conversation_id)
    with tenant_scope(conversation.organisation):
        chat.visitor_leave(conversation=conversation)
    return redirect(_conversation_url(conversation))


@public
@no_store
@require_POST
def chat_feedback(request: HttpRequest, org_slug: str, line_slug: str, conversation_id: Any) -> HttpResponse:
    conversation = _visitor(request, org_slug, line_slug, conversation_id)
    with tenant_scope(conversation.organisation):
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                chat.feedback_leave(
                    conversation=conversation, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return render(request, "warmline/chat/thanks.html", {"line": conversation.line})
        context = _visitor_context(conversation) | {"feedback_form": form}
        return render(request, "warmline/chat/conversation.html", context, status=400)


# --- Staff: the peer console ------------------------------------------------------------------------


def _console_url(org: OrgContext) -> str:
    return reverse("warmline:chat_console", args=[org.organisation.slug])


def _peer_url(org: OrgContext, conversation: Conversation) -> str:
    return reverse("warmline:chat_peer", args=[org.organisation.slug, conversation.pk])


@org_view("warmline.answer")
@require_GET
def chat_console(request: HttpRequest, org: OrgContext) -> HttpResponse:
    """The queue (flagged first) and the chats I hold."""
    waiting = chat.queue(None, org.organisation)[:QUEUE_SHOWN]
    mine = list(
        Conversation.objects.filter(organisation=org.organisation, peer=org.user, state=ConversationState.ACTIVE)
        .select_related("line")
        .order_by("claimed_at")
    )
    # The first lines and aliases are P3: one audit row for this read of the queue.
    record(org.user, "chat.queue_view", organisation=org.organisation, object_type="warmline.conversation")
    context = {"org": org, "waiting": waiting, "mine": mine, "now": timezone.now()}
    return render(request, "warmline/chat/console.html", context)


def _transfer_people(org: OrgContext, conversation: Conversation) -> list[Any]:
    now = timezone.now()
    people = {
        p.pk: p
        for p in [*shifts.peers_on_shift(conversation.line, now), *shifts.supervisors_on_duty(conversation.line, now)]
    }
    people.pop(conversation.peer_id, None)
    return sorted(people.values(), key=lambda p: p.display_name)


def _must_join_first(org: OrgContext, conversation: Any) -> bool:
    """A supervisor sees the words of a conversation going on only after joining it (issue 6: the
    board shows "content only when the supervisor joins"); the holder and, while it waits, the
    peers who may claim it see it. A closed conversation's transcript is a record (audited read)."""
    if conversation.state != ConversationState.ACTIVE or conversation.peer_id == org.user.pk:
        return False
    return not chat.supervisor_joined(conversation, org.user)


@org_view("warmline.answer")
@require_GET
def chat_peer(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    conversation = chat.access_conversation(org, conversation_id)
    if _must_join_first(org, conversation):
        return redirect(reverse("warmline:board_conversation", args=[org.organisation.slug, conversation.pk]))
    record(org.user, "chat.view", conversation)
    holder = conversation.peer_id == org.user.pk and conversation.state == ConversationState.ACTIVE
    presence = chat.presence_notice(conversation)
    if holder and presence["visitor_gone"]:
        flash.warning(request, presence["notice"])
    context = {
        "org": org,
        "conversation": conversation,
        "transcript": chat.messages_after(conversation, 0),
        "holder": holder,
        "close_form": CloseForm() if holder else None,
        "transfer_form": TransferForm(people=_transfer_people(org, conversation)) if holder else None,
        "escalation": conversation.escalation,
        "crisis": chat.crisis_options(org.organisation) if conversation.flagged_at else [],
        "checkin": conversation.checkin_at is not None and conversation.flagged_at is None,
        "concepts": chat.concept_labels(conversation.flag_concepts),
        "checkin_prompt": _(chat.CHECKIN_PROMPT),
        "can_raise": conversation.flagged_at is None and conversation.state in chat.OPEN_STATES,
        "mark_url": reverse("warmline:screening_mark_create", args=[org.organisation.slug]),
        "client_id": uuid.uuid4().hex,
    }
    return render(request, "warmline/chat/peer.html", context)


@org_view("warmline.answer")
@require_POST
def chat_raise(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    """Raise a conversation to urgent (the holder, or a supervisor): the crisis protocol follows."""
    conversation = chat.access_conversation(org, conversation_id)
    try:
        chat.chat_raise(acting_user=org.user, conversation=conversation)
    except ValidationError as exc:
        flash.error(request, " ".join(str(m) for m in exc.messages))
    else:
        flash.success(
            request,
            _("Raised to urgent: the person has been shown the crisis options and the supervisor on duty was alerted."),
        )
    if conversation.peer_id == org.user.pk:
        return redirect(_peer_url(org, conversation))
    return redirect(reverse("warmline:board_conversation", args=[org.organisation.slug, conversation.pk]))


@org_view("warmline.answer")
@require_POST
def chat_claim(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    conversation = chat.access_conversation(org, conversation_id)
    try:
        chat.chat_claim(acting_user=org.user, conversation=conversation)
    except ValidationError as exc:
        flash.error(request, " ".join(str(m) for m in exc.messages))
        return redirect(_console_url(org))
    return redirect(_peer_url(org, conversation))


@org_view("warmline.answer")
@require_POST
def chat_peer_send(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    conversation = chat.access_conversation(org, conversation_id)
    return _send(request, conversation, SenderKind.PEER, org.user, _peer_url(org, conversation))


@org_view("warmline.answer")
@require_GET
def chat_peer_messages(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    conversation = chat.access_conversation(org, conversation_id)
    if _must_join_first(org, conversation):
        return JsonResponse({"error": _("Join the conversation from the board to read it.")}, status=403)
    extra = {
        "flagged": conversation.flagged_at is not None,
        "checkin": conversation.checkin_at is not None,
        "concepts": chat.concept_labels(conversation.flag_concepts),
        "holder": conversation.peer_id == org.user.pk,
        **chat.presence_notice(conversation),
    }
    return _messages_json(conversation, request.GET.get("after"), extra)


@org_view("warmline.answer")
@require_POST
def chat_transfer(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    conversation = chat.access_conversation(org, conversation_id)
    form = TransferForm(request.POST, people=_transfer_people(org, conversation))
    if form.is_valid():
        try:
            chat.chat_transfer(
                acting_user=org.user, conversation=conversation, to_user=form.people[form.cleaned_data["to_user"]]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(_console_url(org))
    flash.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(_peer_url(org, conversation))


@org_view("warmline.answer")
@require_POST
def chat_close(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    conversation = chat.access_conversation(org, conversation_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            chat.chat_close(
                acting_user=org.user, conversation=conversation, closing_message=form.cleaned_data["closing_message"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(_console_url(org))
    flash.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(_peer_url(org, conversation))
