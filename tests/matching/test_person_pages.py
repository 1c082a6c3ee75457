"""The person's own mentorship pages under their private link (/me/mentorship/...): suggestions and
choosing, asking for more, asking for someone else, their mentorship (plan, sessions, next session
and its invite), the closure summary to keep. Never cached, always the crisis notice, reads and
steps audited as "participant", another person's id answers like a missing one, bad input is
refused clearly with nothing written, and the pages cost the same queries however many peers."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from alongside.audit.models import AuditEvent
from alongside.core.testing import verified_client
from alongside.matching import mentorship, services
from alongside.matching.models import Match, MatchRequest, MatchStatus, RequestStatus, SupportPlan
from alongside.people import rights
from alongside.people.models import Participant
from tests.matching.helpers import make_peer, make_person, make_request

pytestmark = pytest.mark.django_db

ME = "/me/mentorship/"


def me(tenant: Any, person: Participant) -> Client:
    """A browser that continued with this person's private link."""
    with scopes_disabled():
        _link, token = rights.access_link_create(acting_user=tenant.user("coordinator"), participant=person)
    client = Client()
    assert client.post(f"/me/start/{token}/")["Location"] == "/me/"
    return client


def peers(tenant: Any, n: int, **fields: Any) -> list[Any]:
    with scopes_disabled():
        return [make_peer(tenant, f"Peer{i:02d}", **fields) for i in range(n)]


def waiting_person(tenant: Any, name: str = "Robin") -> tuple[Participant, MatchRequest]:
    with scopes_disabled():
        person = make_person(tenant, name)
        return person, make_request(tenant, person)


def assert_private(response: Any) -> None:
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "This is not a crisis service." in response.content.decode()


def last(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-id").first()
    assert event is not None, action
    return event


def matched(tenant: Any, name: str = "Robin") -> tuple[Participant, Match]:
    """A person whose chosen peer (the tenant's peer supporter, "Peer Harbor") said yes, with one session."""
    with scopes_disabled():
        peer = tenant.user("peer")
        make_peer(tenant, "Jordan", user=peer, caseload_limit=20)
        person, request = waiting_person(tenant, name)
        match = services.match_choose(acting_user=None, request=request, peer=peer)
        match = services.match_accept(acting_user=peer, match=match)
        mentorship.session_log(
            acting_user=peer, match=match, occurred_at=timezone.now(), duration_minutes=45, mode="phone"
        )
        match.refresh_from_db()
        return person, match


# --- Choosing ------------------------------------------------------------------------------------


def test_the_person_sees_three_to_five_peers_with_what_they_share(harbor):
    peers(harbor, 4, shared=("Alcohol", "Anxiety"))
    person, request = waiting_person(harbor)
    client = me(harbor, person)
    home = client.get("/me/")
    assert "Your peer supporter" in home.content.decode() and ME in home.content.decode()
    response = client.get(ME)
    assert response.status_code == 200
    assert_private(response)
    text = response.content.decode()
    assert text.count('<li class="card suggestion">') == 4
    assert "Choose Peer00" in text and "I&#x27;m Peer00." in text  # first name, their own bio
    assert "You both shared Alcohol" in text  # only what both chose to share for matching
    assert "Anxiety" not in text  # the peer shares it, the person did not ask for it
    assert "Tuesday: evening" in text  # when the peer is free
    for hidden in ("caseload", "stretched", "wellbeing", "Example"):  # never load, wellbeing, last names
        assert hidden not in text
    event = last("match_request.view_suggestions")
    assert event.actor_role == "participant" and event.object_id == str(request.pk) and event.actor_id is None


def test_choosing_asks_the_peer_and_is_recorded_as_the_persons_choice(harbor):
    [first, *_rest] = peers(harbor, 3)
    person, request = waiting_person(harbor)
    client = me(harbor, person)
    response = client.post(f"{ME}choose/", {"request": str(request.pk), "peer": str(first.pk)})
    assert response.status_code == 302 and response["Location"] == ME
    with scopes_disabled():
        match = Match.objects.get(request=request)
        request.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED and match.proposed_via == "person" and match.peer == first
    assert request.status == RequestStatus.SUGGESTED
    event = last("match.choose")
    assert event.actor_role == "participant" and event.object_id == str(match.pk)
    page = client.get(ME).content.decode()
    assert "We have asked Peer00" in page and "Thank you. We have asked Peer00" in page
    assert "You can ask for a different peer supporter at any time. You don't need to give a reason." in page


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"request": "not-a-uuid", "peer": "x"},
        {"request": "REQUEST", "peer": "not-a-uuid"},
        {"request": "REQUEST", "peer": str(uuid.uuid4())},  # nobody
        {"request": "REQUEST", "peer": "UNSUITABLE"},  # speaks no language in common
    ],
)
def test_choose_bad_input_says_so_and_writes_nothing(harbor, data):
    peers(harbor, 1)
    [unsuitable] = peers(harbor, 1, languages=("fr",))
    person, request = waiting_person(harbor)
    client = me(harbor, person)
    data = {k: v.replace("REQUEST", str(request.pk)).replace("UNSUITABLE", str(unsuitable.pk)) for k, v in data.items()}
    before = AuditEvent.objects.filter(action="match.choose").count()
    response = client.post(f"{ME}choose/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose one of the peer supporters suggested to you." in text or "do not share a language" in text
    assert 'role="alert"' in text
    with scopes_disabled():
        assert not Match.objects.filter(request=request).exists()
    assert AuditEvent.objects.filter(action="match.choose").count() == before


def test_someone_elses_request_looks_missing(harbor, riverbend):
    [peer] = peers(harbor, 1)
    person, _request = waiting_person(harbor, "Robin")
    _other, other_request = waiting_person(harbor, "Alex")
    _far, foreign_request = waiting_person(riverbend, "Sky")
    client = me(harbor, person)
    for request_id in (other_request.pk, foreign_request.pk, uuid.uuid4()):
        assert client.post(f"{ME}choose/", {"request": str(request_id), "peer": str(peer.pk)}).status_code == 404
        assert client.post(f"{ME}more/", {"request": str(request_id)}).status_code == 404
    with scopes_disabled():
        assert not Match.objects.exists()


def test_asking_for_more_shows_the_next_peers_and_is_recorded(harbor):
    peers(harbor, 7)
    person, request = waiting_person(harbor)
    client = me(harbor, person)
    first = client.get(ME).content.decode()
    assert first.count('class="card suggestion"') == 5 and "Show me other peer supporters" in first
    assert client.post(f"{ME}more/", {"request": str(request.pk)}).status_code == 302
    event = last("match_request.more_suggestions")
    assert event.actor_role == "participant" and event.object_id == str(request.pk)
    second = client.get(ME).content.decode()
    assert second.count('class="card suggestion"') == 2 and "Show me other peer supporters" not in second
    names_first = {n for n in (f"Choose Peer{i:02d}" for i in range(7)) if n in first}
    names_second = {n for n in (f"Choose Peer{i:02d}" for i in range(7)) if n in second}
    assert len(names_first) == 5 and len(names_second) == 2 and not names_first & names_second
    assert client.post(f"{ME}more/", {"request": "nope"}).status_code == 404
    assert client.post(f"{ME}more/", {}).status_code == 404


def test_nobody_with_room_is_said_kindly(harbor):
    person, _request = waiting_person(harbor)
    text = me(harbor, person).get(ME).content.decode()
    assert "Nobody has room right now." in text and "You keep your place" in text


def test_the_suggestions_page_costs_the_same_queries_however_many_peers(harbor):
    peers(harbor, 3)
    person, _request = waiting_person(harbor)
    client = me(harbor, person)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(ME).status_code == 200
        return len(ctx.captured_queries)

    count()
    few = count()
    peers(harbor, 15, shared=("Alcohol", "Anxiety"))
    assert count() == few


# --- Asking for someone else --------------------------------------------------------------------


def test_asking_for_someone_else_needs_no_reason(harbor):
    person, match = matched(harbor)
    client = me(harbor, person)
    page = client.get(f"{ME}{match.pk}/change/")
    assert page.status_code == 200
    assert_private(page)
    text = page.content.decode()
    assert (
        "You don't need to give a reason." in text
        and "<textarea" not in text
        and "reason" not in text.split("You don't need to give a reason.")[1].split("</form>")[0]
    )
    response = client.post(f"{ME}{match.pk}/change/")
    assert response.status_code == 302 and response["Location"] == ME
    with scopes_disabled():
        match.refresh_from_db()
        match.request.refresh_from_db()
        person.refresh_from_db()
    assert match.status == MatchStatus.CHANGED_BY_PERSON and match.request.status == RequestStatus.WAITING
    assert person.assigned_peer_id is None
    assert last("match.change_peer").actor_role == "participant"
    after = client.get(ME).content.decode()
    assert "Thank you for telling us." in after and "Choose your peer supporter" in after
    assert "Choose Peer" not in after  # not suggested to them again
    assert client.get(f"{ME}{match.pk}/change/").status_code == 404  # nothing open to change now


# --- Their mentorship ----------------------------------------------------------------------------


def test_their_mentorship_page_shows_the_peer_plan_sessions_and_next_session(harbor):
    person, match = matched(harbor)
    with scopes_disabled():
        mentorship.plan_update(acting_user=harbor.user("peer"), match=match, goals="Sleep before midnight", version=0)
        mentorship.next_session_set(
            acting_user=harbor.user("peer"),
            match=match,
            starts_at=timezone.now() + timedelta(days=2),
            duration_minutes=45,
            mode="in_person",
            location="Harbor Wellness Center, room 2",
        )
    client = me(harbor, person)
    overview = client.get(ME).content.decode()
    assert "Peer is your peer supporter" in overview
    response = client.get(f"{ME}{match.pk}/")
    assert response.status_code == 200
    assert_private(response)
    text = response.content.decode()
    assert "You and Peer" in text and "I&#x27;m Jordan." in text
    assert "Sleep before midnight" in text and "Harbor Wellness Center, room 2" in text
    assert "Add it to your calendar" in text and "45 minutes" in text
    assert "Your sessions" in text and "Phone, 45 minutes" in text
    assert "You can ask for a different peer supporter at any time." in text
    assert last("mentorship.self_view").actor_role == "participant"
    ics = client.get(f"{ME}{match.pk}/next-session.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert "no-store" in ics["Cache-Control"] and ics["Content-Disposition"].startswith("attachment;")
    body = ics.content.decode()
    assert "SUMMARY:Peer support session" in body and "LOCATION:Harbor Wellness Center\\, room 2" in body
    assert "Robin" not in body
    assert last("next_session.download").actor_role == "participant"


def test_the_person_edits_their_plan(harbor):
    person, match = matched(harbor)
    client = me(harbor, person)
    form = client.get(f"{ME}{match.pk}/plan/")
    assert form.status_code == 200 and "Your goals" in form.content.decode()
    assert_private(form)
    response = client.post(
        f"{ME}{match.pk}/plan/",
        {"goals": "Get back to work", "steps": "Update my CV", "check_in_frequency": "fortnightly", "version": "0"},
    )
    assert response.status_code == 302 and response["Location"] == f"{ME}{match.pk}/"
    with scopes_disabled():
        plan = SupportPlan.objects.get(match=match)
    assert plan.goals == "Get back to work" and plan.updated_by_person and plan.version == 1
    assert last("support_plan.update").actor_role == "participant"
    page = client.get(f"{ME}{match.pk}/").content.decode()
    assert "Get back to work" in page and "You changed it last" in page and "Every two weeks" in page
    # The peer's page says who changed it.
    staff = verified_client(harbor.user("peer"))
    assert "Last changed by Robin" in staff.get(f"/app/harbor/mentorships/{match.pk}/").content.decode()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"goals": "x" * 4001, "version": "0"}, "Ensure this value has at most 4000 characters"),
        ({"check_in_frequency": "hourly", "version": "0"}, "Select a valid choice"),
        ({"goals": "x"}, "This field is required"),
        ({"goals": "x", "version": "-1"}, "greater than or equal to 0"),
    ],
)
def test_plan_bad_input_says_what_to_fix_and_writes_nothing(harbor, data, words):
    person, match = matched(harbor)
    response = me(harbor, person).post(f"{ME}{match.pk}/plan/", data)
    assert response.status_code == 400 and words in response.content.decode()
    with scopes_disabled():
        assert not SupportPlan.objects.filter(match=match).exists()


def test_an_edit_on_a_changed_plan_keeps_their_words_and_shows_the_plan_now(harbor):
    person, match = matched(harbor)
    with scopes_disabled():
        mentorship.plan_update(acting_user=harbor.user("peer"), match=match, goals="The peer's goal", version=0)
    response = me(harbor, person).post(f"{ME}{match.pk}/plan/", {"goals": "My own goal", "version": "0"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "changed by someone else" in text and "Your plan as it is now" in text
    assert "The peer&#x27;s goal" in text and "My own goal" in text and 'name="version" value="1"' in text
    with scopes_disabled():
        assert SupportPlan.objects.get(match=match).goals == "The peer's goal"


def test_someone_elses_mentorship_looks_missing(harbor, riverbend):
    person, _match = matched(harbor, "Robin")
    with scopes_disabled():
        other_person, other_request = waiting_person(harbor, "Alex")
        other = services.match_choose(acting_user=None, request=other_request, peer=harbor.user("peer"))
        other = services.match_accept(acting_user=harbor.user("peer"), match=other)
    _foreign_person, foreign = matched(riverbend, "Sky")
    client = me(harbor, person)
    for suffix in ("", "plan/", "change/", "next-session.ics", "summary/", "summary.pdf"):
        missing = client.get(f"{ME}{uuid.uuid4()}/{suffix}")
        for match_id in (other.pk, foreign.pk, "not-a-uuid"):
            response = client.get(f"{ME}{match_id}/{suffix}")
            assert response.status_code == missing.status_code == 404, (suffix, match_id)
            assert "Alex" not in response.content.decode() and "Sky" not in response.content.decode()
    assert client.post(f"{ME}{other.pk}/plan/", {"goals": "x", "version": "0"}).status_code == 404
    assert client.post(f"{ME}{other.pk}/change/").status_code == 404
    with scopes_disabled():
        other.refresh_from_db()
        assert other.status == MatchStatus.ACCEPTED and not SupportPlan.objects.filter(match=other).exists()
    assert other_person.pk != person.pk


def test_without_a_visit_the_pages_do_not_work(harbor):
    _person, match = matched(harbor)
    client = Client()
    for path in (ME, f"{ME}{match.pk}/", f"{ME}{match.pk}/plan/"):
        response = client.get(path)
        assert response.status_code == 404 and "This link is not working" in response.content.decode()
    assert client.post(f"{ME}choose/", {}).status_code == 404


# --- The summary to keep --------------------------------------------------------------------------


def test_the_person_keeps_their_closure_summary(harbor):
    person, match = matched(harbor)
    with scopes_disabled():
        mentorship.plan_update(acting_user=None, match=match, goals="Walk every day", version=0)
        mentorship.mentorship_close(
            acting_user=harbor.user("peer"), match=match, reason="goals_met", worked_on="You walked every day."
        )
    client = me(harbor, person)
    overview = client.get(ME).content.decode()
    assert "Your earlier peer support" in overview and f"{ME}{match.pk}/summary/" in overview
    assert client.get(f"{ME}{match.pk}/")["Location"] == f"{ME}{match.pk}/summary/"
    page = client.get(f"{ME}{match.pk}/summary/")
    assert page.status_code == 200
    assert_private(page)
    text = page.content.decode()
    assert "You walked every day." in text and "Walk every day" in text and "Peer</dd>" in text
    pdf = client.get(f"{ME}{match.pk}/summary.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "no-store" in pdf["Cache-Control"]
    reader = PdfReader(io.BytesIO(pdf.content))
    assert "You walked every day." in " ".join(p.extract_text() for p in reader.pages)
    assert last("closure_summary.download").actor_role == "participant"
    # Closed: the plan is no longer edited here, and there is no invite.
    assert client.get(f"{ME}{match.pk}/plan/").status_code == 404
    assert client.get(f"{ME}{match.pk}/next-session.ics").status_code == 404


def test_the_home_page_section_follows_where_things_stand(harbor):
    with scopes_disabled():
        person = make_person(harbor, "Quinn")
    client = me(harbor, person)
    assert "Your peer supporter" not in client.get("/me/").content.decode()  # nothing asked for
    with scopes_disabled():
        make_request(harbor, person)
    assert "Choose your peer supporter" in client.get("/me/").content.decode()


def test_their_mentorship_page_costs_the_same_queries_however_many_sessions(harbor):
    person, match = matched(harbor)
    client = me(harbor, person)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{ME}{match.pk}/").status_code == 200
        return len(ctx.captured_queries)

    count()
    few = count()
    with scopes_disabled():
        for _ in range(10):
            mentorship.session_log(
                acting_user=harbor.user("peer"),
                match=match,
                occurred_at=timezone.now(),
                duration_minutes=5,
                mode="text",
            )
        mentorship.plan_update(acting_user=None, match=match, goals="\n".join(f"Goal {i}" for i in range(20)))
    assert count() == few
