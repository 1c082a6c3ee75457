"""``alongside retention run``: each organisation's retention periods, applied to contact notes and to
closed records, at both thresholds, in batches, with a dry run, and idempotent."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from alongside.accounts.models import Organisation
from alongside.api.models import IDEMPOTENCY_KEY_TTL, IdempotencyKey
from alongside.audit.models import AuditEvent
from alongside.people import rights, services
from alongside.people.models import ContactRecord, Participant
from alongside.warmline import contacts as warmline_contacts
from alongside.warmline.models import Conversation, ConversationState, Line, LineContact, Message

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-06-01T03:00:00+00:00")
NOTES_DAYS = 30
RECORDS_DAYS = 60
JUST_UNDER = timedelta(seconds=1)


def run(*args: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command("retention", "run", "--now", NOW.isoformat(), *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def shorten_retention(tenant: Any) -> None:
    Organisation.objects.filter(pk=tenant.organisation.pk).update(
        retention_notes_days=NOTES_DAYS, retention_closed_records_days=RECORDS_DAYS
    )
    tenant.organisation.refresh_from_db()


def contact_at(tenant: Any, participant: Participant | None, when: datetime, notes: str) -> ContactRecord:
    with time_machine.travel(when + timedelta(minutes=1), tick=False):
        return services.contact_record_create(
            acting_user=tenant.user("peer"),
            participant=participant,
            organisation=tenant.organisation,
            service_model="mentorship",
            occurred_at=when,
            duration_minutes=20,
            mode="phone",
            notes=notes,
        )


def person_closed_at(tenant: Any, name: str, when: datetime) -> Participant:
    with time_machine.travel(when, tick=False):
        person = services.participant_create(
            acting_user=tenant.user("coordinator"), organisation=tenant.organisation, preferred_name=name
        )
        services.participant_set_status(
            acting_user=tenant.user("coordinator"), participant=person, status="closed", closed_reason="moved_on"
        )
    return person


@pytest.fixture
def world(harbor: Any, riverbend: Any) -> dict[str, Any]:
    with scopes_disabled():
        for tenant in (harbor, riverbend):
            shorten_retention(tenant)
        sam = services.participant_create(
            acting_user=harbor.user("coordinator"), organisation=harbor.organisation, preferred_name="Sam"
        )
        return {
            "old_note": contact_at(harbor, sam, NOW - timedelta(days=NOTES_DAYS), "old words"),
            "young_note": contact_at(harbor, sam, NOW - timedelta(days=NOTES_DAYS) + JUST_UNDER, "recent words"),
            "anonymous_call": contact_at(harbor, None, NOW - timedelta(days=400), "a caller's words"),
            "due": person_closed_at(harbor, "Due Person", NOW - timedelta(days=RECORDS_DAYS)),
            "not_due": person_closed_at(harbor, "Not Due", NOW - timedelta(days=RECORDS_DAYS) + JUST_UNDER),
            "open": sam,
            "river_note": contact_at(riverbend, None, NOW - timedelta(days=NOTES_DAYS + 5), "river words"),
            "river_due": person_closed_at(riverbend, "River Person", NOW - timedelta(days=RECORDS_DAYS + 1)),
        }


def reload(obj: Any) -> Any:
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def test_run_applies_each_organisations_periods_at_the_thresholds(world: dict[str, Any], harbor: Any) -> None:
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    lines = run()
    # The warm-line keys (transcripts, callers' aliases and other-resources text) are 0: no warm-line
    # data here (see the warm-line tests at the end).
    assert lines == [
        {
            "organisation": "harbor",
            "notes_cleared": 2,
            "records_anonymised": 1,
            "transcripts_cleared": 0,
            "warmline_texts_cleared": 0,
            "dry_run": False,
        },
        {
            "organisation": "riverbend",
            "notes_cleared": 1,
            "records_anonymised": 1,
            "transcripts_cleared": 0,
            "warmline_texts_cleared": 0,
            "dry_run": False,
        },
        {
            "total": {
                "notes_cleared": 3,
                "records_anonymised": 2,
                "transcripts_cleared": 0,
                "warmline_texts_cleared": 0,
                "idempotency_keys_deleted": 0,
            },
            "dry_run": False,
            "now": NOW.isoformat(),
        },
    ]
    old, young, call = reload(world["old_note"]), reload(world["young_note"]), reload(world["anonymous_call"])
    assert (old.notes, old.notes_cleared_at) == ("", NOW)
    assert (young.notes, young.notes_cleared_at) == ("recent words", None)
    assert (call.notes, call.notes_cleared_at) == ("", NOW)
    assert old.duration_minutes == 20 and reload(world["open"]).preferred_name == "Sam"
    due, not_due = reload(world["due"]), reload(world["not_due"])
    assert (due.preferred_name, due.anonymised_at) == (rights.ANONYMISED_NAME, NOW)
    assert (not_due.preferred_name, not_due.anonymised_at) == ("Not Due", None)

    events = AuditEvent.objects.filter(id__gt=before).order_by("id")
    assert [(e.action, e.actor_id, e.actor_role, e.object_type, e.object_id, e.organisation_id) for e in events] == [
        ("retention.notes_cleared", None, "system", "people.contactrecord", "", harbor.organisation.pk),
        ("participant.anonymise", None, "system", "people.participant", str(due.pk), harbor.organisation.pk),
        (
            "retention.notes_cleared",
            None,
            "system",
            "people.contactrecord",
            "",
            world["river_due"].organisation_id,
        ),
        (
            "participant.anonymise",
            None,
            "system",
            "people.participant",
            str(world["river_due"].pk),
            world["river_due"].organisation_id,
        ),
    ]

    # A second run finds nothing to do and writes nothing.
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    again = run()
    assert [(line.get("notes_cleared"), line.get("records_anonymised")) for line in again[:2]] == [(0, 0), (0, 0)]
    assert again[2]["total"] == {
        "notes_cleared": 0,
        "records_anonymised": 0,
        "transcripts_cleared": 0,
        "warmline_texts_cleared": 0,
        "idempotency_keys_deleted": 0,
    }
    assert AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() == last


def test_dry_run_counts_and_writes_nothing(world: dict[str, Any]) -> None:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    lines = run("--dry-run")
    assert lines[0] == {
        "organisation": "harbor",
        "notes_cleared": 2,
        "records_anonymised": 1,
        "transcripts_cleared": 0,
        "warmline_texts_cleared": 0,
        "dry_run": True,
    }
    assert lines[2]["total"]["records_anonymised"] == 2 and lines[2]["dry_run"] is True
    assert reload(world["old_note"]).notes == "old words"
    assert reload(world["due"]).anonymised_at is None
    assert AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() == last


def test_one_organisation_only(world: dict[str, Any]) -> None:
    lines = run("--org", "riverbend")
    assert [line.get("organisation") for line in lines[:-1]] == ["riverbend"]
    assert "idempotency_keys_deleted" not in lines[-1]["total"]
    assert reload(world["old_note"]).notes == "old words"
    assert reload(world["river_due"]).anonymised_at == NOW


def test_inactive_organisations_are_left_alone(world: dict[str, Any], riverbend: Any) -> None:
    Organisation.objects.filter(pk=riverbend.organisation.pk).update(is_active=False)
    lines = run()
    assert [line.get("organisation") for line in lines[:-1]] == ["harbor"]
    assert reload(world["river_due"]).anonymised_at is None


def test_erasure_requests_are_anonymised_when_their_period_ends(harbor: Any) -> None:
    with scopes_disabled():
        shorten_retention(harbor)
        with time_machine.travel(NOW - timedelta(days=RECORDS_DAYS), tick=False):
            person = services.participant_create(
                acting_user=harbor.user("coordinator"), organisation=harbor.organisation, preferred_name="Asked"
            )
            outcome = rights.participant_erasure_request(acting_user=harbor.user("admin"), participant=person)
    assert outcome.anonymise_on == NOW
    assert run()[0]["records_anonymised"] == 1
    assert reload(person).preferred_name == rights.ANONYMISED_NAME


def test_notes_are_cleared_in_batches(harbor: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(rights, "RETENTION_BATCH", 7)
    with scopes_disabled():
        shorten_retention(harbor)
        peer = harbor.user("peer")
        ContactRecord.objects.bulk_create(
            ContactRecord(
                organisation=harbor.organisation,
                service_model="warmline",
                occurred_at=NOW - timedelta(days=NOTES_DAYS + i),
                duration_minutes=5,
                mode="phone",
                peer=peer,
                notes=f"words {i}",
            )
            for i in range(25)
        )
    with CaptureQueriesContext(connection) as queries:
        lines = run("--org", "harbor")
    assert lines[0]["notes_cleared"] == 25
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "people_contactrecord"')]
    assert len(updates) == 4  # 7 + 7 + 7 + 4: one bounded UPDATE per batch, never one per row
    with scopes_disabled():
        assert set(ContactRecord.objects.values_list("notes", flat=True)) == {""}
    assert run("--org", "harbor")[0]["notes_cleared"] == 0


def test_expired_idempotency_keys_are_removed(harbor: Any) -> None:
    user = harbor.user("admin")
    old = IdempotencyKey.objects.create(
        user=user, key="old", method="POST", path="/x", request_hash="0" * 64, created_at=NOW - IDEMPOTENCY_KEY_TTL
    )
    fresh = IdempotencyKey.objects.create(
        user=user, key="new", method="POST", path="/x", request_hash="0" * 64, created_at=NOW - timedelta(hours=1)
    )
    assert run("--dry-run")[-1]["total"]["idempotency_keys_deleted"] == 1
    assert run()[-1]["total"]["idempotency_keys_deleted"] == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotencyKey.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nowhere"], "No active organisation has the slug 'nowhere'"),
        (["--now", "yesterday"], "--now must be an ISO 8601 date and time"),
    ],
)
def test_bad_input_is_refused_with_nothing_written(harbor: Any, args: list[str], message: str) -> None:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    with pytest.raises(CommandError, match=message):
        call_command("retention", "run", *args, stdout=io.StringIO())
    assert AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() == last


def test_without_now_it_uses_the_current_time(harbor: Any) -> None:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("retention", "run", "--dry-run", stdout=out)
    assert json.loads(out.getvalue().splitlines()[-1])["now"] == NOW.isoformat()


# --- Warm lines: chat transcripts and the caller's alias and other-resources text ----------------------


def warmline_world(harbor: Any) -> dict[str, Any]:
    """A closed chat past its transcript retention, one still kept, and two warm-line call records:
    one past the notes period (alias and other-resources text set), one within it."""
    with scopes_disabled():
        shorten_retention(harbor)
        line = Line.objects.create(organisation=harbor.organisation, name="Evening Line", slug="evening")

        def conversation(purge_after: datetime, token: str) -> Conversation:
            kept = Conversation.objects.create(
                organisation=harbor.organisation,
                line=line,
                state=ConversationState.CLOSED,
                visitor_alias="Robin",
                first_line="a hard week",
                feedback_comment="thank you",
                terms_accepted_at=purge_after - timedelta(days=100),
                visitor_token_hash=token * 64,
                queued_at=purge_after - timedelta(days=100),
                closed_at=purge_after - timedelta(days=90),
                purge_after=purge_after,
                last_seq=1,
            )
            Message.objects.create(
                organisation=harbor.organisation,
                conversation=kept,
                seq=1,
                sender_kind="visitor",
                client_id="v1",
                body="private words",
                created_at=kept.queued_at,
            )
            return kept

        def call(at: datetime) -> LineContact:
            made = warmline_contacts.contact_start(
                acting_user=harbor.user("peer"), line=line, channel="call", caller_alias="Sunny", at=at
            )
            LineContact.objects.filter(pk=made.pk).update(resources_other="the food bank on Main St")
            ContactRecord.objects.filter(pk=made.contact_id).update(notes="what they said")
            return made

        return {
            "due_chat": conversation(NOW, "a"),
            "kept_chat": conversation(NOW + JUST_UNDER, "b"),
            "old_call": call(NOW - timedelta(days=NOTES_DAYS)),
            "young_call": call(NOW - timedelta(days=NOTES_DAYS) + JUST_UNDER),
        }


def test_warmline_transcripts_and_texts_are_cleared_with_the_notes(harbor: Any) -> None:
    made = warmline_world(harbor)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    dry = run("--org", "harbor", "--dry-run")[0]
    assert (dry["transcripts_cleared"], dry["warmline_texts_cleared"], dry["notes_cleared"]) == (1, 1, 1)
    assert AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() == before

    lines = run("--org", "harbor")
    assert lines[0] == {
        "organisation": "harbor",
        "notes_cleared": 1,
        "records_anonymised": 0,
        "transcripts_cleared": 1,
        "warmline_texts_cleared": 1,
        "dry_run": False,
    }
    assert lines[1]["total"]["transcripts_cleared"] == 1 and lines[1]["total"]["warmline_texts_cleared"] == 1
    due, kept = reload(made["due_chat"]), reload(made["kept_chat"])
    assert (due.visitor_alias, due.first_line, due.feedback_comment, due.transcript_purged_at) == ("", "", "", NOW)
    assert (kept.visitor_alias, kept.transcript_purged_at) == ("Robin", None)
    old, young = reload(made["old_call"]), reload(made["young_call"])
    assert (old.caller_alias, old.alias_key, old.resources_other) == ("", "", "")
    assert old.channel == "call" and old.started_at == NOW - timedelta(days=NOTES_DAYS)  # the facts stay
    assert (young.caller_alias, young.resources_other) == ("Sunny", "the food bank on Main St")
    assert young.alias_key != ""
    with scopes_disabled():
        assert not Message.objects.filter(conversation=due).exists()
        assert Message.objects.filter(conversation=kept).exists()
        assert reload(old.contact).notes == "" and reload(young.contact).notes == "what they said"
    events = AuditEvent.objects.filter(id__gt=before).order_by("id")
    assert [(e.action, e.actor_id, e.object_type, e.object_id, e.organisation_id) for e in events] == [
        ("retention.warmline_texts_cleared", None, "warmline.linecontact", "", harbor.organisation.pk),
        ("retention.notes_cleared", None, "people.contactrecord", "", harbor.organisation.pk),
        ("retention.transcripts_cleared", None, "warmline.conversation", "", harbor.organisation.pk),
    ]

    # A second run finds nothing left and writes nothing.
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    again = run("--org", "harbor")[0]
    assert (again["transcripts_cleared"], again["warmline_texts_cleared"], again["notes_cleared"]) == (0, 0, 0)
    assert AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() == last


def test_warmline_texts_are_cleared_in_batches(harbor: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(warmline_contacts, "TEXTS_BATCH", 1)
    made = warmline_world(harbor)
    with scopes_disabled():
        extra = warmline_contacts.contact_start(
            acting_user=harbor.user("peer"),
            line=made["old_call"].line,
            channel="call",
            caller_alias="Another",
            at=NOW - timedelta(days=NOTES_DAYS + 3),
        )
    assert run("--org", "harbor")[0]["warmline_texts_cleared"] == 2
    assert reload(extra).caller_alias == "" and reload(made["young_call"]).caller_alias == "Sunny"
