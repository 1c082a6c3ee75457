"""Live chat services (docs/warmline.md, "Live chat"): starting a chat, the queue, claiming,
sending, transferring, closing, stepping away and coming back, feedback.

Delivery: every message is stored in the transaction that numbers it (``seq``, under a row lock
on the conversation taken by ``lock_conversation``, the one lock shape for chats) and only then
acknowledged; the broadcast runs in ``transaction.on_commit``. A resend with the same
``client_id`` returns the stored message (``created`` False) and writes nothing.

Locks are always taken in the same order: a peer's user row (their chat count), then the
conversation row. Screening only flags and reorders; it never closes anything.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from alongside.accounts.models import Organisation, User
from alongside.accounts.permissions import has_permission
from alongside.accounts.selectors import roles_for
from alongside.audit.services import record
from alongside.core.tenancy import unscoped
from alongside.warmline import hours, screening, shifts
from alongside.warmline.models import Conversation, ConversationState, ConversationTransfer, Line, Message, SenderKind

logger = logging.getLogger(__name__)

ALIAS_MAX = 60
FIRST_LINE_MAX = 300
BODY_MAX = 2000
COMMENT_MAX = 1000
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PAGE_MAX = 200
OPEN_STATES = (ConversationState.WAITING, ConversationState.ACTIVE)
# The estimate uses the line's most recent claims within this window (see ``estimated_wait``).
WAIT_HISTORY = 20
WAIT_HISTORY_WINDOW = timedelta(days=7)
WAIT_MIN_SAMPLES = 3
WAIT_FLOOR = timedelta(minutes=1)


def resume_minutes() -> int:
    """How long a visitor who stepped away can come back by their link (setting, default 10)."""
    return int(getattr(settings, "WARMLINE_CHAT_RESUME_MINUTES", 10))


def flood_limit() -> int:
    """The most messages a visitor may send in one minute in one conversation (setting, default 30)."""
    return int(getattr(settings, "WARMLINE_CHAT_FLOOD_PER_MINUTE", 30))


FLOOD_WINDOW = timedelta(minutes=1)
# A visitor's page, socket or poll refreshes ``visitor_seen_at`` at most this often (one UPDATE).
SEEN_EVERY = timedelta(seconds=15)
# A chat whose conversation page never opened (the tab closed during the redirect) is gone after this.
NEVER_SEEN = timedelta(hours=1)


# --- Errors and results --------------------------------------------------------------------------


class ChatFlood(ValidationError):
    """The visitor sent more than ``flood_limit()`` messages in a minute; nothing was stored.
    ``retry_after`` is how many seconds until one more is accepted."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            {
                "body": _("You are sending messages very quickly. Please wait %(seconds)s seconds and send again.")
                % {"seconds": retry_after}
            },
            code="flood",
        )
        self.retry_after = retry_after


class ChatUnavailable(Exception):
    """Chat cannot start now. ``reason``: "chat_off" (the line offers no chat), "closed" (outside
    its hours; ``status`` says when it opens) or "no_peer" (open, but nobody is free)."""

    def __init__(self, reason: str, status: hours.LineStatus | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class ChatStart:
    """``secret`` is the visitor's key to their conversation: shown to them once, stored hashed."""

    conversation: Conversation
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# --- Channel-layer groups and broadcasts -----------------------------------------------------------


def conversation_group(conversation_id: Any) -> str:
    return f"chat.{conversation_id}"


def queue_group(organisation_id: Any) -> str:
    """Peers of the organisation watching the queue."""
    return f"warmline.queue.{organisation_id}"


def supervisors_group(organisation_id: Any) -> str:
    """Supervisors of the organisation (the supervisor board joins this; crisis alerts go here)."""
    return f"warmline.supervisors.{organisation_id}"


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception as exc:  # a lost broadcast is recovered by the clients' sync; never content in logs
        logger.error("chat broadcast to %s failed: %s", group, type(exc).__name__)


def _after_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send(group, event))


def message_payload(message: Message) -> dict[str, Any]:
    """A message as both sides receive it (socket and polling)."""
    return {
        "type": "message",
        "seq": message.seq,
        "sender": message.sender_kind,
        "event": message.event,
        "body": message.body,
        "at": message.created_at.isoformat(),
        "client_id": message.client_id if message.sender_kind != SenderKind.SYSTEM else "",
    }


def _broadcast_message(message: Message) -> None:
    _after_commit(
        conversation_group(message.conversation_id), {"type": "chat.message", "message": message_payload(message)}
    )


def line_queue_group(line_id: Any) -> str:
    """The visitors waiting on one line (their place in the queue changed)."""
    return f"warmline.line.{line_id}"


def _broadcast_queue(conversation: Conversation) -> None:
    _after_commit(queue_group(conversation.organisation_id), {"type": "queue.changed"})
    _after_commit(line_queue_group(conversation.line_id), {"type": "queue.changed"})


def _broadcast_state(conversation: Conversation) -> None:
    _after_commit(conversation_group(conversation.pk), {"type": "chat.state", "state": conversation.state})


# --- Availability ---------------------------------------------------------------------------------


def availability(line: Line, at: datetime) -> tuple[str, hours.LineStatus | None]:
    """("", status) when a chat can start now, else (reason, status); see ``ChatUnavailable``."""
    if not line.chat_enabled or not line.is_active:
        return "chat_off", None
    status = hours.line_status(line, at)
    if not status.is_open:
        return "closed", status
    if not shifts.available_peers(line, at):
        return "no_peer", status
    return "", status


def crisis_options(organisation: Organisation) -> list[dict[str, str]]:
    return [
        {"kind": str(o.get("kind", "")), "label": str(o.get("label", "")), "value": str(o.get("value", ""))}
        for o in organisation.crisis_options or []
        if isinstance(o, dict) and o.get("label")
    ]


# --- Locks and lookups ----------------------------------------------------------------------------


def lock_conversation(conversation: Conversation) -> Conversation:
    """Lock the conversation row (the one lock shape for chats): seq numbers, claims, state changes."""
    return Conversation.objects.select_for_update().get(pk=conversation.pk, organisation=conversation.organisation_id)


def _lock_user(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


def conversation_for_visitor(conversation_id: Any, secret: str) -> Conversation | None:
    """The conversation this secret opens (None for anything else: a wrong id, a wrong secret)."""
    if not secret or len(secret) > 100:
        return None
    try:
        pk = uuid.UUID(str(conversation_id))
    except (TypeError, ValueError):
        return None
    with unscoped("a visitor has no organisation context: their secret names their own conversation"):
        return (
            Conversation.objects.filter(pk=pk, visitor_token_hash=hash_secret(secret))
            .select_related("organisation", "line")
            .first()
        )


def access_conversation(org: Any, conversation_id: Any) -> Conversation:
    """A conversation of ``org`` for a peer (``OrgContext``): a waiting one (to claim), one they
    hold, or any for a supervisor; else the same 404 as a missing id."""
    from django.http import Http404

    from alongside.accounts.access import parse_uuid_or_404

    org.require("warmline.answer")
    conversation = (
        Conversation.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(conversation_id))
        .select_related("line", "organisation", "escalation")
        .first()
    )
    if conversation is None:
        raise Http404
    if conversation.state == ConversationState.WAITING or conversation.peer_id == org.user.pk:
        return conversation
    if org.can("warmline.supervise"):
        return conversation
    raise Http404


def visitor_may_use(conversation: Conversation, now: datetime | None = None) -> bool:
    """A visitor who stepped away can use their secret again only within the resume window."""
    if conversation.resume_until is None:
        return True
    return (now or timezone.now()) <= conversation.resume_until


def active_count(user: User, organisation_id: Any) -> int:
    return Conversation.objects.filter(organisation=organisation_id, peer=user, state=ConversationState.ACTIVE).count()


def _can_answer(user: Any, organisation_id: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return has_permission(roles_for(user, organisation_id), "warmline.answer")


# --- Queue ---------------------------------------------------------------------------------------


def _waiting(qs: Any, now: datetime) -> Any:
    """Waiting conversations, without those whose visitor stepped away and did not come back, or
    has not been heard from for the resume window (``visitor_gone``; the sweep abandons them)."""
    return qs.filter(state=ConversationState.WAITING).exclude(resume_until__lt=now).exclude(_gone_q(now))


def queue(line_ids: list[Any] | None, organisation: Organisation) -> list[Conversation]:
    """Waiting conversations: flagged ones first, then first come first served. Visitors who left
    without a word are marked abandoned on the way (one cheap query when there are none)."""
    chats_sweep(organisation=organisation)
    qs = _waiting(Conversation.objects.filter(organisation=organisation), timezone.now())
    if line_ids is not None:
        qs = qs.filter(line__in=line_ids)
    return list(qs.select_related("line").order_by(F("flagged_at").asc(nulls_last=True), "queued_at", "pk"))


def queue_position(conversation: Conversation) -> int | None:
    """1 for the next person to be answered (None when not waiting). Flagged chats go first."""
    if conversation.state != ConversationState.WAITING:
        return None
    waiting = _waiting(
        Conversation.objects.filter(organisation=conversation.organisation_id, line=conversation.line_id),
        timezone.now(),
    ).exclude(pk=conversation.pk)
    if conversation.flagged_at is not None:
        ahead = waiting.filter(flagged_at__isnull=False, flagged_at__lt=conversation.flagged_at).count()
    else:
        ahead = waiting.filter(Q(flagged_at__isnull=False) | Q(queued_at__lt=conversation.queued_at)).count()
    return ahead + 1


def estimated_wait(conversation: Conversation, *, now: datetime | None = None) -> timedelta | None:
    """A plain estimate: the median wait of the line's last 20 claimed chats of the past 7 days,
    times the queue position, at least one minute. None ("we don't know yet") with fewer than 3."""
    position = queue_position(conversation)
    if position is None:
        return None
    moment = now or timezone.now()
    recent = list(
        Conversation.objects.filter(
            organisation=conversation.organisation_id,
            line=conversation.line_id,
            claimed_at__isnull=False,
            claimed_at__gte=moment - WAIT_HISTORY_WINDOW,
        )
        .order_by("-claimed_at")
        .values_list("queued_at", "claimed_at")[:WAIT_HISTORY]
    )
    if len(recent) < WAIT_MIN_SAMPLES:
        return None
    median = statistics.median((claimed - queued).total_seconds() for queued, claimed in recent if claimed is not None)
    return max(WAIT_FLOOR, timedelta(seconds=median * position))


# --- Messages ------------------------------------------------------------------------------------


def _append(
    conversation: Conversation,
    *,
    kind: str,
    body: str,
    now: datetime,
    sender: User | None = None,
    client_id: str = "",
    event: str = "",
) -> Message:
    """Add the next message to a locked conversation (the caller holds ``lock_conversation``)."""
    conversation.last_seq += 1
    message = Message.objects.create(
        organisation_id=conversation.organisation_id,
        conversation=conversation,
        seq=conversation.last_seq,
        sender_kind=kind,
        sender=sender,
        client_id=client_id or f"sys-{uuid.uuid4().hex}",
        body=body,
        event=event,
        created_at=now,
    )
    conversation.save(update_fields=["last_seq", "updated_at"])
    _broadcast_message(message)
    return message


def _system(conversation: Conversation, event: str, body: str, now: datetime) -> Message:
    """A system event in the transcript, in the visitor's language (``body`` marked with gettext_noop)."""
    with translation.override(conversation.language):
        text = _(body)
    return _append(conversation, kind=SenderKind.SYSTEM, body=text, now=now, event=event)


def _crisis_text(organisation: Organisation) -> str:
    labels = "; ".join(o["label"] for o in crisis_options(organisation))
    return _("If you are in danger or thinking about suicide, please reach out now: %(options)s") % {"options": labels}


# The calm prompt a peer sees on a check-in: ask directly (asking does not put the idea in
# someone's head; it tells them they can talk about it).
CHECKIN_PROMPT = gettext_noop(
    "Something in what the person wrote may be about their safety. When it feels right, ask directly and "
    "calmly, for example: “It sounds like things are really hard right now. Are you thinking about suicide, "
    "or about hurting yourself?” If they say yes, or you are worried, raise it to urgent."
)


def concept_labels(concepts: list[str]) -> list[str]:
    return [screening.concept_label(c) for c in concepts]


def _raise_escalation(conversation: Conversation, user: User) -> None:
    """The escalation record, raised by the peer holding the chat (conversation locked)."""
    from alongside.safety.models import Source
    from alongside.safety.services import escalation_raise

    concepts = ", ".join(concept_labels(conversation.flag_concepts)) or _("raised by a peer supporter")
    summary = _("Crisis screening flagged a warm-line chat on %(line)s (%(concepts)s).") % {
        "line": conversation.line.name,
        "concepts": concepts,
    }
    try:
        with transaction.atomic():  # a refusal must never cost the message or the claim that led here
            escalation = escalation_raise(
                acting_user=user, organisation=conversation.organisation, source=Source.CHAT, summary=summary[:1000]
            )
    except ValidationError:
        logger.error("chat %s: escalation not raised by the holder; raise it by hand", conversation.pk)
        return
    conversation.escalation = escalation
    conversation.save(update_fields=["escalation", "updated_at"])
    record(user, "chat.escalation_link", conversation)


def _flag(conversation: Conversation, matched: list[str], concepts: list[str], now: datetime) -> None:
    """Urgent (conversation locked): crisis options to the visitor at once, the checklist to the
    peer, an alert to supervisors, the front of the queue, the escalation record."""
    from alongside.safety.services import current_steps

    if conversation.flagged_at is None:
        conversation.flagged_at = now
    conversation.flag_rules = sorted(set(conversation.flag_rules) | set(matched))
    conversation.flag_concepts = list(dict.fromkeys([*conversation.flag_concepts, *concepts]))
    conversation.save(update_fields=["flagged_at", "flag_rules", "flag_concepts", "updated_at"])
    with translation.override(conversation.language):
        crisis = _crisis_text(conversation.organisation)
    _append(conversation, kind=SenderKind.SYSTEM, body=crisis, now=now, event="crisis")
    steps, _version = current_steps(conversation.organisation)
    _after_commit(
        conversation_group(conversation.pk),
        {
            "type": "chat.crisis",
            "options": crisis_options(conversation.organisation),
            "checklist": steps,
            "rules": conversation.flag_rules,
            "concepts": concept_labels(conversation.flag_concepts),
        },
    )
    _after_commit(
        supervisors_group(conversation.organisation_id),
        {
            "type": "supervisor.alert",
            "conversation": str(conversation.pk),
            "line": str(conversation.line_id),
            "state": conversation.state,
            "tier": screening.Tier.URGENT,
            "rules": conversation.flag_rules,
            "concepts": concept_labels(conversation.flag_concepts),
            "at": now.isoformat(),
        },
    )
    if conversation.state == ConversationState.WAITING:
        _broadcast_queue(conversation)
    elif conversation.peer is not None and conversation.escalation_id is None:
        _raise_escalation(conversation, conversation.peer)
    record(None, "chat.flag", conversation)


def _checkin(conversation: Conversation, concepts: list[str], now: datetime) -> None:
    """Check in (conversation locked): a calm prompt to the peer to ask about safety, and the tier
    on the supervisor board. Nothing is shown to the person, no alert, no escalation."""
    first = conversation.checkin_at is None
    new = [c for c in concepts if c not in conversation.flag_concepts]
    if not first and not new:
        return
    if first:
        conversation.checkin_at = now
    conversation.flag_concepts = [*conversation.flag_concepts, *new]
    conversation.save(update_fields=["checkin_at", "flag_concepts", "updated_at"])
    with translation.override(conversation.language):
        prompt = str(_(CHECKIN_PROMPT))
    _after_commit(
        conversation_group(conversation.pk),
        {"type": "chat.checkin", "concepts": concept_labels(conversation.flag_concepts), "prompt": prompt},
    )
    _broadcast_queue(conversation)  # the supervisor board shows the tier
    record(None, "chat.checkin", conversation)


def _screen(conversation: Conversation, text: str, now: datetime) -> None:
    verdict = screening.screen_door(
        text, organisation=conversation.organisation, door=f"chat {conversation.pk}", language=conversation.language
    )
    if verdict.urgent:
        _flag(conversation, list(verdict.matched), list(verdict.concepts), now)
    elif verdict.flag:
        _checkin(conversation, list(verdict.concepts), now)


@transaction.atomic
def chat_raise(*, acting_user: User, conversation: Conversation, now: datetime | None = None) -> Conversation:
    """One click from a check-in (or a peer's own worry) to urgent: the holder or a supervisor
    raises the conversation; the same protocol as an urgent screening match follows."""
    moment = now or timezone.now()
    locked = lock_conversation(conversation)
    if locked.state not in OPEN_STATES:
        raise ValidationError(_("This conversation has ended."))
    _holder_or_supervisor(acting_user, locked)
    if locked.flagged_at is not None:
        return locked
    record(acting_user, "chat.raise", locked)
    _flag(locked, [], [], moment)
    if locked.escalation_id is None and locked.state == ConversationState.ACTIVE:
        _raise_escalation(locked, acting_user)
    return locked


def _check_client_id(client_id: Any) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise ValidationError({"client_id": _("A message id is 1 to 64 letters, digits, - or _.")})
    return client_id


def _check_body(body: Any) -> str:
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise ValidationError({"body": _("Write a message first.")})
    if len(text) > BODY_MAX:
        raise ValidationError({"body": _("A message can be at most %(max)s characters.") % {"max": BODY_MAX}})
    return text


@transaction.atomic
def message_send(
    *,
    conversation: Conversation,
    sender: str,
    client_id: Any,
    body: Any,
    acting_user: User | None = None,
    now: datetime | None = None,
) -> tuple[Message, bool]:
    """Store one message (``sender`` "visitor" or "peer") and return it with ``created``; the same
    ``client_id`` again returns the stored message and writes nothing. Visitor messages are screened."""
    client_id = _check_client_id(client_id)
    if sender not in (SenderKind.VISITOR, SenderKind.PEER):
        raise ValidationError({"sender": _("Unknown sender.")})
    moment = now or timezone.now()
    locked = lock_conversation(conversation)
    existing = Message.objects.filter(
        organisation=locked.organisation_id, conversation=locked, sender_kind=sender, client_id=client_id
    ).first()
    if existing is not None:
        return existing, False
    text = _check_body(body)
    if sender == SenderKind.VISITOR:
        _check_flood(locked, moment)
    if sender == SenderKind.PEER:
        if acting_user is None or locked.peer_id != acting_user.pk or locked.state != ConversationState.ACTIVE:
            raise ValidationError(_("Only the peer supporter holding this conversation can write in it."))
    elif locked.state not in OPEN_STATES:
        raise ValidationError(_("This conversation has ended."))
    message = _append(
        locked,
        kind=sender,
        body=text,
        now=moment,
        sender=acting_user if sender == SenderKind.PEER else None,
        client_id=client_id,
    )
    if sender == SenderKind.VISITOR:
        locked.visitor_seen_at = moment
        if locked.away_since is not None:  # writing again means they are back
            locked.away_since = locked.resume_until = None
        locked.save(update_fields=["away_since", "resume_until", "visitor_seen_at", "updated_at"])
        _screen(locked, text, moment)
    # No audit event per message: the message row is itself the record of who wrote what and when
    # (sender, time, seq; no code path edits a message, retention removes whole transcripts with
    # an audit row). An audit event would lock the organisation's audit chain until commit, and
    # every chat of the organisation would queue behind it (docs/warmline.md, "Delivery").
    return message, True


def messages_after(conversation: Conversation, seq: Any, *, limit: int = PAGE_MAX) -> list[Message]:
    """The conversation's messages with a seq greater than ``seq``, in order (at most ``limit``)."""
    try:
        after = max(0, int(seq))
    except (TypeError, ValueError):
        raise ValidationError({"after": _("Give the last message number you have (0 for none).")}) from None
    return list(
        Message.objects.filter(
            organisation=conversation.organisation_id, conversation=conversation, seq__gt=after
        ).order_by("seq")[:limit]
    )


# --- Starting, leaving, coming back ----------------------------------------------------------------


def chat_start(
    *,
    line: Line,
    alias: Any = "",
    first_line: Any = "",
    terms_accepted: bool = False,
    language: str = "en",
    now: datetime | None = None,
) -> ChatStart:
    """A visitor asks to chat (public, no account; audited as nobody). Raises ValidationError for
    bad input and ChatUnavailable when chat cannot start now."""
    errors: dict[str, str] = {}
    alias = alias.strip() if isinstance(alias, str) else ""
    first_line = first_line.strip() if isinstance(first_line, str) else ""
    if len(alias) > ALIAS_MAX:
        errors["alias"] = _("Use at most %(max)s characters.") % {"max": ALIAS_MAX}
    if not first_line:
        errors["first_line"] = _("Write a few words about what is on your mind.")
    elif len(first_line) > FIRST_LINE_MAX:
        errors["first_line"] = _("Use at most %(max)s characters.") % {"max": FIRST_LINE_MAX}
    if terms_accepted is not True:
        errors["terms"] = _("Please read the chat terms and tick the box to say you agree.")
    if errors:
        raise ValidationError(errors)
    moment = now or timezone.now()
    reason, status = availability(line, moment)
    if reason:
        raise ChatUnavailable(reason, status)
    secret = secrets.token_urlsafe(32)
    languages = {code for code, _name in settings.LANGUAGES}
    with transaction.atomic():
        conversation = Conversation.objects.create(
            organisation=line.organisation,
            line=line,
            visitor_alias=alias,
            first_line=first_line,
            language=language if language in languages else settings.LANGUAGE_CODE,
            terms_accepted_at=moment,
            visitor_token_hash=hash_secret(secret),
            queued_at=moment,
        )
        record(None, "chat.start", conversation)
        locked = lock_conversation(conversation)
        _system(locked, "queued", gettext_noop("Waiting for a peer supporter."), moment)
        _screen(locked, first_line, moment)
        _broadcast_queue(locked)
    return ChatStart(locked, secret)


@transaction.atomic
def visitor_step_away(*, conversation: Conversation, now: datetime | None = None) -> Conversation:
    """The visitor steps away: their place is kept and their link works for ``resume_minutes()``."""
    moment = now or timezone.now()
    locked = lock_conversation(conversation)
    if locked.state not in OPEN_STATES:
        raise ValidationError(_("This conversation has ended."))
    locked.away_since = moment
    locked.resume_until = moment + timedelta(minutes=resume_minutes())
    locked.save(update_fields=["away_since", "resume_until", "updated_at"])
    _system(locked, "away", gettext_noop("The person stepped away for a few minutes."), moment)
    record(None, "chat.step_away", locked)
    return locked


@transaction.atomic
def visitor_resume(*, conversation: Conversation, now: datetime | None = None) -> Conversation:
    """The visitor is back by their link within the window (ValidationError after it)."""
    moment = now or timezone.now()
    locked = lock_conversation(conversation)
    if locked.state not in OPEN_STATES or not visitor_may_use(locked, moment):
        raise ValidationError(_("This link has expired. You are welcome to start a new chat."))
    if locked.away_since is None:
        return locked
    locked.away_since = locked.resume_until = None
    locked.visitor_seen_at = moment
    locked.save(update_fields=["away_since", "resume_until", "visitor_seen_at", "updated_at"])
    _system(locked, "back", gettext_noop("The person is back."), moment)
    record(None, "chat.resume", locked)
    return locked


@transaction.atomic
def visitor_leave(*, conversation: Conversation, now: datetime | None = None) -> Conversation:
    """The visitor ends it: a waiting chat is abandoned, an active one closed (by nobody on staff)."""
    moment = now or timezone.now()
    locked = lock_conversation(conversation)
    if locked.state not in OPEN_STATES:
        return locked
    was_waiting = locked.state == ConversationState.WAITING
    _system(locked, "left", gettext_noop("The person left the conversation."), moment)
    locked.state = ConversationState.ABANDONED if was_waiting else ConversationState.CLOSED
    _finish(locked, moment)
    record(None, "chat.leave", locked)
    if not was_waiting and locked.peer is not None:
        _contact_prefill(locked, locked.peer)
    _broadcast_state(locked)
    if was_waiting:
        _broadcast_queue(locked)
    return locked


def _finish(conversation: Conversation, now: datetime) -> None:
    conversation.closed_at = now
    # resume_until stays: a link that expired stays expired (the transcript is not shown again).
    conversation.away_since = None
    conversation.purge_after = now + timedelta(days=conversation.organisation.retention_transcripts_days)
    conversation.save(
        update_fields=["state", "closed_at", "closed_by", "away_since", "resume_until", "purge_after", "updated_at"]
    )


def expire_away(*, conversation: Conversation, now: datetime | None = None) -> Conversation:
    """A visitor who stepped away and did not come back in time leaves the queue (waiting only:
    an active chat stays with its peer, who closes it)."""
    moment = now or timezone.now()
    if (
        conversation.state == ConversationState.WAITING
        and conversation.resume_until is not None
        and conversation.resume_until < moment
    ):
        return visitor_leave(conversation=conversation, now=moment)
    return conversation


# --- Staff: claim, transfer, close -----------------------------------------------------------------


@transaction.atomic
def chat_claim(*, acting_user: User, conversation: Conversation, now: datetime | None = None) -> Conversation:
    """A peer on shift takes a waiting chat. Two peers can never hold the same one (row lock), and
    nobody holds more than the line's ``max_chats_per_peer`` (their user row is locked first)."""
    moment = now or timezone.now()
    if not _can_answer(acting_user, conversation.organisation_id):
        raise ValidationError(_("Only peer supporters of this organisation can take chats."))
    if not shifts.is_on_shift(acting_user, conversation.line, moment):
        raise ValidationError(_("You can take chats only while you are on a shift of this line."))
    _lock_user(acting_user)
    locked = lock_conversation(conversation)
    if locked.state != ConversationState.WAITING:
        if locked.peer_id == acting_user.pk:
            return locked
        if locked.state == ConversationState.ABANDONED and not visitor_may_use(locked, moment):
            raise ValidationError(_("The person stepped away and did not come back in time."))
        raise ValidationError(_("This chat is no longer waiting: another peer supporter has it, or it ended."))
    if not visitor_may_use(locked, moment):
        raise ValidationError(_("The person stepped away and did not come back in time."))
    if visitor_gone(locked, moment):
        raise ValidationError(_("The person seems to have left: their page has not been open for a while."))
    if active_count(acting_user, locked.organisation_id) >= locked.line.max_chats_per_peer:
        raise ValidationError(
            _("You already hold %(max)s chats, the most this line allows at once.")
            % {"max": locked.line.max_chats_per_peer}
        )
    locked.state = ConversationState.ACTIVE
    locked.peer = acting_user
    locked.claimed_at = moment
    locked.save(update_fields=["state", "peer", "claimed_at", "updated_at"])
    record(acting_user, "chat.claim", locked)
    _system(locked, "joined", gettext_noop("A peer supporter joined the conversation."), moment)
    if locked.flagged_at is not None and locked.escalation_id is None:
        # Flagged while waiting: the escalation is raised now, by the peer who took the chat.
        _raise_escalation(locked, acting_user)
    _broadcast_state(locked)
    _broadcast_queue(locked)
    return locked


def _holder_or_supervisor(acting_user: User, conversation: Conversation) -> None:
    if conversation.peer_id == acting_user.pk:
        return
    if has_permission(roles_for(acting_user, conversation.organisation_id), "warmline.supervise"):
        return
    raise ValidationError(_("Only the peer supporter holding this conversation, or a supervisor, can do this."))


@transaction.atomic
def chat_transfer(
    *, acting_user: User, conversation: Conversation, to_user: User, now: datetime | None = None
) -> Conversation:
    """Hand an active chat to another peer (within their limit) or a supervisor on duty (no limit)."""
    moment = now or timezone.now()
    if not _can_answer(to_user, conversation.organisation_id):
        raise ValidationError({"to_user": _("Choose a peer supporter of this organisation.")})
    line = conversation.line
    supervisor_ids = {u.pk for u in shifts.supervisors_on_duty(line, moment)}
    if to_user.pk not in supervisor_ids and not shifts.is_on_shift(to_user, line, moment):
        raise ValidationError({"to_user": _("Choose someone who is on shift now.")})
    _lock_user(to_user)
    locked = lock_conversation(conversation)
    if locked.state != ConversationState.ACTIVE:
        raise ValidationError(_("Only a conversation in progress can be transferred."))
    _holder_or_supervisor(acting_user, locked)
    if locked.peer_id == to_user.pk:
        raise ValidationError({"to_user": _("This person already holds the conversation.")})
    if to_user.pk not in supervisor_ids and active_count(to_user, locked.organisation_id) >= line.max_chats_per_peer:
        raise ValidationError({"to_user": _("They already hold as many chats as this line allows.")})
    from_user = locked.peer
    assert from_user is not None
    ConversationTransfer.objects.create(
        organisation_id=locked.organisation_id, conversation=locked, from_user=from_user, to_user=to_user, at=moment
    )
    locked.peer = to_user
    locked.save(update_fields=["peer", "updated_at"])
    record(acting_user, "chat.transfer", locked)
    _system(locked, "transfer", gettext_noop("Another peer supporter is taking over the conversation."), moment)
    _after_commit(conversation_group(locked.pk), {"type": "chat.holder", "peer": str(to_user.pk)})
    return locked


def _contact_prefill(conversation: Conversation, user: User) -> None:
    """The contact record, prefilled from the chat (the contacts part's ``contact_prefill``). A
    draft that cannot be made never stops the chat from closing: the peer writes it by hand."""
    from alongside.warmline.contacts import contact_prefill

    try:
        with transaction.atomic():
            contact = contact_prefill(
                acting_user=user,
                line=conversation.line,
                channel="chat",
                started_at=conversation.claimed_at or conversation.queued_at,
                ended_at=conversation.closed_at or timezone.now(),
                caller_alias=conversation.visitor_alias,
                first_line=conversation.first_line,
                participant=None,
            )
    except ValidationError:
        logger.warning("chat %s: contact draft not made", conversation.pk)
        return
    conversation.contact_id = contact.pk
    conversation.save(update_fields=["contact_id", "updated_at"])


@transaction.atomic
def chat_close(
    *, acting_user: User, conversation: Conversation, closing_message: Any = "", now: datetime | None = None
) -> Conversation:
    """The holder (or a supervisor) closes the chat with an optional last message; the transcript's
    retention starts and the contact record is prefilled."""
    moment = now or timezone.now()
    closing = closing_message.strip() if isinstance(closing_message, str) else ""
    if len(closing) > BODY_MAX:
        raise ValidationError(
            {"closing_message": _("A message can be at most %(max)s characters.") % {"max": BODY_MAX}}
        )
    locked = lock_conversation(conversation)
    if locked.state != ConversationState.ACTIVE:
        raise ValidationError(_("Only a conversation in progress can be closed."))
    _holder_or_supervisor(acting_user, locked)
    if closing:
        _append(
            locked,
            kind=SenderKind.PEER,
            body=closing,
            now=moment,
            sender=acting_user,
            client_id=f"close-{uuid.uuid4().hex}",
        )
    _system(locked, "closed", gettext_noop("The conversation has ended. Thank you for reaching out."), moment)
    locked.state = ConversationState.CLOSED
    locked.closed_by = acting_user
    _finish(locked, moment)
    record(acting_user, "chat.close", locked)
    _contact_prefill(locked, acting_user)
    _broadcast_state(locked)
    _broadcast_queue(locked)  # the board and the consoles count chats in progress
    return locked


@transaction.atomic
def feedback_leave(
    *, conversation: Conversation, rating: Any, comment: Any = "", now: datetime | None = None
) -> Conversation:
    """The visitor rates a closed chat (1–5) with an optional comment, once."""
    errors: dict[str, str] = {}
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors["rating"] = _("Choose a rating from 1 to 5.")
    text = comment.strip() if isinstance(comment, str) else ""
    if len(text) > COMMENT_MAX:
        errors["comment"] = _("Use at most %(max)s characters.") % {"max": COMMENT_MAX}
    if errors:
        raise ValidationError(errors)
    locked = lock_conversation(conversation)
    if locked.state != ConversationState.CLOSED:
        raise ValidationError(_("You can leave feedback once the conversation has ended."))
    if locked.feedback_at is not None:
        raise ValidationError(_("Thank you, your feedback is already in."))
    locked.feedback_rating = value
    locked.feedback_comment = text
    locked.feedback_at = now or timezone.now()
    locked.save(update_fields=["feedback_rating", "feedback_comment", "feedback_at", "updated_at"])
    record(None, "chat.feedback", locked)
    return locked


# --- Presence and the sweep ------------------------------------------------------------------------


def _gone_q(now: datetime) -> Q:
    """Conversations whose visitor has not been heard from for ``resume_minutes()`` and is not
    away with a link that still works (stepping away has its own window, ``resume_until``)."""
    cutoff = now - timedelta(minutes=resume_minutes())
    unheard = Q(visitor_seen_at__lt=cutoff) | Q(visitor_seen_at__isnull=True, queued_at__lt=now - NEVER_SEEN)
    return unheard & Q(resume_until__isnull=True)


def visitor_gone(conversation: Conversation, now: datetime | None = None) -> bool:
    """True when the visitor has not been heard from for the resume window (not stepped away). For
    an active chat the peer sees "The person may have left" and closes it themself."""
    if conversation.state not in OPEN_STATES or conversation.resume_until is not None:
        return False
    moment = now or timezone.now()
    if conversation.visitor_seen_at is None:
        return conversation.queued_at < moment - NEVER_SEEN
    return conversation.visitor_seen_at < moment - timedelta(minutes=resume_minutes())


def presence_notice(conversation: Conversation, now: datetime | None = None) -> dict[str, Any]:
    """For the peer's socket and poll: ``visitor_gone`` and, when gone, the words to show."""
    gone = visitor_gone(conversation, now)
    notice = _("The person may have left: their page has not been open for a while.") if gone else ""
    return {"visitor_gone": gone, "notice": notice}


def visitor_seen(*, conversation: Conversation, now: datetime | None = None) -> None:
    """The visitor's page, socket or poll is alive: one UPDATE, at most every ``SEEN_EVERY``, no
    lock, no audit (presence is not an action). Ended conversations are left alone."""
    moment = now or timezone.now()
    seen = conversation.visitor_seen_at
    if seen is not None and moment - seen < SEEN_EVERY:
        return
    Conversation.objects.filter(
        pk=conversation.pk, organisation=conversation.organisation_id, state__in=OPEN_STATES
    ).update(visitor_seen_at=moment)
    conversation.visitor_seen_at = moment


def _check_flood(conversation: Conversation, now: datetime) -> None:
    """At most ``flood_limit()`` visitor messages a minute per conversation (conversation locked)."""
    recent = list(
        Message.objects.filter(
            organisation=conversation.organisation_id,
            conversation=conversation,
            sender_kind=SenderKind.VISITOR,
            created_at__gt=now - FLOOD_WINDOW,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: flood_limit()]
    )
    if len(recent) >= flood_limit():
        oldest = recent[-1]
        raise ChatFlood(max(1, int((oldest + FLOOD_WINDOW - now).total_seconds() + 0.999)))


def chats_sweep(*, organisation: Organisation, now: datetime | None = None, dry_run: bool = False) -> int:
    """Mark abandoned the waiting chats whose visitor left without a word (``_gone_q``) or stepped
    away and did not come back in time. Never an active chat (its peer closes it), never because of
    screening. Each is re-checked under its row lock; audited ``chat.abandon`` as nobody. Runs in
    the organisation's tenant scope; returns how many (would be) abandoned."""
    moment = now or timezone.now()
    stale = Conversation.objects.filter(organisation=organisation, state=ConversationState.WAITING).filter(
        _gone_q(moment) | Q(resume_until__lt=moment)
    )
    ids = list(stale.values_list("pk", flat=True))
    if dry_run:
        return len(ids)
    done = 0
    for pk in ids:
        with transaction.atomic():
            locked = lock_conversation(Conversation(pk=pk, organisation_id=organisation.pk))
            expired = locked.resume_until is not None and locked.resume_until < moment
            if locked.state != ConversationState.WAITING or not (expired or visitor_gone(locked, moment)):
                continue
            _system(locked, "left", gettext_noop("The person left the queue."), moment)
            locked.state = ConversationState.ABANDONED
            _finish(locked, moment)
            record(None, "chat.abandon", locked)
            _broadcast_state(locked)
            _broadcast_queue(locked)
            done += 1
    return done


# --- Retention ------------------------------------------------------------------------------------


def transcripts_due(organisation: Organisation, now: datetime) -> Any:
    """Ended conversations whose transcript is past its ``purge_after`` and not yet cleared."""
    return Conversation.objects.filter(
        organisation=organisation, purge_after__lte=now, transcript_purged_at__isnull=True
    ).exclude(state__in=OPEN_STATES)


@transaction.atomic
def transcripts_purge(*, organisation: Organisation, now: datetime | None = None, dry_run: bool = False) -> int:
    """Clear the transcripts past their retention (messages deleted; alias, first line and feedback
    comment emptied; times, states, rating and the escalation link kept). One audit row per run.
    Runs inside the organisation's tenant scope; a second run finds nothing left. Returns how many."""
    moment = now or timezone.now()
    due = list(transcripts_due(organisation, moment).values_list("pk", flat=True))
    if dry_run or not due:
        return len(due)
    Message.objects.filter(organisation=organisation, conversation__in=due).delete()
    for conversation in Conversation.objects.filter(organisation=organisation, pk__in=due):
        conversation.visitor_alias = conversation.first_line = conversation.feedback_comment = ""
        conversation.transcript_purged_at = moment
        conversation.save(
            update_fields=["visitor_alias", "first_line", "feedback_comment", "transcript_purged_at", "updated_at"]
        )
    record(None, "retention.transcripts_cleared", organisation=organisation, object_type="warmline.conversation")
    return len(due)


# --- Supervisors joining a conversation (the supervisor board) -----------------------------------

SUPERVISOR_JOINED = "supervisor_joined"


def supervisor_joined(conversation: Conversation, user: User) -> bool:
    """Whether ``user`` joined this conversation as a supervisor (the transcript's own event)."""
    return Message.objects.filter(
        organisation=conversation.organisation_id, conversation=conversation, event=SUPERVISOR_JOINED, sender=user
    ).exists()


def _require_supervisor(acting_user: User, conversation: Conversation) -> None:
    if (
        acting_user is None
        or not acting_user.is_active
        or not has_permission(roles_for(acting_user, conversation.organisation_id), "warmline.supervise")
    ):
        raise ValidationError(_("Only a supervisor of this organisation can join a conversation."))


@transaction.atomic
def chat_join(*, acting_user: User, conversation: Conversation, now: datetime | None = None) -> Conversation:
    """A supervisor joins a conversation in progress: from then on they read the transcript and may
    write in it. Audited (``chat.supervisor_join``); the transcript says "A supervisor joined the
    conversation", so the person and the peer both know. Joining again changes nothing."""
    moment = now or timezone.now()
    _require_supervisor(acting_user, conversation)
    locked = lock_conversation(conversation)
    if locked.state != ConversationState.ACTIVE:
        raise ValidationError(_("Only a conversation in progress can be joined."))
    if supervisor_joined(locked, acting_user):
        return locked
    with translation.override(locked.language):
        text = _("A supervisor joined the conversation.")
    _append(locked, kind=SenderKind.SYSTEM, body=text, now=moment, sender=acting_user, event=SUPERVISOR_JOINED)
    record(acting_user, "chat.supervisor_join", locked)
    return locked


@transaction.atomic
def chat_supervisor_send(
    *, acting_user: User, conversation: Conversation, client_id: Any, body: Any, now: datetime | None = None
) -> tuple[Message, bool]:
    """A supervisor who joined writes in the conversation (shown to the person as a peer
    supporter's message). Same idempotency as ``message_send``: a resend writes nothing."""
    client_id = _check_client_id(client_id)
    _require_supervisor(acting_user, conversation)
    locked = lock_conversation(conversation)
    existing = Message.objects.filter(
        organisation=locked.organisation_id,
        conversation=locked,
        sender_kind=SenderKind.PEER,
        sender=acting_user,
        client_id=client_id,
    ).first()
    if existing is not None:
        return existing, False
    text = _check_body(body)
    if locked.state != ConversationState.ACTIVE:
        raise ValidationError(_("This conversation has ended."))
    if not supervisor_joined(locked, acting_user):
        raise ValidationError(_("Join the conversation before writing in it."))
    moment = now or timezone.now()
    message = _append(locked, kind=SenderKind.PEER, body=text, now=moment, sender=acting_user, client_id=client_id)
    return message, True  # no audit event per message (see message_send)
