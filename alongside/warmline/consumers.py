"""Live-chat sockets (docs/warmline.md, "Live chat"): the visitor's, the peer's, and the queue.

Protocol (JSON). Client → server: ``{"type": "send", "client_id", "body"}``, ``{"type": "sync",
"after": n}``, ``{"type": "typing"}``. Server → client: ``{"type": "ack", "client_id", "seq"}``
(only after the message is committed), ``{"type": "message", "seq", "sender", "event", "body",
"at", "client_id"}`` (broadcast after commit), ``{"type": "typing", "who"}``, ``{"type": "crisis",
...}``, ``{"type": "state", "state"}``, ``{"type": "closed"}``, ``{"type": "error", ...}``.

The consumers are synchronous (Channels runs them in a thread with database access) and call the
same services as the polling views. A visitor's socket opens only with the secret of that very
conversation (an HttpOnly cookie); a staff socket needs a live, second-factor session of a member
allowed to answer, and re-checks that session on every frame it receives or forwards, so ending a
person's sessions (password change, deactivation) closes their sockets at the next frame.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import SyncConsumer
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import JsonWebsocketConsumer
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django_otp import DEVICE_ID_SESSION_KEY

from alongside.accounts.middleware import demo_exempt
from alongside.accounts.models import Organisation, User
from alongside.accounts.permissions import has_permission
from alongside.accounts.selectors import organisation_by_slug, roles_for
from alongside.audit.services import record
from alongside.core.tenancy import tenant_scope
from alongside.warmline import chat
from alongside.warmline.models import Conversation, ConversationState, SenderKind

VISITOR_COOKIE = "alongside_chat"
# Close codes: 4401 the session ended; 4403 not allowed; 4404 no such conversation.
CLOSE_SESSION_ENDED = 4401
CLOSE_FORBIDDEN = 4403


def visitor_secret(cookies: dict[str, str], conversation_id: Any) -> str:
    """The secret in the visitor's cookie, when the cookie names this conversation ("" otherwise)."""
    value = cookies.get(VISITOR_COOKIE, "")
    named, _sep, secret = value.partition(".")
    return secret if named == str(conversation_id) else ""


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def staff_session_ok(scope: dict[str, Any]) -> bool:
    """The socket's session still exists, its person is active, passed the second factor, and is
    within the absolute session limit."""
    user = scope.get("user")
    session = scope.get("session")
    if user is None or not getattr(user, "is_authenticated", False) or session is None:
        return False
    key = getattr(session, "session_key", None)
    if not key or not Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).exists():
        return False
    if not User.objects.filter(pk=user.pk, is_active=True).exists():
        return False
    if not session.get(DEVICE_ID_SESSION_KEY) and not demo_exempt(user):
        return False
    auth_at = _parse(session.get("alongside_auth_at"))
    return auth_at is not None and timezone.now() - auth_at <= settings.SESSION_ABSOLUTE_LIMIT


# Channels' own dispatch (find the handler, call it), without its one-shared-thread wrapper.
_SYNC_DISPATCH = SyncConsumer.__dict__["dispatch"].func


class _ChatSocket(JsonWebsocketConsumer):
    """What both sides of a conversation share: send, sync, typing, and the broadcast events."""

    side = ""
    organisation: Organisation
    conversation_id: Any
    group = ""

    def _conversation(self) -> Conversation:
        return Conversation.objects.select_related("organisation", "line").get(
            pk=self.conversation_id, organisation=self.organisation
        )

    async def dispatch(self, message: Any) -> None:
        """One socket's frames and broadcasts still run one at a time and in order, but in the
        event loop's thread pool: Channels would run every synchronous consumer of the process in one
        shared thread, so each conversation's database work queued behind all the others' (200
        conversations on one server: acks took seconds; see benchmarks/chat.py)."""
        await DatabaseSyncToAsync(_SYNC_DISPATCH, thread_sensitive=False)(self, message)

    def _join(self) -> None:
        self.group = chat.conversation_group(self.conversation_id)
        async_to_sync(self.channel_layer.group_add)(self.group, self.channel_name)

    def disconnect(self, code: int) -> None:
        if self.group:
            async_to_sync(self.channel_layer.group_discard)(self.group, self.channel_name)

    def allowed(self) -> bool:
        return True

    def send_message(self, conversation: Conversation, client_id: Any, body: Any) -> tuple[Any, bool]:
        raise NotImplementedError

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """A frame that is not JSON gets the same clear error as an unknown one (the socket stays)."""
        try:
            content = self.decode_json(text_data) if text_data else None
        except ValueError:
            content = None
        self.receive_json(content)

    def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.allowed():
            self.close(code=CLOSE_SESSION_ENDED)
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "send":
            self._receive_send(content)
        elif kind == "sync":
            self._receive_sync(content)
        elif kind == "typing":
            async_to_sync(self.channel_layer.group_send)(self.group, {"type": "chat.typing", "who": self.side})
        elif kind == "ping":
            self.send_json({"type": "pong"})  # the visitor's heartbeat: presence is noted in allowed()
        else:
            self.send_json({"type": "error", "errors": {"type": [gettext("Unknown message type.")]}})

    def _receive_send(self, content: dict[str, Any]) -> None:
        client_id = content.get("client_id")
        with tenant_scope(self.organisation):
            try:
                # message_send commits before it returns: the ack below is never for an unsaved message.
                message, _created = self.send_message(self._conversation(), client_id, content.get("body"))
            except chat.ChatFlood as exc:
                self.send_json(
                    {
                        "type": "error",
                        "client_id": client_id,
                        "code": "flood",
                        "retry_after": exc.retry_after,
                        "errors": _errors(exc),
                    }
                )
                return
            except ValidationError as exc:
                self.send_json({"type": "error", "client_id": client_id, "errors": _errors(exc)})
                return
        self.send_json({"type": "ack", "client_id": message.client_id, "seq": message.seq})

    def _receive_sync(self, content: dict[str, Any]) -> None:
        with tenant_scope(self.organisation):
            conversation = self._conversation()
            try:
                messages = chat.messages_after(conversation, content.get("after", 0))
            except ValidationError as exc:
                self.send_json({"type": "error", "errors": _errors(exc)})
                return
            for message in messages:
                self.send_json(chat.message_payload(message))
            synced = {"type": "synced", "last_seq": conversation.last_seq, "state": conversation.state}
            if self.side == SenderKind.PEER:
                synced |= chat.presence_notice(conversation)
            self.send_json(synced)

    # Channel-layer events (sent to the conversation's group by the services after commit).

    def chat_message(self, event: dict[str, Any]) -> None:
        if self.allowed():
            self.send_json(event["message"])

    def chat_typing(self, event: dict[str, Any]) -> None:
        if event.get("who") != self.side:
            self.send_json({"type": "typing", "who": event.get("who")})

    def chat_state(self, event: dict[str, Any]) -> None:
        self.send_json({"type": "state", "state": event["state"]})
        if event["state"] in (ConversationState.CLOSED, ConversationState.ABANDONED):
            self.send_json({"type": "closed"})

    def chat_holder(self, event: dict[str, Any]) -> None:
        pass

    def chat_crisis(self, event: dict[str, Any]) -> None:
        pass

    def chat_checkin(self, event: dict[str, Any]) -> None:
        pass  # a check-in is for the peer only: the visitor's socket says nothing


def _errors(exc: ValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


class VisitorChatConsumer(_ChatSocket):
    """``ws/chat/<conversation_id>/``: the visitor's own conversation, opened by their secret only."""

    side = SenderKind.VISITOR
    line_group = ""

    def connect(self) -> None:
        conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        secret = visitor_secret(self.scope.get("cookies") or {}, conversation_id)
        conversation = chat.conversation_for_visitor(conversation_id, secret)
        if conversation is None or not chat.visitor_may_use(conversation):
            self.close(code=CLOSE_FORBIDDEN)
            return
        self.organisation = conversation.organisation
        self.conversation_id = conversation.pk
        with tenant_scope(self.organisation):
            chat.visitor_seen(conversation=conversation)
        self._join()
        self.line_group = chat.line_queue_group(conversation.line_id)
        async_to_sync(self.channel_layer.group_add)(self.line_group, self.channel_name)
        self.accept()
        self.send_json({"type": "state", "state": conversation.state, "last_seq": conversation.last_seq})
        self._send_place(conversation)

    def disconnect(self, code: int) -> None:
        super().disconnect(code)
        if getattr(self, "line_group", ""):
            async_to_sync(self.channel_layer.group_discard)(self.line_group, self.channel_name)

    def _send_place(self, conversation: Conversation) -> None:
        """The visitor's place in the queue and the estimated wait (only while waiting)."""
        if conversation.state != ConversationState.WAITING:
            return
        with tenant_scope(self.organisation):
            wait = chat.estimated_wait(conversation)
            self.send_json(
                {
                    "type": "queue",
                    "position": chat.queue_position(conversation),
                    "wait_minutes": round(wait.total_seconds() / 60) if wait is not None else None,
                }
            )

    def queue_changed(self, event: dict[str, Any]) -> None:
        with tenant_scope(self.organisation):
            conversation = self._conversation()
        self._send_place(conversation)

    def allowed(self) -> bool:
        """Every frame the visitor sends also says they are still here (presence)."""
        with tenant_scope(self.organisation):
            conversation = self._conversation()
            if not chat.visitor_may_use(conversation):
                return False
            chat.visitor_seen(conversation=conversation)
            return True

    def send_message(self, conversation: Conversation, client_id: Any, body: Any) -> tuple[Any, bool]:
        return chat.message_send(conversation=conversation, sender=SenderKind.VISITOR, client_id=client_id, body=body)

    def chat_crisis(self, event: dict[str, Any]) -> None:
        self.send_json({"type": "crisis", "options": event["options"]})


def _staff_org(scope: dict[str, Any], permission: str) -> tuple[Organisation, User] | None:
    if not staff_session_ok(scope):
        return None
    organisation = organisation_by_slug(scope["url_route"]["kwargs"].get("org_slug", ""))
    user = scope["user"]
    if organisation is None or not has_permission(roles_for(user, organisation.pk), permission):
        return None
    return organisation, user


class PeerChatConsumer(_ChatSocket):
    """``ws/warmline/<org_slug>/chat/<conversation_id>/``: the peer holding the conversation."""

    side = SenderKind.PEER
    user: User

    def connect(self) -> None:
        found = _staff_org(self.scope, "warmline.answer")
        if found is None:
            self.close(code=CLOSE_FORBIDDEN)
            return
        self.organisation, self.user = found
        try:
            self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
            with tenant_scope(self.organisation):
                conversation = self._conversation()
        except (Conversation.DoesNotExist, ValidationError, ValueError):
            self.close(code=CLOSE_FORBIDDEN)
            return
        if conversation.peer_id != self.user.pk:
            self.close(code=CLOSE_FORBIDDEN)
            return
        with tenant_scope(self.organisation):
            # The transcript is P3: one audit row per connection (a read), not one per frame.
            record(self.user, "chat.view", conversation)
        self._join()
        self.accept()
        self.send_json({"type": "state", "state": conversation.state, "last_seq": conversation.last_seq})

    def allowed(self) -> bool:
        return staff_session_ok(self.scope)

    def send_message(self, conversation: Conversation, client_id: Any, body: Any) -> tuple[Any, bool]:
        return chat.message_send(
            conversation=conversation, sender=SenderKind.PEER, client_id=client_id, body=body, acting_user=self.user
        )

    def chat_message(self, event: dict[str, Any]) -> None:
        if not self.allowed():
            self.close(code=CLOSE_SESSION_ENDED)
            return
        self.send_json(event["message"])

    def chat_crisis(self, event: dict[str, Any]) -> None:
        self.send_json(
            {"type": "crisis", "checklist": event["checklist"], "rules": event["rules"], "concepts": event["concepts"]}
        )

    def chat_checkin(self, event: dict[str, Any]) -> None:
        if not self.allowed():
            self.close(code=CLOSE_SESSION_ENDED)
            return
        self.send_json({"type": "checkin", "concepts": event["concepts"], "prompt": event["prompt"]})

    def chat_holder(self, event: dict[str, Any]) -> None:
        if event.get("peer") != str(self.user.pk):
            self.send_json({"type": "transferred"})
            self.close()


class QueueConsumer(JsonWebsocketConsumer):
    """``ws/warmline/<org_slug>/queue/``: the waiting chats for peers (no P3: line, wait, flag),
    and, for supervisors, crisis alerts from every conversation of the organisation."""

    organisation: Organisation
    groups_joined: list[str]

    def connect(self) -> None:
        self.groups_joined = []
        found = _staff_org(self.scope, "warmline.answer")
        if found is None:
            self.close(code=CLOSE_FORBIDDEN)
            return
        self.organisation, user = found
        names = [chat.queue_group(self.organisation.pk)]
        if has_permission(roles_for(user, self.organisation.pk), "warmline.supervise"):
            names.append(chat.supervisors_group(self.organisation.pk))
        for name in names:
            async_to_sync(self.channel_layer.group_add)(name, self.channel_name)
        self.groups_joined = names
        self.accept()
        self._snapshot()

    def disconnect(self, code: int) -> None:
        for name in self.groups_joined:
            async_to_sync(self.channel_layer.group_discard)(name, self.channel_name)

    def _snapshot(self) -> None:
        if not staff_session_ok(self.scope):
            self.close(code=CLOSE_SESSION_ENDED)
            return
        with tenant_scope(self.organisation):
            items = [
                {
                    "id": str(c.pk),
                    "line": c.line.name,
                    "queued_at": c.queued_at.isoformat(),
                    "flagged": c.flagged_at is not None,
                    "tier": "urgent" if c.flagged_at is not None else ("check_in" if c.checkin_at else ""),
                }
                for c in chat.queue(None, self.organisation)
            ]
        self.send_json({"type": "queue", "items": items})

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        self._snapshot()  # any frame asks for the queue again

    def queue_changed(self, event: dict[str, Any]) -> None:
        self._snapshot()

    def supervisor_alert(self, event: dict[str, Any]) -> None:
        if not staff_session_ok(self.scope):
            self.close(code=CLOSE_SESSION_ENDED)
            return
        self.send_json({key: value for key, value in event.items() if key != "type"} | {"type": "alert"})


class BoardConsumer(JsonWebsocketConsumer):
    """``ws/warmline/<org_slug>/board/``: the supervisor board. Supervisors only (warmline.supervise);
    it forwards no content, only "something changed" (the page fetches its fragment again) and
    crisis alerts (the conversation's id, its line and the time). The session is re-checked on every
    frame it receives or forwards."""

    organisation: Organisation
    groups_joined: list[str]

    def connect(self) -> None:
        self.groups_joined = []
        found = _staff_org(self.scope, "warmline.supervise")
        if found is None:
            self.close(code=CLOSE_FORBIDDEN)
            return
        self.organisation, _user = found
        names = [chat.queue_group(self.organisation.pk), chat.supervisors_group(self.organisation.pk)]
        for name in names:
            async_to_sync(self.channel_layer.group_add)(name, self.channel_name)
        self.groups_joined = names
        self.accept()

    def disconnect(self, code: int) -> None:
        for name in self.groups_joined:
            async_to_sync(self.channel_layer.group_discard)(name, self.channel_name)

    def _still_allowed(self) -> bool:
        if staff_session_ok(self.scope) and has_permission(
            roles_for(self.scope["user"], self.organisation.pk), "warmline.supervise"
        ):
            return True
        self.close(code=CLOSE_SESSION_ENDED)
        return False

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self._still_allowed():  # any frame asks whether the board changed
            self.send_json({"type": "changed"})

    def queue_changed(self, event: dict[str, Any]) -> None:
        if self._still_allowed():
            self.send_json({"type": "changed"})

    def supervisor_alert(self, event: dict[str, Any]) -> None:
        if self._still_allowed():
            self.send_json(
                {
                    "type": "alert",
                    "conversation": str(event.get("conversation", "")),
                    "line": str(event.get("line", "")),
                    "tier": str(event.get("tier", "")),
                    "at": str(event.get("at", "")),
                }
            )
