"""Call and chat records, service level: a draft on start (anonymous is fine), finishing it (duration
from start and end), corrections, bad input that writes nothing, audit rows without content,
encrypted raw columns, a guess at "repeat", the prefill from a chat, a safety concern linked to the
contact, and repeat-caller plans (active, expired, ended, by alias or person, per line)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.people.models import ContactRecord, Participant
from alongside.safety.models import Escalation
from alongside.warmline import contacts
from alongside.warmline.models import CallerPlan, LineContact
from tests.safety.helpers import person, staff
from tests.warmline.contacts.helpers import (
    ALIAS,
    NOTES,
    ctx,
    finished,
    last_id,
    make_line,
    raw,
    rows_since,
    start,
    tenant_line,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def counts() -> tuple[int, int, int, int]:
    return LineContact.objects.count(), ContactRecord.objects.count(), CallerPlan.objects.count(), last_id()


# --- Starting -----------------------------------------------------------------------------------


def test_start_makes_a_draft_contact_record_for_an_anonymous_caller(harbor):
    mark = last_id()
    at = timezone.now() - timedelta(minutes=3)
    contact = start(harbor, alias="", at=at)
    record = contact.contact
    assert contact.state == "draft" and contact.is_draft
    assert contact.started_at == at and contact.ended_at is None
    assert contact.caller_alias == "" and contact.alias_key == ""
    assert contact.caller_kind == "not_sure"
    assert record.service_model == "warmline" and record.mode == "phone" and record.participant is None
    assert record.peer == harbor.user("peer") and record.occurred_at == at
    assert rows_since(mark) == [
        ("contact.create", "people.contactrecord"),
        ("warmline_contact.start", "warmline.linecontact"),
    ]


def test_a_chat_is_recorded_as_a_chat(harbor):
    assert start(harbor, channel="chat").contact.mode == "chat"


def test_a_known_alias_is_guessed_as_repeat_case_and_spaces_ignored(harbor):
    start(harbor, alias="Sunny  Day")
    again = start(harbor, alias="  sunny day ")
    assert again.caller_kind == "repeat"
    assert start(harbor, alias="Someone else").caller_kind == "not_sure"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"alias": "x" * 101}, "caller_alias"),
        ({"alias": 5}, "caller_alias"),
        ({"at": "yesterday"}, "started_at"),
        ({"at": datetime(2026, 1, 1, 12, 0)}, "started_at"),  # naive
        ({"at": timezone.now() + timedelta(hours=1)}, "started_at"),
    ],
)
def test_bad_start_input_is_refused_clearly_and_writes_nothing(harbor, change, field):
    before = counts()
    with pytest.raises(ValidationError) as err:
        start(harbor, **change)
    assert field in err.value.message_dict
    assert counts() == before


def test_a_line_of_another_organisation_is_refused(harbor, riverbend):
    theirs = make_line(riverbend, "Their Line")
    before = counts()
    with pytest.raises(ValidationError) as err:
        start(harbor, line=theirs)
    assert err.value.message_dict == {"line": ["Choose one of this organisation's lines."]}
    assert counts() == before


def test_a_line_out_of_service_is_refused(harbor):
    closed = make_line(harbor, "Old Line", is_active=False)
    with pytest.raises(ValidationError) as err:
        start(harbor, line=closed)
    assert "line" in err.value.message_dict


def test_only_staff_who_answer_may_start_a_record(harbor):
    before = counts()
    for user in (harbor.user("referrer"), harbor.user("funder")):
        with pytest.raises(ValidationError):
            start(harbor, user)
    assert counts() == before


def test_a_participant_of_another_organisation_is_refused(harbor, riverbend):
    stranger = person(riverbend, "Stranger")
    with pytest.raises(ValidationError) as err:
        start(harbor, participant=stranger)
    assert "participant" in err.value.message_dict


# --- Finishing and correcting ---------------------------------------------------------------------


def test_finishing_computes_the_duration_and_marks_it_complete(harbor):
    began = timezone.now() - timedelta(minutes=40)
    contact = start(harbor, at=began)
    mark = last_id()
    done = contacts.contact_complete(
        acting_user=harbor.user("peer"),
        contact=contact,
        ended_at=began + timedelta(minutes=17, seconds=10),
        caller_kind="repeat",
        topics=["loneliness", "grief"],
        mood_start=2,
        mood_end=4,
        helped=["listening", "coping_ideas"],
        resources=["988", "peer_group"],
        resources_other="Library drop-in",
        notes=NOTES,
        follow_up_needed=True,
    )
    done.refresh_from_db()
    record = ContactRecord.objects.get(pk=contact.contact_id)
    assert done.state == "complete" and done.completed_at is not None
    assert record.duration_minutes == 18  # rounded up to the next minute
    assert record.topics == ["loneliness", "grief"] and record.notes == NOTES and record.follow_up_needed
    assert (done.mood_start, done.mood_end) == (2, 4)
    assert done.helped == ["listening", "coping_ideas"] and done.resources == ["988", "peer_group"]
    assert rows_since(mark) == [("warmline_contact.complete", "warmline.linecontact")]


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"mood_start": 0}, "mood_start"),
        ({"mood_end": 6}, "mood_end"),
        ({"mood_start": "three"}, "mood_start"),
        ({"mood_start": True}, "mood_start"),
        ({"caller_kind": "regular"}, "caller_kind"),
        ({"topics": ["astrology"]}, "topics"),
        ({"topics": "loneliness"}, "topics"),
        ({"helped": ["magic"]}, "helped"),
        ({"resources": ["999"]}, "resources"),
        ({"notes": "x" * 4001}, "notes"),
        ({"resources_other": "x" * 501}, "resources_other"),
        ({"follow_up_needed": "yes"}, "follow_up_needed"),
        ({"caller_alias": "x" * 101}, "caller_alias"),
    ],
)
def test_bad_details_are_refused_clearly_and_write_nothing(harbor, details, field):
    began = timezone.now() - timedelta(minutes=40)
    contact = start(harbor, at=began)
    before = counts()
    with pytest.raises(ValidationError) as err:
        contacts.contact_complete(
            acting_user=harbor.user("peer"), contact=contact, ended_at=began + timedelta(minutes=5), **details
        )
    assert field in err.value.message_dict
    assert counts() == before
    contact.refresh_from_db()
    assert contact.state == "draft"


def test_an_end_before_the_start_is_refused(harbor):
    began = timezone.now() - timedelta(minutes=40)
    contact = start(harbor, at=began)
    with pytest.raises(ValidationError) as err:
        contacts.contact_complete(
            acting_user=harbor.user("peer"), contact=contact, ended_at=began - timedelta(minutes=1)
        )
    assert err.value.message_dict == {"ended_at": ["The end must be after the start."]}


def test_an_end_in_the_future_or_half_a_day_later_is_refused(harbor):
    began = timezone.now() - timedelta(hours=14)
    contact = start(harbor, at=began)
    for ended in (timezone.now() + timedelta(hours=1), began + timedelta(hours=13)):
        with pytest.raises(ValidationError) as err:
            contacts.contact_complete(acting_user=harbor.user("peer"), contact=contact, ended_at=ended)
        assert "ended_at" in err.value.message_dict


def test_unknown_detail_names_are_a_programming_error(harbor):
    contact = start(harbor)
    with pytest.raises(ValueError, match="cannot set"):
        contacts.contact_complete(acting_user=harbor.user("peer"), contact=contact, ended_at=timezone.now(), peer=1)


def test_another_peer_cannot_change_the_record_but_the_supervisor_can(harbor):
    contact = finished(harbor)
    other = staff(harbor, "other", "peer")
    with pytest.raises(ValidationError):
        contacts.contact_update(acting_user=other, contact=contact, notes="Mine now")
    contacts.contact_update(acting_user=harbor.user("supervisor"), contact=contact, mood_end=5)
    contact.refresh_from_db()
    assert contact.mood_end == 5


def test_an_update_changes_only_what_is_given_and_nothing_changed_records_nothing(harbor):
    contact = finished(harbor, mood_start=2)
    mark = last_id()
    contacts.contact_update(acting_user=harbor.user("peer"), contact=contact, mood_start=2)
    assert rows_since(mark) == []
    contacts.contact_update(acting_user=harbor.user("peer"), contact=contact, caller_alias="Sunny D")
    contact.refresh_from_db()
    assert contact.caller_alias == "Sunny D" and contact.alias_key == contacts.alias_key(harbor.organisation, "sunny d")
    assert contact.mood_start == 2 and contact.contact.notes == NOTES
    assert rows_since(mark) == [("warmline_contact.update", "warmline.linecontact")]


def test_finishing_twice_saves_a_correction_not_a_second_completion(harbor):
    contact = finished(harbor)
    mark = last_id()
    contacts.contact_complete(acting_user=harbor.user("peer"), contact=contact, ended_at=contact.ended_at, mood_end=3)
    assert rows_since(mark) == [("warmline_contact.update", "warmline.linecontact")]


def test_a_draft_cannot_be_updated_without_an_end(harbor):
    contact = start(harbor)
    with pytest.raises(ValidationError) as err:
        contacts.contact_update(acting_user=harbor.user("peer"), contact=contact, mood_start=3)
    assert "ended_at" in err.value.message_dict


def test_alias_notes_and_other_resources_are_encrypted_in_the_database(harbor):
    contact = finished(harbor, resources_other="Library drop-in")
    assert ALIAS not in raw("warmline_linecontact", "caller_alias", contact.pk)
    assert "Library" not in raw("warmline_linecontact", "resources_other", contact.pk)
    assert "sleeping" not in raw("people_contactrecord", "notes", contact.contact_id)
    assert ALIAS.lower() not in raw("warmline_linecontact", "alias_key", contact.pk).lower()


# --- Prefill from a chat --------------------------------------------------------------------------


def test_prefill_makes_a_draft_with_times_alias_and_the_first_line_in_the_notes(harbor):
    began = timezone.now() - timedelta(minutes=50)
    draft = contacts.contact_prefill(
        acting_user=harbor.user("peer"),
        line=tenant_line(harbor),
        channel="chat",
        started_at=began,
        ended_at=began + timedelta(minutes=25),
        caller_alias="Kit",
        first_line="hi, is anyone there?",
    )
    assert draft.state == "draft" and draft.channel == "chat" and draft.ended_at == began + timedelta(minutes=25)
    assert draft.contact.duration_minutes == 25 and draft.contact.notes == "hi, is anyone there?"
    done = contacts.contact_complete(acting_user=harbor.user("peer"), contact=draft, ended_at=draft.ended_at)
    assert done.state == "complete" and done.contact.notes == "hi, is anyone there?"


def test_prefill_refuses_an_end_before_the_start(harbor):
    began = timezone.now() - timedelta(minutes=50)
    before = counts()
    with pytest.raises(ValidationError) as err:
        contacts.contact_prefill(
            acting_user=harbor.user("peer"),
            line=tenant_line(harbor),
            channel="chat",
            started_at=began,
            ended_at=began - timedelta(minutes=5),
            caller_alias="",
            first_line="",
        )
    assert "ended_at" in err.value.message_dict
    assert counts() == before


# --- Safety ----------------------------------------------------------------------------------------


def test_escalating_raises_a_safety_concern_linked_to_the_contact(harbor):
    contact = finished(harbor, channel="chat")
    mark = last_id()
    escalation = contacts.contact_escalate(acting_user=harbor.user("peer"), contact=contact, summary="Said goodbye")
    contact.refresh_from_db()
    assert contact.escalation == escalation
    assert escalation.source == "chat" and escalation.contact_id == contact.contact_id
    assert escalation.raised_by == harbor.user("peer")
    actions = [action for action, _type in rows_since(mark)]
    assert actions[0] == "escalation.raise" and actions[-1] == "warmline_contact.escalate"


def test_a_call_escalation_has_the_call_source_and_an_empty_summary_is_refused(harbor):
    contact = finished(harbor)
    with pytest.raises(ValidationError) as err:
        contacts.contact_escalate(acting_user=harbor.user("peer"), contact=contact, summary="  ")
    assert "summary" in err.value.message_dict
    assert Escalation.objects.count() == 0
    escalation = contacts.contact_escalate(acting_user=harbor.user("peer"), contact=contact, summary="Worried")
    assert escalation.source == "call"


# --- Scope -----------------------------------------------------------------------------------------


def test_peers_see_their_own_supervisors_their_team_coordinators_everyone(harbor):
    mine = finished(harbor)
    other_peer = staff(harbor, "other", "peer")
    theirs = finished(harbor, other_peer)
    assert set(contacts.visible_contacts(ctx(harbor, "peer"))) == {mine}
    assert set(contacts.visible_contacts(ctx(harbor, "peer", other_peer))) == {theirs}
    assert set(contacts.visible_contacts(ctx(harbor, "supervisor"))) == {mine}  # supervises harbor's peer only
    assert set(contacts.visible_contacts(ctx(harbor, "coordinator"))) == {mine, theirs}
    with pytest.raises(Http404):
        contacts.access_contact(ctx(harbor, "peer", other_peer), mine.pk)
    with pytest.raises(Http404):
        contacts.access_contact(ctx(harbor, "peer"), "not-a-uuid")


# --- Repeat-caller plans -------------------------------------------------------------------------------


def make_plan(tenant: Any, **fields: Any) -> CallerPlan:
    fields.setdefault("caller_alias", ALIAS)
    fields.setdefault("max_contacts", 1)
    fields.setdefault("period", "day")
    fields.setdefault("starts_on", date(2030, 3, 1))
    fields.setdefault("expires_on", date(2030, 3, 31))
    return contacts.plan_create(acting_user=tenant.user("supervisor"), organisation=tenant.organisation, **fields)


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("America/New_York"))


def test_a_plan_is_found_by_alias_only_while_in_force(harbor):
    mark = last_id()
    plan = make_plan(harbor, max_minutes=20, notes="Check in once a day, 20 minutes")
    assert rows_since(mark) == [("caller_plan.create", "warmline.callerplan")]
    org = harbor.organisation
    assert contacts.plans_for(org, alias="  SUNNY ", at=at_noon(date(2030, 3, 1))) == [plan]
    assert contacts.plans_for(org, alias="Sunny", at=at_noon(date(2030, 3, 31))) == [plan]
    assert contacts.plans_for(org, alias="Sunny", at=at_noon(date(2030, 2, 28))) == []  # not started
    assert contacts.plans_for(org, alias="Sunny", at=at_noon(date(2030, 4, 1))) == []  # expired
    assert contacts.plans_for(org, alias="Rain", at=at_noon(date(2030, 3, 5))) == []
    assert contacts.plans_for(org, at=at_noon(date(2030, 3, 5))) == []
    contacts.plan_end(acting_user=harbor.user("coordinator"), plan=plan)
    assert contacts.plans_for(org, alias="Sunny", at=at_noon(date(2030, 3, 5))) == []
    assert "Check in" not in raw("warmline_callerplan", "plan_notes", plan.pk)
    assert ALIAS not in raw("warmline_callerplan", "caller_alias", plan.pk)


def test_a_plan_by_person_and_per_line(harbor, riverbend):
    robin = person(harbor, "Robin")
    evening, morning = tenant_line(harbor), make_line(harbor, "Morning Line")
    plan = make_plan(harbor, caller_alias="", participant=robin, line=evening)
    when = at_noon(date(2030, 3, 5))
    assert contacts.plans_for(harbor.organisation, participant=robin, at=when) == [plan]
    assert contacts.plans_for(harbor.organisation, participant=robin, at=when, line=evening) == [plan]
    assert contacts.plans_for(harbor.organisation, participant=robin, at=when, line=morning) == []
    assert contacts.plans_for(riverbend.organisation, alias="Sunny", at=when) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"caller_alias": ""}, "caller_alias"),
        ({"max_contacts": None, "max_minutes": None}, "max_contacts"),
        ({"max_contacts": 0}, "max_contacts"),
        ({"max_minutes": 1000}, "max_minutes"),
        ({"period": ""}, "period"),
        ({"expires_on": date(2030, 2, 1)}, "expires_on"),
        ({"expires_on": date(2031, 6, 1)}, "expires_on"),
        ({"expires_on": None}, "expires_on"),
        ({"notes": "x" * 2001}, "notes"),
    ],
)
def test_bad_plans_are_refused_clearly_and_write_nothing(harbor, fields, field):
    before = counts()
    with pytest.raises(ValidationError) as err:
        make_plan(harbor, **fields)
    assert field in err.value.message_dict
    assert counts() == before


def test_a_plan_on_another_organisations_line_or_by_a_peer_is_refused(harbor, riverbend):
    with pytest.raises(ValidationError) as err:
        make_plan(harbor, line=make_line(riverbend, "Their Line"))
    assert "line" in err.value.message_dict
    with pytest.raises(ValidationError):
        contacts.plan_create(
            acting_user=harbor.user("peer"),
            organisation=harbor.organisation,
            caller_alias=ALIAS,
            max_minutes=20,
            starts_on=date(2030, 3, 1),
            expires_on=date(2030, 3, 2),
        )
    assert CallerPlan.objects.count() == 0


def test_ending_a_plan_twice_records_once(harbor):
    plan = make_plan(harbor)
    mark = last_id()
    contacts.plan_end(acting_user=harbor.user("supervisor"), plan=plan)
    contacts.plan_end(acting_user=harbor.user("supervisor"), plan=plan)
    assert rows_since(mark) == [("caller_plan.end", "warmline.callerplan")]


# --- Participants' rights ---------------------------------------------------------------------------


def test_a_linked_person_can_be_chosen_and_their_anonymisation_clears_alias_and_free_text(harbor):
    robin = person(harbor, "Robin", peer=harbor.user("peer"))
    contact = finished(harbor, resources_other="Library drop-in")
    contacts.contact_update(acting_user=harbor.user("peer"), contact=contact, participant=robin)
    plan = make_plan(harbor, participant=robin, notes="Agreed words")
    contact.refresh_from_db()
    assert contact.contact.participant == robin
    assert contacts.plans_for(harbor.organisation, participant=robin, at=at_noon(date(2030, 3, 5))) == [plan]
    mark = last_id()
    contacts.participant_restricted(robin, harbor.user("admin"), timezone.now())
    contacts.participant_anonymised(robin, harbor.user("admin"), timezone.now())
    contact.refresh_from_db()
    plan.refresh_from_db()
    assert (contact.caller_alias, contact.alias_key, contact.resources_other) == ("", "", "")
    assert (plan.caller_alias, plan.plan_notes) == ("", "") and plan.ended_at is not None
    assert [a for a, _t in rows_since(mark)] == ["caller_plan.end", "warmline_contact.cleared", "caller_plan.cleared"]


def test_a_person_restricted_after_linking_stays_linked_but_cannot_be_newly_linked(harbor):
    robin = person(harbor, "Robin", peer=harbor.user("peer"))
    contact = finished(harbor)
    contacts.contact_update(acting_user=harbor.user("peer"), contact=contact, participant=robin)
    Participant.objects.filter(pk=robin.pk).update(erasure_requested_at=timezone.now())
    robin.refresh_from_db()
    contacts.contact_update(acting_user=harbor.user("peer"), contact=contact, mood_end=4)  # still saves
    with pytest.raises(ValidationError) as err:
        start(harbor, participant=robin)
    assert "participant" in err.value.message_dict


def test_what_the_caller_said_is_screened_and_only_policy_words_are_kept(harbor, login_as):
    """The notes (what the caller said) are screened like a chat message: the tier and concepts are
    kept on the record, never the words, and the page prompts the peer to act."""
    urgent = finished(harbor, notes="Caller said she took a whole bottle of her pills an hour ago")
    urgent.refresh_from_db()
    assert urgent.screening_tier == "urgent" and "means" in urgent.screening_concepts
    page = login_as(harbor.user("peer")).get(f"/app/harbor/warmline/contacts/{urgent.pk}/").content.decode()
    assert "Crisis screening: is the caller safe?" in page and "Means at hand or taken" in page
    checkin = finished(harbor, notes="Said some days she just wants to die")
    checkin.refresh_from_db()
    assert checkin.screening_tier == "check_in"
    page = login_as(harbor.user("peer")).get(f"/app/harbor/warmline/contacts/{checkin.pk}/").content.decode()
    assert "consider it at the next contact" in page and "is the caller safe?" not in page
    calm = finished(harbor, notes="Talked about the new job; this homework is killing me, she joked")
    calm.refresh_from_db()
    assert calm.screening_tier == "" and calm.screening_concepts == []
    # Correcting the notes screens them again.
    contacts.contact_update(acting_user=harbor.user("peer"), contact=urgent, notes="Talked about her garden")
    urgent.refresh_from_db()
    assert urgent.screening_tier == ""
