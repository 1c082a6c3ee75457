"""Call and chat record pages: log a call, the under-a-minute form (defaults, the plan shown, bad
input), one record (audited read), raising a safety concern from it, the peer's own past contacts
(search, pages, query budget), the supervisor's list within scope, and repeat-caller plans."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.people.models import ContactRecord
from alongside.safety.models import Escalation
from alongside.warmline import contacts, shifts
from alongside.warmline.models import CallerPlan, LineContact
from tests.safety.helpers import person, staff
from tests.warmline.contacts.helpers import ALIAS, NOTES, finished, last_id, make_line, start, tenant_line

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 3, 5, 15, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def url(name: str, tenant: Any, *args: Any) -> str:
    return reverse(f"warmline:{name}", args=[tenant.organisation.slug, *args])


def counts() -> tuple[int, int, int]:
    with scopes_disabled():
        return LineContact.objects.count(), ContactRecord.objects.count(), CallerPlan.objects.count()


# --- Log a call and finish it ---------------------------------------------------------------------


def test_log_a_call_starts_a_draft_and_goes_to_the_short_form(harbor, login_as):
    line = tenant_line(harbor)
    client = login_as(harbor.user("peer"))
    page = client.get(url("contact_new", harbor))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Log a call" in html and 'value="2030-03-05T15:00"' in html and "Evening Line" in html
    response = client.post(
        url("contact_new", harbor),
        {"line": str(line.pk), "channel": "call", "started_at": "2030-03-05T14:40", "caller_alias": ALIAS},
    )
    with scopes_disabled():
        contact = LineContact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("contact_finish", harbor, contact.pk)
    assert contact.started_at == datetime(2030, 3, 5, 14, 40, tzinfo=NY)
    assert contact.contact.peer == harbor.user("peer") and contact.caller_alias == ALIAS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"channel": "call", "started_at": "2030-03-05T14:40"}, "Choose a line."),
        ({"channel": "fax", "started_at": "2030-03-05T14:40"}, "Select a valid choice"),
        ({"channel": "call", "started_at": "soon"}, "Give a date and time"),
        ({"channel": "call", "started_at": "2030-03-05T18:40"}, "This time is in the future."),
        ({"channel": "call", "started_at": ""}, "Say when the contact started."),
    ],
)
def test_bad_log_input_is_a_clear_error_and_writes_nothing(harbor, login_as, data, message):
    line = tenant_line(harbor)
    if message != "Choose a line.":
        data = {**data, "line": str(line.pk)}
    before = counts()
    response = login_as(harbor.user("peer")).post(url("contact_new", harbor), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_a_line_of_another_organisation_cannot_be_chosen(harbor, riverbend, login_as):
    tenant_line(harbor)
    theirs = make_line(riverbend, "Their Line")
    data = {"line": str(theirs.pk), "channel": "call", "started_at": "2030-03-05T14:40"}
    response = login_as(harbor.user("peer")).post(url("contact_new", harbor), data)
    assert response.status_code == 400 and "Choose one of this organisation" in response.content.decode()
    assert counts() == (0, 0, 0)


def test_the_short_form_has_sensible_defaults_and_shows_the_callers_plan(harbor, login_as):
    with scopes_disabled():
        contacts.plan_create(
            acting_user=harbor.user("supervisor"),
            organisation=harbor.organisation,
            caller_alias=ALIAS,
            max_contacts=1,
            period="day",
            max_minutes=20,
            notes="One call a day, twenty minutes",
            starts_on=date(2030, 3, 1),
            expires_on=date(2030, 3, 31),
        )
    contact = start(harbor, at=NOW - timedelta(minutes=25))
    client = login_as(harbor.user("peer"))
    mark = last_id()
    page = client.get(url("contact_finish", harbor, contact.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="2030-03-05T14:35"' in html and 'value="2030-03-05T15:00"' in html  # start, end = now
    assert 'type="radio" name="mood_start" value="1"' in html
    assert 'type="checkbox" name="helped" value="listening"' in html
    assert "Private: only you and your supervisor" in html and "(optional)" in html
    assert "Agreed plan with this caller" in html and "One call a day, twenty minutes" in html
    assert "Up to 20 minutes each" in html
    assert "Raise a safety concern" in html
    actions = list(AuditEvent.objects.filter(id__gt=mark).values_list("action", flat=True))
    assert actions == ["warmline_contact.view", "caller_plan.view"]


def test_finishing_the_form_completes_the_record(harbor, login_as):
    contact = start(harbor, at=NOW - timedelta(minutes=25))
    data = {
        "started_at": "2030-03-05T14:35",
        "ended_at": "2030-03-05T14:52",
        "caller_kind": "first_time",
        "mood_start": "2",
        "mood_end": "4",
        "topics": ["loneliness", "stress"],
        "helped": ["listening"],
        "resources": ["988"],
        "notes": NOTES,
        "caller_alias": ALIAS,
    }
    response = login_as(harbor.user("peer")).post(url("contact_finish", harbor, contact.pk), data)
    assert response.status_code == 302 and response["Location"] == url("contact_detail", harbor, contact.pk)
    with scopes_disabled():
        contact.refresh_from_db()
        record = ContactRecord.objects.get(pk=contact.contact_id)
    assert contact.state == "complete" and (contact.mood_start, contact.mood_end) == (2, 4)
    assert record.duration_minutes == 17 and record.topics == ["loneliness", "stress"] and record.notes == NOTES


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mood_start": "6"}, "Choose a mood from 1 to 5, or leave it blank."),
        ({"mood_end": "0"}, "Choose a mood from 1 to 5, or leave it blank."),
        ({"ended_at": "2030-03-05T14:00"}, "The end must be after the start."),
        ({"ended_at": ""}, "Say when the contact ended."),
        ({"caller_kind": ""}, "Say whether this was their first time"),
        ({"topics": ["astrology"]}, "Choose topics from the list."),
        ({"notes": "x" * 4001}, "at most 4000 characters"),
    ],
)
def test_bad_form_input_is_a_clear_error_and_writes_nothing(harbor, login_as, change, message):
    contact = start(harbor, at=NOW - timedelta(minutes=25))
    data = {"started_at": "2030-03-05T14:35", "ended_at": "2030-03-05T14:52", "caller_kind": "repeat", **change}
    client = login_as(harbor.user("peer"))
    mark = last_id()
    response = client.post(url("contact_finish", harbor, contact.pk), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        contact.refresh_from_db()
    assert contact.state == "draft"
    assert not AuditEvent.objects.filter(id__gt=mark).exclude(action__endswith=".view").exists()


def test_another_peer_gets_404_everywhere_and_the_supervisor_sees_the_teams(harbor, login_as):
    contact = finished(harbor)
    other = login_as(staff(harbor, "other", "peer"))
    for name in ("contact_detail", "contact_finish", "contact_safety"):
        assert other.get(url(name, harbor, contact.pk)).status_code == 404
    assert other.post(url("contact_finish", harbor, contact.pk), {"notes": "x"}).status_code == 404
    detail = login_as(harbor.user("supervisor")).get(url("contact_detail", harbor, contact.pk))
    assert detail.status_code == 200 and NOTES in detail.content.decode()
    unlinked = login_as(staff(harbor, "sup2", "supervisor"))
    assert unlinked.get(url("contact_detail", harbor, contact.pk)).status_code == 404


def test_the_detail_page_shows_the_record_and_audits_the_read(harbor, login_as):
    contact = finished(harbor, mood_start=2, mood_end=3, helped=["listening"], topics=["grief"])
    client = login_as(harbor.user("peer"))
    mark = last_id()
    page = client.get(url("contact_detail", harbor, contact.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert ALIAS in html and NOTES in html and "Listening" in html and "Grief and loss" in html
    assert list(AuditEvent.objects.filter(id__gt=mark).values_list("action", flat=True)) == ["warmline_contact.view"]


def test_raising_a_safety_concern_from_a_contact_goes_to_the_escalation(harbor, login_as):
    contact = finished(harbor)
    client = login_as(harbor.user("peer"))
    page = client.get(url("contact_safety", harbor, contact.pk))
    assert page.status_code == 200 and "This is not a crisis service." in page.content.decode()
    empty = client.post(url("contact_safety", harbor, contact.pk), {"summary": ""})
    assert empty.status_code == 400 and "Write a few words" in empty.content.decode()
    response = client.post(url("contact_safety", harbor, contact.pk), {"summary": "Said they felt unsafe"})
    with scopes_disabled():
        escalation = Escalation.objects.get()
        contact.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("safety:escalation", args=[harbor.organisation.slug, escalation.pk])
    assert contact.escalation == escalation and escalation.source == "call"


# --- Lists ----------------------------------------------------------------------------------------


def test_my_past_contacts_newest_first_with_search(harbor, login_as):
    morning = make_line(harbor, "Morning Line")
    with time_machine.travel(datetime(2030, 3, 1, 12, tzinfo=NY), tick=False):
        finished(harbor, alias="River")
    with time_machine.travel(datetime(2030, 3, 3, 12, tzinfo=NY), tick=False):
        finished(harbor, alias="Sky", line=morning)
    client = login_as(harbor.user("peer"))
    page = client.get(url("contacts_mine", harbor))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("3 Mar 2030") < html.index("1 Mar 2030")
    assert "River" not in html and "Sky" not in html  # aliases are not listed (encrypted, audited reads)
    found = client.get(url("contacts_mine", harbor), {"alias": "river"}).content.decode()
    assert "1 Mar 2030" in found and "3 Mar 2030" not in found
    found = client.get(url("contacts_mine", harbor), {"day": "2030-03-03"}).content.decode()
    assert "3 Mar 2030" in found and "1 Mar 2030" not in found
    found = client.get(url("contacts_mine", harbor), {"line": "morning-line"}).content.decode()
    assert "3 Mar 2030" in found and "1 Mar 2030" not in found
    bad = client.get(url("contacts_mine", harbor), {"day": "tomorrow"})
    assert bad.status_code == 400 and "Give a date, like 2026-03-01." in bad.content.decode()


def test_a_peer_sees_only_their_own_contacts_in_lists(harbor, login_as):
    other = staff(harbor, "other", "peer")
    with time_machine.travel(datetime(2030, 3, 1, 12, tzinfo=NY), tick=False):
        finished(harbor, other)
    with time_machine.travel(datetime(2030, 3, 2, 12, tzinfo=NY), tick=False):
        finished(harbor)
    mine = login_as(harbor.user("peer")).get(url("contacts_mine", harbor)).content.decode()
    assert "2 Mar 2030" in mine and "1 Mar 2030" not in mine
    assert login_as(harbor.user("peer")).get(url("contact_list", harbor)).status_code == 403
    team = login_as(harbor.user("supervisor")).get(url("contact_list", harbor)).content.decode()
    assert "2 Mar 2030" in team and "1 Mar 2030" not in team
    everyone = login_as(harbor.user("coordinator")).get(url("contact_list", harbor)).content.decode()
    assert "2 Mar 2030" in everyone and "1 Mar 2030" in everyone


@pytest.mark.parametrize("name", ["contacts_mine", "contact_list"])
def test_lists_cost_the_same_number_of_queries_however_long(harbor, login_as, django_assert_max_num_queries, name):
    client = login_as(harbor.user("coordinator"))
    for _ in range(2):
        finished(harbor, harbor.user("coordinator"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(name, harbor)).status_code == 200
    for i in range(12):
        finished(harbor, harbor.user("coordinator"), line=tenant_line(harbor) if i % 2 else None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(name, harbor)).status_code == 200


# --- Plans ----------------------------------------------------------------------------------------


def test_plans_are_created_listed_shown_and_ended(harbor, login_as):
    client = login_as(harbor.user("supervisor"))
    assert client.get(url("caller_plan_new", harbor)).status_code == 200
    data = {
        "caller_alias": ALIAS,
        "max_contacts": "2",
        "period": "week",
        "starts_on": "2030-03-01",
        "expires_on": "2030-04-01",
        "notes": "Two calls a week",
    }
    response = client.post(url("caller_plan_new", harbor), data)
    with scopes_disabled():
        plan = CallerPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == url("caller_plan_detail", harbor, plan.pk)
    listing = client.get(url("caller_plan_list", harbor)).content.decode()
    assert "In force" in listing and ALIAS not in listing and "Two calls" not in listing
    detail = client.get(url("caller_plan_detail", harbor, plan.pk)).content.decode()
    assert ALIAS in detail and "Two calls a week" in detail and "At most 2 contacts a week" in detail
    assert client.post(url("caller_plan_end", harbor, plan.pk)).status_code == 302
    with scopes_disabled():
        plan.refresh_from_db()
    assert plan.ended_at is not None
    assert login_as(harbor.user("peer")).get(url("caller_plan_list", harbor)).status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires_on": ""}, "Give the day the plan expires."),
        ({"expires_on": "2030-02-01"}, "The plan must expire on or after the day it starts."),
        ({"max_contacts": "", "max_minutes": ""}, "Agree how often, how long, or both."),
        ({"period": ""}, "Say whether that is a day or a week."),
        ({"caller_alias": ""}, "Say who the plan is with"),
        ({"max_minutes": "1"}, "greater than or equal to 5"),
    ],
)
def test_bad_plan_input_is_a_clear_error_and_writes_nothing(harbor, login_as, change, message):
    data = {
        "caller_alias": ALIAS,
        "max_contacts": "1",
        "period": "day",
        "max_minutes": "20",
        "starts_on": "2030-03-01",
        "expires_on": "2030-04-01",
        **change,
    }
    response = login_as(harbor.user("supervisor")).post(url("caller_plan_new", harbor), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == (0, 0, 0)


def test_plan_list_query_budget(harbor, login_as, django_assert_max_num_queries):
    client = login_as(harbor.user("coordinator"))

    def plan(i: int) -> None:
        with scopes_disabled():
            contacts.plan_create(
                acting_user=harbor.user("coordinator"),
                organisation=harbor.organisation,
                caller_alias=f"Caller {i}",
                max_minutes=20,
                line=tenant_line(harbor),
                starts_on=date(2030, 3, 1),
                expires_on=date(2030, 3, 1 + i),
            )

    plan(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("caller_plan_list", harbor)).status_code == 200
    for i in range(2, 12):
        plan(i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("caller_plan_list", harbor)).status_code == 200


def test_the_form_offers_only_the_people_the_peer_supports(harbor, login_as):
    robin = person(harbor, "Robin", peer=harbor.user("peer"))
    stranger = person(harbor, "Stranger")
    contact = start(harbor, at=NOW - timedelta(minutes=25))
    client = login_as(harbor.user("peer"))
    html = client.get(url("contact_finish", harbor, contact.pk)).content.decode()
    assert "Robin" in html and "Stranger" not in html
    data = {"started_at": "2030-03-05T14:35", "ended_at": "2030-03-05T14:52", "caller_kind": "repeat"}
    refused = client.post(url("contact_finish", harbor, contact.pk), {**data, "participant": str(stranger.pk)})
    assert refused.status_code == 400 and "Choose one of the people you support" in refused.content.decode()
    assert (
        client.post(url("contact_finish", harbor, contact.pk), {**data, "participant": str(robin.pk)}).status_code
        == 302
    )
    with scopes_disabled():
        assert ContactRecord.objects.get(pk=contact.contact_id).participant == robin


@pytest.mark.parametrize(("on_shift", "noted"), [(False, True), (True, False)])
def test_logging_off_shift_is_allowed_and_only_noted(harbor, login_as, monkeypatch, on_shift, noted):
    monkeypatch.setattr(shifts, "is_on_shift", lambda user, line, at: on_shift)
    data = {"line": str(tenant_line(harbor).pk), "channel": "call", "started_at": "2030-03-05T14:40"}
    response = login_as(harbor.user("peer")).post(url("contact_new", harbor), data, follow=True)
    assert response.status_code == 200 and "Finish the record" in response.content.decode()
    assert ("You were not on a shift of this line then" in response.content.decode()) is noted
    assert counts()[0] == 1
