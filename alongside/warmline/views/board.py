"""The supervisor board (docs/warmline.md, "Supervisor board"): who is on shift and their status,
the queue per line, the chats in progress, open warm-line safety concerns, the supervisor on duty.

No content on the board: no aliases, first lines or messages. A supervisor reads a conversation
only after joining it (``chat.chat_join``, audited, announced in the transcript). The page works
without script (a refresh link); ``static/alongside/js/board.js`` listens on the board socket
(``consumers.BoardConsumer``) and fetches ``board/fragment/`` again when something changes.
The board costs the same number of queries whatever the number of lines, people and chats.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from alongside.accounts.access import OrgContext, org_view, parse_uuid_or_404
from alongside.accounts.models import User
from alongside.people.views.self_service import no_store
from alongside.safety.models import Escalation, Source
from alongside.safety.selectors import visible_escalations
from alongside.warmline import chat
from alongside.warmline.models import (
    AssignmentState,
    Conversation,
    ConversationState,
    DutyStatus,
    Line,
    OnShiftStatus,
    Shift,
    ShiftAssignment,
)

ESCALATIONS_SHOWN = 50
WARM_LINE_SOURCES = (Source.CHAT, Source.CALL)


# --- The board's reads ---------------------------------------------------------------------------


@dataclass
class OnShift:
    user: User
    status: str
    status_label: Any
    chats: int
    supervisor: bool


@dataclass
class LineBoard:
    line: Line
    people: list[OnShift] = field(default_factory=list)
    supervisors: list[User] = field(default_factory=list)
    queue: list[Conversation] = field(default_factory=list)
    longest_wait: timedelta | None = None


@dataclass
class Board:
    lines: list[LineBoard]
    active: list[Conversation]
    flagged: list[Conversation]
    escalations: list[Escalation]
    chat_of_escalation: dict[Any, Any]
    now: datetime


def _minutes(delta: timedelta | None) -> int | None:
    return None if delta is None else max(0, int(delta.total_seconds() // 60))


def board_state(org: OrgContext, *, line_id: Any = None, now: datetime | None = None) -> Board:
    """Everything the board shows, in at most eight queries however many lines, people and chats."""
    moment = now or timezone.now()
    organisation = org.organisation
    lines_qs = Line.objects.filter(organisation=organisation, is_active=True).order_by("name", "pk")
    if line_id is not None:
        lines_qs = lines_qs.filter(pk=line_id)
    boards = {line.pk: LineBoard(line) for line in lines_qs}
    line_ids = list(boards)

    running = list(
        Shift.objects.filter(
            organisation=organisation, line__in=line_ids, cancelled=False, starts_at__lte=moment, ends_at__gt=moment
        )
        .select_related("supervisor")
        .order_by("starts_at", "pk")
    )
    shift_line = {s.pk: s.line_id for s in running}
    assignments: list[ShiftAssignment] = []
    statuses: dict[tuple[Any, Any], str] = {}
    if running:
        assignments = list(
            ShiftAssignment.objects.filter(
                organisation=organisation,
                shift__in=list(shift_line),
                state=AssignmentState.ACTIVE,
                user__is_active=True,
            )
            .select_related("user")
            .order_by("created_at", "pk")
        )
        statuses = {
            (row.user_id, row.shift_id): row.status
            for row in OnShiftStatus.objects.filter(organisation=organisation, shift__in=list(shift_line))
        }

    active = list(
        Conversation.objects.filter(organisation=organisation, state=ConversationState.ACTIVE, line__in=line_ids)
        .select_related("line", "peer")
        .order_by("claimed_at", "pk")
    )
    holding: dict[Any, int] = {}
    for conversation in active:
        holding[conversation.peer_id] = holding.get(conversation.peer_id, 0) + 1

    def add(line_id: Any, user: User, shift_id: Any, supervisor: bool) -> None:
        board = boards[line_id]
        if any(p.user.pk == user.pk for p in board.people):
            return
        status = statuses.get((user.pk, shift_id), DutyStatus.AVAILABLE)
        board.people.append(OnShift(user, status, DutyStatus(status).label, holding.get(user.pk, 0), supervisor))

    for assignment in assignments:
        add(shift_line[assignment.shift_id], assignment.user, assignment.shift_id, False)
    for shift in running:
        if shift.supervisor is not None and shift.supervisor.is_active:
            add(shift.line_id, shift.supervisor, shift.pk, True)
            if shift.supervisor not in boards[shift.line_id].supervisors:
                boards[shift.line_id].supervisors.append(shift.supervisor)

    for conversation in chat.queue(line_ids, organisation):  # flagged first, then first come
        board = boards[conversation.line_id]
        board.queue.append(conversation)
        wait = moment - conversation.queued_at
        if board.longest_wait is None or wait > board.longest_wait:
            board.longest_wait = wait

    # Urgent first, then check-ins: the tier screening gave (or a peer raised) is on the board.
    waiting = [c for b in boards.values() for c in b.queue]
    flagged = [c for c in [*active, *waiting] if c.flagged_at is not None]
    flagged += [c for c in [*active, *waiting] if c.flagged_at is None and c.checkin_at is not None]

    escalations = list(
        visible_escalations(org)
        .filter(source__in=WARM_LINE_SOURCES, closed_at__isnull=True)
        .select_related("raised_by")
        .order_by("-raised_at")[:ESCALATIONS_SHOWN]
    )
    chat_of_escalation: dict[Any, Any] = {}
    if escalations:
        chat_of_escalation = dict(
            Conversation.objects.filter(
                organisation=organisation, escalation__in=[e.pk for e in escalations]
            ).values_list("escalation_id", "pk")
        )
    for escalation in escalations:
        escalation.chat_id = chat_of_escalation.get(escalation.pk)  # type: ignore[attr-defined]
    return Board(list(boards.values()), active, flagged, escalations, chat_of_escalation, moment)


def _line_filter(request: HttpRequest) -> Any:
    value = request.GET.get("line") or ""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404 from None


def _context(request: HttpRequest, org: OrgContext) -> dict[str, Any]:
    line_id = _line_filter(request)
    board = board_state(org, line_id=line_id)
    for line_board in board.lines:
        line_board.longest_wait_minutes = _minutes(line_board.longest_wait)  # type: ignore[attr-defined]
    all_lines = list(
        Line.objects.filter(organisation=org.organisation, is_active=True)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    return {"org": org, "board": board, "all_lines": all_lines, "line_id": line_id}


# --- Pages ---------------------------------------------------------------------------------------


@org_view("warmline.supervise")
@no_store
@require_GET
def board(request: HttpRequest, org: OrgContext) -> HttpResponse:
    return render(request, "warmline/board/board.html", _context(request, org))


@org_view("warmline.supervise")
@no_store
@require_GET
def board_fragment(request: HttpRequest, org: OrgContext) -> HttpResponse:
    """The board's inner HTML, for board.js to put in place when something changed."""
    return render(request, "warmline/board/_board.html", _context(request, org))


def _access(org: OrgContext, conversation_id: Any) -> Conversation:
    conversation = (
        Conversation.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(conversation_id))
        .select_related("line", "peer", "escalation", "organisation")
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def _conversation_url(org: OrgContext, conversation: Conversation) -> str:
    return reverse("warmline:board_conversation", args=[org.organisation.slug, conversation.pk])


@org_view("warmline.supervise")
@no_store
@require_GET
def board_conversation(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    """One conversation seen from the board: who, where, since when; the transcript only once the
    supervisor joined it."""
    conversation = _access(org, conversation_id)
    joined = chat.supervisor_joined(conversation, org.user)
    context = {
        "org": org,
        "conversation": conversation,
        "joined": joined,
        "can_join": conversation.state == ConversationState.ACTIVE and not joined,
        "can_write": joined and conversation.state == ConversationState.ACTIVE,
        "transcript": chat.messages_after(conversation, 0) if joined else [],
        "mark_url": reverse("warmline:screening_mark_create", args=[org.organisation.slug]),
        "client_id": uuid.uuid4().hex,
    }
    return render(request, "warmline/board/conversation.html", context)


@org_view("warmline.supervise")
@require_POST
def board_join(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    conversation = _access(org, conversation_id)
    try:
        chat.chat_join(acting_user=org.user, conversation=conversation)
    except ValidationError as exc:
        flash.error(request, " ".join(str(m) for m in exc.messages))
    return redirect(_conversation_url(org, conversation))


@org_view("warmline.supervise")
@require_POST
def board_send(request: HttpRequest, org: OrgContext, conversation_id: Any) -> HttpResponse:
    conversation = _access(org, conversation_id)
    try:
        chat.chat_supervisor_send(
            acting_user=org.user,
            conversation=conversation,
            client_id=request.POST.get("client_id"),
            body=request.POST.get("body"),
        )
    except ValidationError as exc:
        flash.error(request, " ".join(str(m) for m in exc.messages))
    return redirect(_conversation_url(org, conversation))
