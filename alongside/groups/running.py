"""Running a session (docs/groups.md, "Running a session" and "Feedback").

The facilitator's roster saves in one POST: who of the registered people came, the drop-in
headcount, the topics and optional notes (P3, encrypted; every read is audited). Saving again
replaces what was saved (idempotent, re-editable). Anonymous feedback comes through a signed link
to the session (valid until 7 days after it ends); nothing ties it to a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.models import Organisation, User
from alongside.audit.services import record
from alongside.groups import services
from alongside.groups.models import (
    Attendance,
    Group,
    Registration,
    RegistrationStatus,
    Session,
    SessionFeedback,
    SessionStatus,
)
from alongside.groups.vocab import Topic
from alongside.safety.services import escalation_raise

FEEDBACK_SALT = "alongside.groups.feedback"
FEEDBACK_VALID_AFTER_SESSION = timedelta(days=7)
NOTES_MAX = 4000


# --- Which session -------------------------------------------------------------------------------


def session_for(*, group: Group, key: str) -> Session:
    """The session row of an occurrence key (``groups.services.session_for``, which makes the row
    the first time), or ``Session.DoesNotExist`` for a key that names none of the group's sessions."""
    try:
        return services.session_for(group=group, key=key)
    except ValidationError as exc:
        raise Session.DoesNotExist from exc


# --- The roster ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    registration: Registration
    present: bool


def roster(session: Session) -> list[RosterRow]:
    """Registered people (and anyone marked present before, even if they cancelled since), by
    first name: two queries."""
    marked = {
        a.registration_id: a.present
        for a in Attendance.objects.filter(organisation=session.organisation_id, session=session)
    }
    people = Registration.objects.filter(organisation=session.organisation_id, group=session.group_id).filter(
        Q(status=RegistrationStatus.REGISTERED) | Q(pk__in=list(marked))
    )
    rows = [RosterRow(r, bool(marked.get(r.pk, False))) for r in people]
    rows.sort(key=lambda row: (row.registration.first_name.casefold(), str(row.registration.pk)))
    return rows


@transaction.atomic
def attendance_save(
    *,
    acting_user: User,
    session: Session,
    present_ids: Iterable[str],
    dropin_headcount: int | None,
    topics: Iterable[str],
    notes: str,
) -> Session:
    """Save the whole roster at once: the same POST twice leaves the same rows."""
    current = Session.objects.select_for_update().get(pk=session.pk, organisation=session.organisation_id)
    if current.status == SessionStatus.CANCELLED:
        raise ValidationError(_("This session was cancelled, so there is no attendance to take."))
    if current.starts_at > timezone.now() + timedelta(hours=1):
        raise ValidationError(_("Attendance can be taken from an hour before the session starts."))
    errors: dict[str, str] = {}
    if dropin_headcount is not None and not 0 <= dropin_headcount <= 1000:
        errors["dropin_headcount"] = _("Enter a number from 0 to 1000.")
    topic_list = sorted(set(topics))
    if any(t not in Topic.values for t in topic_list):
        errors["topics"] = _("Choose topics from the list.")
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        errors["notes"] = _("Use at most %(max)d characters.") % {"max": NOTES_MAX}
    eligible = {str(row.registration.pk): row.registration for row in roster(current)}
    chosen = {str(value) for value in present_ids}
    if chosen - set(eligible):
        errors["present"] = _("Choose people from the list.")
    if errors:
        raise ValidationError(errors)
    existing = {
        str(a.registration_id): a
        for a in Attendance.objects.filter(organisation=current.organisation_id, session=current)
    }
    for reg_id, registration in eligible.items():
        present = reg_id in chosen
        row = existing.get(reg_id)
        if row is None:
            if present:
                Attendance.objects.create(
                    organisation=current.organisation,
                    session=current,
                    registration=registration,
                    participant=registration.participant,
                    present=True,
                    marked_by=acting_user,
                )
        elif row.present != present:
            row.present = present
            row.marked_by = acting_user
            row.save(update_fields=["present", "marked_by", "updated_at"])
    current.dropin_headcount = dropin_headcount
    current.topics_discussed = topic_list
    current.notes = notes
    current.attendance_taken_at = timezone.now()
    current.attendance_taken_by = acting_user
    current.save(
        update_fields=[
            "dropin_headcount",
            "topics_discussed",
            "notes",
            "attendance_taken_at",
            "attendance_taken_by",
            "updated_at",
        ]
    )
    record(acting_user, "session.attendance_save", current)
    return current


def session_notes_viewed(*, acting_user: User, session: Session) -> None:
    """The session's notes (P3) were shown to this person."""
    record(acting_user, "session.notes_view", session)


# --- Safety concerns (the safety app's escalation protocol) ---------------------------------------


def raise_safety_concern(*, acting_user: User, session: Session, summary: str) -> Any:
    """Start the escalation protocol (DOMAIN.md §6) for something that happened in a session.
    The safety app checks the text and who may raise it."""
    return escalation_raise(
        acting_user=acting_user,
        organisation=session.organisation,
        source="group_session",
        summary=summary,
        group_session=session,
    )


# --- Feedback ------------------------------------------------------------------------------------


def feedback_token(session: Session) -> str:
    return signing.dumps({"o": str(session.organisation_id), "s": str(session.pk)}, salt=FEEDBACK_SALT)


def feedback_token_read(token: str) -> tuple[str, str] | None:
    """(organisation id, session id) from a feedback token, or None for a forged one."""
    try:
        data = signing.loads(token, salt=FEEDBACK_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("o"), str) or not isinstance(data.get("s"), str):
        return None
    return data["o"], data["s"]


def feedback_session(organisation: Organisation, session_id: str, *, now: datetime | None = None) -> Session | None:
    """The session the link names, while it takes feedback: from its start until 7 days after it
    ends, not cancelled (inside the organisation's tenant scope)."""
    try:
        pk = UUID(session_id)
    except ValueError:
        return None
    session = Session.objects.filter(organisation=organisation, pk=pk).select_related("group").first()
    moment = now or timezone.now()
    if session is None or session.status == SessionStatus.CANCELLED:
        return None
    if not (session.starts_at - timedelta(hours=1) <= moment <= session.ends_at + FEEDBACK_VALID_AFTER_SESSION):
        return None
    return session


@transaction.atomic
def feedback_submit(*, session: Session, rating: int, felt_safe: bool | None, comment: str) -> SessionFeedback:
    """Anonymous: no actor, no address, no link to a registration."""
    errors: dict[str, str] = {}
    if not 1 <= int(rating) <= 5:
        errors["rating"] = _("Choose from 1 to 5.")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        errors["comment"] = _("Use at most 1000 characters.")
    if errors:
        raise ValidationError(errors)
    from alongside.warmline import screening

    verdict = screening.screen_door(comment, organisation=session.organisation, door="session feedback")
    tier, concepts = verdict.tier, list(verdict.concepts)
    feedback = SessionFeedback.objects.create(
        organisation=session.organisation,
        session=session,
        rating=int(rating),
        felt_safe=felt_safe,
        comment=comment,
        screening_tier=tier,
        screening_concepts=concepts,
    )
    record(None, "session_feedback.create", feedback, object_type="groups.session", object_id=session.pk)
    return feedback


@dataclass(frozen=True)
class SessionFeedbackSummary:
    session: Session
    responses: int
    average: float | None
    felt_safe_yes: int
    felt_safe_no: int
    comments: list[dict[str, Any]]  # {"text", "tier", "concepts"}


def feedback_summary(*, acting_user: User, group: Group, limit: int = 20) -> list[SessionFeedbackSummary]:
    """Per session (newest first): responses, average rating, safe/unsafe counts, comments. Reading
    comments (P3) is audited: one row per session with comments shown. Three queries."""
    sessions = list(
        Session.objects.filter(organisation=group.organisation_id, group=group)
        .annotate(
            n=Count("feedback"),
            avg=Avg("feedback__rating"),
            yes=Count("feedback", filter=Q(feedback__felt_safe=True)),
            no=Count("feedback", filter=Q(feedback__felt_safe=False)),
        )
        .filter(n__gt=0)
        .order_by("-starts_at")[:limit]
    )
    comments: dict[Any, list[dict[str, Any]]] = {}
    for fb in SessionFeedback.objects.filter(organisation=group.organisation_id, session__in=sessions).order_by(
        "created_at"
    ):
        if fb.comment:
            comments.setdefault(fb.session_id, []).append(
                {"text": fb.comment, "tier": fb.screening_tier, "concepts": fb.screening_concepts}
            )
    result = []
    for s in sessions:
        if comments.get(s.pk):
            record(acting_user, "session_feedback.view", s)
        result.append(
            SessionFeedbackSummary(
                s,
                s.n,
                round(float(s.avg), 1) if s.avg is not None else None,
                s.yes,
                s.no,
                comments.get(s.pk, []),
            )
        )
    return result
