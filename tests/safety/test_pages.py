"""Safety pages: who reaches which page, raising a concern from the generic page (and bad input
refused, nothing written), the escalation page (crisis options first, the checklist, its read
logged), ticking, outcomes, closing, follow-ups, the list (no P3 on it) and the checklist editor."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.safety import services
from alongside.safety.models import Escalation, EscalationChecklist, FollowUp
from tests.conftest import ROLES
from tests.safety.helpers import SUMMARY, person, raise_concern, staff

pytestmark = pytest.mark.django_db


def url(name: str, tenant: Any, *args: Any) -> str:
    return reverse(f"safety:{name}", args=[tenant.organisation.slug, *args])


def count() -> int:
    with scopes_disabled():
        return Escalation.objects.count()


def viewed(escalation: Escalation) -> int:
    return AuditEvent.objects.filter(action="escalation.view", object_id=str(escalation.pk)).count()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_safety_pages(harbor, login_as, role):
    client = login_as(harbor.user(role))
    staff = role in ("admin", "coordinator", "supervisor", "peer")
    viewer = role in ("admin", "coordinator", "supervisor")
    assert client.get(url("raise", harbor)).status_code == (200 if staff else 403)
    assert client.get(url("list", harbor)).status_code == (200 if viewer else 403)
    assert client.get(url("checklist_edit", harbor)).status_code == (200 if role == "admin" else 403)
    home = client.get(f"/app/{harbor.organisation.slug}/").content.decode()
    assert (f'href="{url("list", harbor)}"' in home) == viewer
    assert (f'href="{url("raise", harbor)}"' in home) == staff


def test_raising_a_concern_leads_to_its_page_with_the_crisis_options_and_checklist(harbor, login_as):
    robin = person(harbor, peer=harbor.user("peer"))
    person(harbor, "Someone Else")  # not in the peer's scope: not offered
    client = login_as(harbor.user("peer"))
    form = client.get(url("raise", harbor)).content.decode()
    assert "Robin" in form and "Someone Else" not in form and "988" in form

    response = client.post(url("raise", harbor), {"summary": SUMMARY, "participant": str(robin.pk)})
    with scopes_disabled():
        escalation = Escalation.objects.get()
    assert response.status_code == 302 and response["Location"] == url("escalation", harbor, escalation.pk)
    assert escalation.participant == robin and escalation.source == "other"

    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert text.index("Crisis options to share now") < text.index(SUMMARY) < text.index("Ask directly about safety")
    assert "tel:988" in text or "988" in text
    assert "Supervisor Harbor" in text  # who was told
    assert viewed(escalation) == 1


@pytest.mark.parametrize(
    "data",
    [{"summary": ""}, {"summary": "x" * 4001}, {"summary": SUMMARY, "participant": "not-an-id"}],
)
def test_bad_input_on_the_raise_page_is_refused_and_nothing_is_written(harbor, login_as, data):
    client = login_as(harbor.user("peer"))
    response = client.post(url("raise", harbor), data)
    assert response.status_code == 400
    assert 'class="form-errors"' in response.content.decode()
    assert count() == 0


def test_a_person_outside_the_record_scope_cannot_be_named(harbor, login_as):
    stranger = person(harbor, "Stranger")
    response = login_as(harbor.user("peer")).post(
        url("raise", harbor), {"summary": SUMMARY, "participant": str(stranger.pk)}
    )
    assert response.status_code == 400 and count() == 0


def test_who_reaches_a_concern(harbor, login_as):
    escalation = raise_concern(harbor)
    other_peer = staff(harbor, "other", "peer")
    other_supervisor = staff(harbor, "othersup", "supervisor")
    page = url("escalation", harbor, escalation.pk)
    for user, status in [
        (harbor.user("peer"), 200),
        (harbor.user("supervisor"), 200),
        (harbor.user("coordinator"), 200),
        (other_peer, 404),
        (other_supervisor, 404),
        (harbor.user("funder"), 403),
    ]:
        assert login_as(user).get(page).status_code == status, user


def test_ticking_recording_the_outcome_and_closing_through_the_pages(harbor, login_as):
    escalation = raise_concern(harbor)
    peer = login_as(harbor.user("peer"))
    assert peer.post(url("step", harbor, escalation.pk), {"step": "1", "done": "on"}).status_code == 302
    bad = peer.post(url("outcome", harbor, escalation.pk), {"outcome": "other", "notes": ""})
    assert bad.status_code == 400 and "write a few words" in bad.content.decode()
    assert peer.post(url("outcome", harbor, escalation.pk), {"outcome": "resources_given"}).status_code == 302
    assert peer.post(url("close", harbor, escalation.pk)).status_code == 403  # the reporter does not close
    supervisor = login_as(harbor.user("supervisor"))
    assert supervisor.post(url("close", harbor, escalation.pk)).status_code == 302
    escalation.refresh_from_db()
    assert escalation.checklist[1]["done"] and escalation.outcome == "resources_given" and escalation.closed_at


def test_closing_without_an_outcome_says_why(harbor, login_as):
    escalation = raise_concern(harbor)
    client = login_as(harbor.user("coordinator"))
    response = client.post(url("close", harbor, escalation.pk), follow=True)
    assert "Record what happened next before closing" in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.closed_at is None


def test_marking_the_follow_up_done(harbor, login_as):
    escalation = raise_concern(harbor)
    with scopes_disabled():
        followup = FollowUp.objects.get(escalation=escalation)
    client = login_as(harbor.user("peer"))
    target = url("followup_done", harbor, escalation.pk, followup.pk)
    assert client.post(target, {"note": "x" * 4001}).status_code == 400
    assert client.post(target, {"note": "They are doing better"}).status_code == 302
    followup.refresh_from_db()
    assert followup.done_at is not None and followup.note == "They are doing better"


def test_the_list_shows_no_words_of_any_concern(harbor, login_as):
    escalation = raise_concern(harbor)
    response = login_as(harbor.user("supervisor")).get(url("list", harbor))
    text = response.content.decode()
    assert url("escalation", harbor, escalation.pk) in text and SUMMARY not in text
    assert viewed(escalation) == 0


def test_the_checklist_editor(harbor, login_as):
    client = login_as(harbor.user("admin"))
    assert "Ask directly about safety" in client.get(url("checklist_edit", harbor)).content.decode()
    assert client.post(url("checklist_edit", harbor), {"steps": "  \n "}).status_code == 400
    assert client.post(url("checklist_edit", harbor), {"steps": "x" * 301}).status_code == 400
    response = client.post(url("checklist_edit", harbor), {"steps": "Breathe\n\nCall the on-call lead\n"})
    assert response.status_code == 302
    with scopes_disabled():
        assert EscalationChecklist.objects.get().steps == ["Breathe", "Call the on-call lead"]


def test_the_list_costs_the_same_number_of_queries_however_long(harbor, login_as, django_assert_max_num_queries):
    client = login_as(harbor.user("coordinator"))
    for i in range(3):
        raise_concern(harbor, summary=f"concern {i}")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("list", harbor)).status_code == 200
    for i in range(3, 12):
        raise_concern(harbor, staff(harbor, f"peer{i}", "peer"), summary=f"concern {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("list", harbor)).status_code == 200


def test_the_raise_page_can_start_with_the_person_chosen_only_within_scope(harbor, login_as):
    robin = person(harbor, peer=harbor.user("peer"))
    stranger = person(harbor, "Stranger")
    client = login_as(harbor.user("peer"))

    def select(query: str) -> str:
        page = client.get(url("raise", harbor) + query)
        assert page.status_code == 200
        return page.content.decode().split('name="participant"')[1].split("</select>")[0]

    assert f'value="{robin.pk}" selected' in select(f"?participant={robin.pk}")
    for wanted in (str(stranger.pk), "nonsense"):
        options = select(f"?participant={wanted}")
        assert options.count(" selected") == 1 and 'value="" selected' in options and str(stranger.pk) not in options


def test_times_on_the_page_are_in_the_organisations_time_zone(harbor, login_as):
    escalation = raise_concern(harbor)
    text = login_as(harbor.user("peer")).get(url("escalation", harbor, escalation.pk)).content.decode()
    due = text.split('id="followups-h"')[1].split("</section>")[0]
    assert ", 10:00</time>" in due and harbor.organisation.timezone in due


def test_a_peer_finds_their_own_open_concerns_on_the_raise_page(harbor, login_as):
    mine = raise_concern(harbor)
    closed = raise_concern(harbor, summary="closed one")
    with scopes_disabled():
        services.escalation_record_outcome(acting_user=harbor.user("peer"), escalation=closed, outcome="declined")
        services.escalation_close(acting_user=harbor.user("supervisor"), escalation=closed)
    someone_elses = raise_concern(harbor, staff(harbor, "other", "peer"), summary="not mine")
    text = login_as(harbor.user("peer")).get(url("raise", harbor)).content.decode()
    assert url("escalation", harbor, mine.pk) in text
    assert url("escalation", harbor, closed.pk) not in text and url("escalation", harbor, someone_elses.pk) not in text
    assert SUMMARY not in text
