"""Safety concerns, service level: raising one (bad input writes nothing, the checklist copied as it
was, a follow-up next day at 10:00 in the organisation's time zone, alerts by email after commit to
the reporter's supervisors or else coordinators and admins, audit rows without content, encrypted
raw columns), the supervisor's record scope, ticking steps, outcomes, closing (never without an
outcome), follow-ups, the checklist editor, double clicks, and anonymisation."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts import services as account_services
from alongside.accounts.access import OrgContext
from alongside.accounts.selectors import roles_for
from alongside.audit.models import AuditEvent
from alongside.groups.models import Session
from alongside.people import rights
from alongside.safety import selectors, services
from alongside.safety.models import DEFAULT_STEPS, Escalation, EscalationAlert, FollowUp
from tests.groups.helpers import make_group
from tests.safety.helpers import SUMMARY, person, raise_concern, raw, staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def rows_since(mark: int) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("action", "object_type"))


def ctx(tenant: Any, role: str, user: Any = None) -> OrgContext:
    user = user or tenant.user(role)
    return OrgContext(tenant.organisation, user, frozenset(roles_for(user, tenant.organisation.pk)))


# --- Raising ---------------------------------------------------------------------------------------


def test_raising_copies_the_checklist_schedules_a_follow_up_and_alerts_the_supervisor_after_commit(
    harbor, django_capture_on_commit_callbacks
):
    robin = person(harbor, peer=harbor.user("peer"))
    mark = last_id()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        escalation = raise_concern(harbor, participant=robin, summary=f"  {SUMMARY}  ")
    assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()

    escalation.refresh_from_db()
    assert (escalation.summary, escalation.participant, escalation.raised_by, escalation.source) == (
        SUMMARY,
        robin,
        harbor.user("peer"),
        "other",
    )
    assert [s["text"] for s in escalation.checklist] == [str(s) for s in DEFAULT_STEPS]
    assert not any(s["done"] for s in escalation.checklist) and escalation.checklist_version == 0

    # Alerted: the peer's supervisor only (open supervision link), by email without the words.
    alerts = list(EscalationAlert.objects.filter(escalation=escalation))
    assert [(a.user, a.reason) for a in alerts] == [(harbor.user("supervisor"), "supervisor")]
    assert [m.to for m in mail.outbox] == [[harbor.user("supervisor").email]]
    body = mail.outbox[0].subject + mail.outbox[0].body
    assert "thinking about" not in body and "Robin" not in body
    assert f"/app/harbor/safety/{escalation.pk}/" in body

    # A follow-up, assigned to the reporter, due the next day at 10:00 in the organisation's zone.
    followup = FollowUp.objects.get(escalation=escalation)
    zone = ZoneInfo(harbor.organisation.timezone)
    local_due = timezone.localtime(followup.due_at, zone)
    today = timezone.localtime(escalation.raised_at, zone).date()
    assert (local_due.date() - today).days == 1 and (local_due.hour, local_due.minute) == (10, 0)
    assert followup.assigned_to == harbor.user("peer") and followup.done_at is None

    # Audit rows name objects only, never the words.
    assert rows_since(mark) == [
        ("escalation.raise", "safety.escalation"),
        ("escalation_followup.create", "safety.followup"),
        ("escalation.alert", "safety.escalationalert"),
    ]
    for event in AuditEvent.objects.filter(id__gt=mark):
        assert not any("thinking" in str(v) for v in vars(event).values())
        assert event.actor_id == harbor.user("peer").pk


def test_the_summary_and_notes_are_encrypted_in_the_raw_columns(harbor):
    escalation = raise_concern(harbor)
    services.escalation_record_outcome(
        acting_user=harbor.user("peer"), escalation=escalation, outcome="other", notes="Walked them to the clinic"
    )
    followup = FollowUp.objects.get(escalation=escalation)
    services.followup_done(acting_user=harbor.user("peer"), followup=followup, note="Called back, doing better")
    for table, column, pk, words in [
        ("safety_escalation", "summary", escalation.pk, "thinking"),
        ("safety_escalation", "outcome_notes", escalation.pk, "clinic"),
        ("safety_followup", "note", followup.pk, "better"),
    ]:
        stored = raw(table, column, pk)
        assert stored.startswith("gAAAA") and words not in stored


def test_without_a_supervisor_the_coordinators_and_admins_are_alerted_once_each(
    harbor, django_capture_on_commit_callbacks
):
    lone = staff(harbor, "lone", "peer")
    both = staff(harbor, "both", "coordinator")
    account_services.membership_grant(acting_user=None, organisation=harbor.organisation, user=both, role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        escalation = raise_concern(harbor, lone)
    told = {a.user: a.reason for a in escalation.alerts.all()}
    assert told == {harbor.user("coordinator"): "coordinator", harbor.user("admin"): "admin", both: "coordinator"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in told)


def test_an_admin_raising_one_is_not_alerted_about_their_own_concern(harbor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        escalation = raise_concern(harbor, harbor.user("admin"))
    assert {a.user for a in escalation.alerts.all()} == {harbor.user("coordinator")}


def test_an_ended_supervision_link_no_longer_counts(harbor, django_capture_on_commit_callbacks):
    from alongside.accounts.models import SupervisionLink

    SupervisionLink.objects.filter(organisation=harbor.organisation).update(ended_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        escalation = raise_concern(harbor)
    assert harbor.user("supervisor") not in {a.user for a in escalation.alerts.all()}
    assert harbor.user("coordinator") in {a.user for a in escalation.alerts.all()}


def test_a_group_session_concern_names_its_session(harbor):
    group = make_group(harbor)
    start = datetime(2026, 3, 3, 18, tzinfo=ZoneInfo(harbor.organisation.timezone))
    session = Session.objects.create(
        organisation=harbor.organisation, group=group, starts_at=start, ends_at=start.replace(hour=19)
    )
    escalation = raise_concern(harbor, source="group_session", group_session=session)
    assert escalation.group_session == session


BAD_INPUT = [
    ({"summary": ""}, "summary"),
    ({"summary": "   "}, "summary"),
    ({"summary": "x" * 4001}, "summary"),
    ({"summary": 12}, "summary"),
    ({"source": "gossip"}, "source"),
    ({"source": "group_session"}, "group_session"),
    ({"source": "contact"}, "contact"),
]


@pytest.mark.parametrize(("fields", "key"), BAD_INPUT)
def test_bad_input_is_refused_with_a_specific_message_and_nothing_written(harbor, fields, key):
    mark = last_id()
    fields = {"summary": SUMMARY, **fields}
    with pytest.raises(ValidationError) as caught:
        raise_concern(harbor, **fields)
    assert key in caught.value.message_dict
    assert not Escalation.objects.exists() and not FollowUp.objects.exists()
    assert last_id() == mark and mail.outbox == []


def test_objects_of_another_organisation_are_refused(harbor, riverbend):
    theirs = person(riverbend)
    group = make_group(riverbend)
    start = timezone.now()
    session = Session.objects.create(
        organisation=riverbend.organisation, group=group, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    for fields, key in [
        ({"participant": theirs}, "participant"),
        ({"source": "group_session", "group_session": session}, "group_session"),
    ]:
        with pytest.raises(ValidationError) as caught:
            raise_concern(harbor, **fields)
        assert key in caught.value.message_dict
    assert not Escalation.objects.exists()


@pytest.mark.parametrize("role", ["referrer", "funder"])
def test_only_staff_raise_concerns(harbor, role):
    with pytest.raises(ValidationError):
        raise_concern(harbor, harbor.user(role))
    assert not Escalation.objects.exists()


def test_a_double_click_raises_one_concern_and_alerts_once(harbor, django_capture_on_commit_callbacks):
    robin = person(harbor)
    with django_capture_on_commit_callbacks(execute=True):
        first = raise_concern(harbor, participant=robin)
        again = raise_concern(harbor, participant=robin)
        other_words = raise_concern(harbor, participant=robin, summary="Something different happened")
    assert first.pk == again.pk != other_words.pk
    assert Escalation.objects.count() == 2 and FollowUp.objects.count() == 2
    assert len(mail.outbox) == 2


# --- Who sees what ---------------------------------------------------------------------------------


def test_supervisors_see_their_teams_and_their_own_coordinators_and_admins_see_all(harbor):
    team = raise_concern(harbor, harbor.user("peer"), "team")
    other_peer = staff(harbor, "other", "peer")
    not_team = raise_concern(harbor, other_peer, "not the team")
    own = raise_concern(harbor, harbor.user("supervisor"), "own")
    by_coordinator = raise_concern(harbor, harbor.user("coordinator"), "coordinator's")

    def seen(c: OrgContext) -> set[Any]:
        return set(selectors.visible_escalations(c).values_list("pk", flat=True))

    everything = {team.pk, not_team.pk, own.pk, by_coordinator.pk}
    assert seen(ctx(harbor, "supervisor")) == {team.pk, own.pk}
    assert seen(ctx(harbor, "coordinator")) == everything
    assert seen(ctx(harbor, "admin")) == everything
    assert seen(ctx(harbor, "peer")) == {team.pk}
    assert seen(ctx(harbor, "peer", other_peer)) == {not_team.pk}
    assert seen(ctx(harbor, "funder")) == set()


def test_the_list_puts_open_first_and_marks_overdue_follow_ups(harbor):
    closed = raise_concern(harbor, summary="closed")
    services.escalation_record_outcome(acting_user=harbor.user("peer"), escalation=closed, outcome="declined")
    services.escalation_close(acting_user=harbor.user("supervisor"), escalation=closed)
    overdue = raise_concern(harbor, summary="overdue")
    FollowUp.objects.filter(escalation=overdue).update(due_at=timezone.now() - timedelta(hours=1))
    fresh = raise_concern(harbor, summary="fresh")
    page = selectors.escalations_page(ctx(harbor, "coordinator"))
    assert [(e.pk, e.overdue) for e in page.object_list] == [
        (overdue.pk, True),
        (fresh.pk, False),
        (closed.pk, False),
    ]


# --- Working through it ---------------------------------------------------------------------------


def test_ticking_a_step_records_who_and_when_once(harbor):
    escalation = raise_concern(harbor)
    peer = harbor.user("peer")
    mark = last_id()
    services.checklist_step_done(acting_user=peer, escalation=escalation, index=2)
    services.checklist_step_done(acting_user=peer, escalation=escalation, index="2")  # a double click
    escalation.refresh_from_db()
    step = escalation.checklist[2]
    assert step["done"] is True and step["by"] == str(peer.pk) and step["at"]
    assert rows_since(mark) == [("escalation.step_done", "safety.escalation")]
    services.checklist_step_done(acting_user=peer, escalation=escalation, index=2, done=False)
    escalation.refresh_from_db()
    assert escalation.checklist[2] == {"text": escalation.checklist[2]["text"], "done": False, "at": None, "by": None}


@pytest.mark.parametrize("index", [-1, 6, 99, "two", None, True])
def test_a_step_that_does_not_exist_is_refused(harbor, index):
    escalation = raise_concern(harbor)
    with pytest.raises(ValidationError):
        services.checklist_step_done(acting_user=harbor.user("peer"), escalation=escalation, index=index)


@pytest.mark.parametrize(
    ("outcome", "notes", "key"),
    [("", "", "outcome"), ("gone", "", "outcome"), ("other", "", "notes"), ("declined", "x" * 4001, "notes")],
)
def test_outcome_bad_input(harbor, outcome, notes, key):
    escalation = raise_concern(harbor)
    with pytest.raises(ValidationError) as caught:
        services.escalation_record_outcome(
            acting_user=harbor.user("peer"), escalation=escalation, outcome=outcome, notes=notes
        )
    assert key in caught.value.message_dict
    escalation.refresh_from_db()
    assert escalation.outcome == "" and escalation.outcome_at is None


def test_closing_needs_an_outcome_and_then_nothing_changes(harbor):
    escalation = raise_concern(harbor)
    supervisor = harbor.user("supervisor")
    with pytest.raises(ValidationError) as caught:
        services.escalation_close(acting_user=supervisor, escalation=escalation)
    assert "outcome" in caught.value.message_dict
    escalation.refresh_from_db()
    assert escalation.closed_at is None

    services.escalation_record_outcome(
        acting_user=harbor.user("peer"), escalation=escalation, outcome="warm_transfer_988"
    )
    mark = last_id()
    services.escalation_close(acting_user=supervisor, escalation=escalation)
    first_closed = Escalation.objects.get(pk=escalation.pk).closed_at
    services.escalation_close(acting_user=supervisor, escalation=escalation)  # a double click
    assert rows_since(mark) == [("escalation.close", "safety.escalation")]
    closed = Escalation.objects.get(pk=escalation.pk)
    assert closed.closed_at == first_closed and closed.closed_by == supervisor
    for action in (
        lambda: services.checklist_step_done(acting_user=supervisor, escalation=closed, index=0),
        lambda: services.escalation_record_outcome(acting_user=supervisor, escalation=closed, outcome="declined"),
    ):
        with pytest.raises(ValidationError):
            action()


def test_nothing_closes_by_itself(harbor):
    escalation = raise_concern(harbor)
    services.escalation_record_outcome(acting_user=harbor.user("peer"), escalation=escalation, outcome="declined")
    followup = FollowUp.objects.get(escalation=escalation)
    services.followup_done(acting_user=harbor.user("peer"), followup=followup)
    for i in range(len(escalation.checklist)):
        services.checklist_step_done(acting_user=harbor.user("peer"), escalation=escalation, index=i)
    escalation.refresh_from_db()
    assert escalation.closed_at is None


def test_a_follow_up_is_done_once(harbor):
    escalation = raise_concern(harbor)
    followup = FollowUp.objects.get(escalation=escalation)
    with pytest.raises(ValidationError):
        services.followup_done(acting_user=harbor.user("peer"), followup=followup, note="x" * 4001)
    mark = last_id()
    services.followup_done(acting_user=harbor.user("peer"), followup=followup, note="Doing better")
    services.followup_done(acting_user=harbor.user("peer"), followup=followup, note="again")
    followup.refresh_from_db()
    assert followup.note == "Doing better" and followup.done_by == harbor.user("peer")
    assert rows_since(mark) == [("escalation_followup.done", "safety.followup")]


# --- The checklist ---------------------------------------------------------------------------------


def test_a_new_checklist_version_applies_to_new_concerns_only(harbor):
    before = raise_concern(harbor, summary="before")
    admin = harbor.user("admin")
    saved = services.checklist_update(
        acting_user=admin, organisation=harbor.organisation, steps=["  Breathe  ", "", "Call the on-call lead"]
    )
    assert (saved.steps, saved.version) == (["Breathe", "Call the on-call lead"], 1)
    same = services.checklist_update(acting_user=admin, organisation=harbor.organisation, steps=saved.steps)
    assert same.version == 1
    after = raise_concern(harbor, summary="after")
    before.refresh_from_db()
    assert len(before.checklist) == 6 and before.checklist_version == 0
    assert [s["text"] for s in after.checklist] == ["Breathe", "Call the on-call lead"]
    assert after.checklist_version == 1
    services.checklist_update(acting_user=admin, organisation=harbor.organisation, steps=["Only this"])
    after.refresh_from_db()
    assert len(after.checklist) == 2


@pytest.mark.parametrize("steps", [[], ["", "  "], ["x" * 301], [f"step {i}" for i in range(21)], "one", [1]])
def test_checklist_bad_input(harbor, steps):
    with pytest.raises(ValidationError) as caught:
        services.checklist_update(acting_user=harbor.user("admin"), organisation=harbor.organisation, steps=steps)
    assert "steps" in caught.value.message_dict


def test_only_admins_change_the_checklist(harbor):
    with pytest.raises(ValidationError):
        services.checklist_update(
            acting_user=harbor.user("coordinator"), organisation=harbor.organisation, steps=["Mine"]
        )


# --- Rights ----------------------------------------------------------------------------------------


def test_anonymising_the_person_clears_the_words_but_keeps_the_record(harbor):
    robin = person(harbor)
    escalation = raise_concern(harbor, participant=robin)
    services.escalation_record_outcome(
        acting_user=harbor.user("peer"), escalation=escalation, outcome="other", notes="Went with them"
    )
    now = timezone.now()
    for handler in rights.ANONYMISE_HANDLERS:
        if handler.__module__ == services.__name__:
            handler(robin, harbor.user("admin"), now)
    escalation.refresh_from_db()
    assert (escalation.summary, escalation.outcome_notes, escalation.outcome) == ("", "", "other")
    assert escalation.cleared_at == now
    assert AuditEvent.objects.filter(action="escalation.cleared", object_id=str(escalation.pk)).exists()


def test_a_failed_alert_email_is_logged_without_the_address_and_the_others_still_go(
    harbor, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    lone = staff(harbor, "lone", "peer")  # no supervisor: the coordinator and the admin are told
    real_send = EmailMessage.send
    refused = harbor.user("admin").email

    def send(self: Any, fail_silently: bool = False) -> int:
        if self.to == [refused]:
            raise OSError(f"refused: {refused}")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", send)
    with caplog.at_level(logging.ERROR, logger="alongside.safety"), django_capture_on_commit_callbacks(execute=True):
        escalation = raise_concern(harbor, lone)
    assert [m.to for m in mail.outbox] == [[harbor.user("coordinator").email]]
    assert "safety alert not sent" in caplog.text and "OSError" in caplog.text and str(escalation.pk) in caplog.text
    assert refused not in caplog.text and "thinking" not in caplog.text
    # Both are recorded as told: the alert stands, the email is what failed (and is logged).
    assert escalation.alerts.count() == 2


def test_merging_two_records_moves_the_concerns_to_the_kept_one(harbor):
    from alongside.people import services as people_services

    keep, duplicate = person(harbor, "Robin"), person(harbor, "Robin B")
    escalation = raise_concern(harbor, participant=duplicate)
    people_services.participant_merge(acting_user=harbor.user("coordinator"), keep=keep, duplicate=duplicate)
    escalation.refresh_from_db()
    assert escalation.participant == keep


def test_the_alert_gives_the_time_in_the_organisations_time_zone(harbor, django_capture_on_commit_callbacks):
    harbor.organisation.timezone = "America/Los_Angeles"
    harbor.organisation.save(update_fields=["timezone"])
    with django_capture_on_commit_callbacks(execute=True):
        escalation = raise_concern(harbor)
    local = timezone.localtime(escalation.raised_at, ZoneInfo("America/Los_Angeles"))
    assert local.strftime("%H:%M") in mail.outbox[0].body
    assert timezone.localtime(escalation.raised_at, ZoneInfo("UTC")).strftime("%H:%M") not in mail.outbox[0].body
