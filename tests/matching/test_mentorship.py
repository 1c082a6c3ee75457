"""The mentorship itself (matching/mentorship.py and the staff page, matching/views/mentorship.py):
the support plan (both may edit, versions, encrypted), sessions as contact records, the next session
and its calendar invite (parsed back), closing with a summary (the PDF read back), anonymisation,
who may do what, bad input, audit rows and query counts."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from alongside.audit.models import AuditEvent
from alongside.matching import mentorship, services
from alongside.matching.models import ClosureSummary, Match, MatchStatus, NextSession, SupportPlan
from alongside.people import rights
from alongside.people import services as people_services
from alongside.people.models import ContactRecord, ServiceModel
from tests.matching.helpers import make_peer, make_person, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def actions(obj: Any) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=str(obj.pk)).order_by("id").values_list("action", flat=True))


def events(obj: Any) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(object_id=str(obj.pk)).order_by("id").values_list("action", "actor_role"))


def accepted(tenant: Any, name: str = "Robin", peer: Any = None) -> Match:
    """A mentorship the tenant's peer supporter has said yes to (not started yet)."""
    peer = peer or tenant.user("peer")
    from alongside.people.models import PeerProfile

    if not PeerProfile.objects.filter(organisation=tenant.organisation, user=peer).exists():
        make_peer(tenant, "Jordan", user=peer, caseload_limit=20)
    request = make_request(tenant, make_person(tenant, name))
    match = services.match_propose(acting_user=tenant.user("coordinator"), request=request, peer=peer)
    return services.match_accept(acting_user=peer, match=match)


def active(tenant: Any, name: str = "Robin") -> Match:
    match = accepted(tenant, name)
    mentorship.session_log(
        acting_user=tenant.user("peer"), match=match, occurred_at=timezone.now(), duration_minutes=45, mode="phone"
    )
    match.refresh_from_db()
    return match


def raw(table: str, column: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex])  # noqa: S608 - test, fixed names
        return str(cursor.fetchone()[0])


# --- The support plan ----------------------------------------------------------------------------


def test_the_peer_writes_the_plan_and_the_person_changes_it(harbor):
    match = accepted(harbor)
    plan = mentorship.plan_update(
        acting_user=harbor.user("peer"),
        match=match,
        goals="Sleep before midnight\nWalk on Saturdays",
        steps="Phone off at 11",
        supports="My sister\nThe Tuesday group",
        check_in_frequency="weekly",
        check_in_how="A text on Monday mornings",
        version=0,
    )
    assert plan.version == 1 and plan.updated_by == harbor.user("peer") and not plan.updated_by_person
    plan = mentorship.plan_update(
        acting_user=None,
        match=match,
        goals="Sleep before midnight\nWalk on Saturdays\nCall Mum on Sundays",
        steps=plan.steps,
        supports=plan.supports,
        check_in_frequency="weekly",
        check_in_how=plan.check_in_how,
        version=1,
    )
    assert plan.version == 2 and plan.updated_by is None and plan.updated_by_person
    assert mentorship.lines(plan.goals) == ["Sleep before midnight", "Walk on Saturdays", "Call Mum on Sundays"]
    assert events(plan) == [("support_plan.update", "peer"), ("support_plan.update", "participant")]
    # P3 at rest: the raw columns hold ciphertext only.
    for column in ("goals", "steps", "supports", "check_in_how"):
        stored = raw("matching_supportplan", column, plan.pk)
        assert "Sleep" not in stored and "Phone" not in stored and "sister" not in stored and "Monday" not in stored


def test_an_edit_on_an_older_version_is_refused_and_nothing_is_lost(harbor):
    match = accepted(harbor)
    mentorship.plan_update(acting_user=harbor.user("peer"), match=match, goals="Peer's words", version=0)
    with pytest.raises(ValidationError) as exc:
        mentorship.plan_update(acting_user=None, match=match, goals="Person's words", version=0)
    assert "changed by someone else" in exc.value.message_dict["version"][0]
    plan = mentorship.plan_of(match)
    assert plan is not None and plan.goals == "Peer's words" and plan.version == 1


def test_saving_the_same_plan_again_writes_nothing(harbor):
    match = accepted(harbor)
    plan = mentorship.plan_update(acting_user=harbor.user("peer"), match=match, goals="One", version=0)
    before = AuditEvent.objects.count()
    again = mentorship.plan_update(acting_user=harbor.user("peer"), match=match, goals="One", version=1)
    assert again.version == plan.version == 1 and AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"goals": "x" * 4001}, "goals", "under 4000 characters"),
        ({"steps": "x" * 4001}, "steps", "under 4000 characters"),
        ({"supports": "x" * 4001}, "supports", "under 4000 characters"),
        ({"check_in_how": "x" * 4001}, "check_in_how", "under 4000 characters"),
        ({"check_in_frequency": "hourly"}, "check_in_frequency", "Choose how often from the list"),
    ],
)
def test_plan_bad_input_is_refused_with_a_clear_message(harbor, fields, field, words):
    match = accepted(harbor)
    with pytest.raises(ValidationError) as exc:
        mentorship.plan_update(acting_user=harbor.user("peer"), match=match, version=0, **fields)
    assert words in exc.value.message_dict[field][0]
    assert not SupportPlan.objects.filter(match=match).exists()


def test_only_the_peer_coordinators_and_the_person_may_edit_the_plan(harbor):
    match = accepted(harbor)
    other_peer = make_peer(harbor, "Alex")
    for user in (harbor.user("supervisor"), other_peer, harbor.user("funder")):
        with pytest.raises(ValidationError) as exc:
            mentorship.plan_update(acting_user=user, match=match, goals="x", version=0)
        assert "Only the person's peer supporter, or a coordinator" in exc.value.messages[0]
    mentorship.plan_update(acting_user=harbor.user("coordinator"), match=match, goals="x", version=0)
    mentorship.plan_update(acting_user=None, match=match, goals="y", version=1)


def test_the_plan_changes_only_while_the_mentorship_goes_on(harbor):
    peer = make_peer(harbor, "Alex")
    request = make_request(harbor)
    proposed = services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=peer)
    with pytest.raises(ValidationError) as exc:
        mentorship.plan_update(acting_user=peer, match=proposed, goals="x")
    assert "only while the mentorship is going on" in exc.value.messages[0]
    match = active(harbor, "Sky")
    mentorship.mentorship_close(acting_user=harbor.user("peer"), match=match, reason="goals_met", worked_on="Good")
    with pytest.raises(ValidationError):
        mentorship.plan_update(acting_user=None, match=match, goals="x")


def test_a_restricted_record_takes_no_plan(harbor):
    match = accepted(harbor)
    match.participant.erasure_requested_at = timezone.now()
    match.participant.save(update_fields=["erasure_requested_at"])
    with pytest.raises(ValidationError) as exc:
        mentorship.plan_update(acting_user=None, match=match, goals="x")
    assert "restricted" in exc.value.messages[0]


# --- Sessions ------------------------------------------------------------------------------------


def test_the_first_session_starts_the_mentorship_from_its_time(harbor):
    match = accepted(harbor)
    when = timezone.now() - timedelta(minutes=10)
    # The peer said yes a little earlier than the session.
    Match.objects.filter(pk=match.pk).update(responded_at=when - timedelta(hours=2))
    match.refresh_from_db()
    contact = mentorship.session_log(
        acting_user=harbor.user("coordinator"),  # a coordinator logging it for the peer
        match=match,
        occurred_at=when,
        duration_minutes=50,
        mode="video",
        topics=["sleep", " work "],
        notes="Talked about the week",
    )
    match.refresh_from_db()
    assert match.status == MatchStatus.ACTIVE and match.started_at == when
    assert contact.service_model == ServiceModel.MENTORSHIP and contact.program == match.program
    assert contact.peer == match.peer and contact.participant == match.participant
    assert contact.topics == ["sleep", "work"]
    assert list(mentorship.sessions(match)) == [contact]
    assert actions(contact) == ["contact.create"] and actions(match)[-1] == "match.start"


def test_sessions_are_this_peer_in_mentorship_since_the_start(harbor):
    match = active(harbor)
    person, peer = match.participant, match.peer
    people_services.contact_record_create(  # another kind of support
        acting_user=peer,
        participant=person,
        organisation=harbor.organisation,
        service_model=ServiceModel.GROUP,
        occurred_at=timezone.now(),
        duration_minutes=60,
        mode="in_person",
    )
    people_services.contact_record_create(  # before the mentorship began
        acting_user=peer,
        participant=person,
        organisation=harbor.organisation,
        service_model=ServiceModel.MENTORSHIP,
        occurred_at=timezone.now() - timedelta(days=30),
        duration_minutes=60,
        mode="phone",
    )
    assert mentorship.sessions(match).count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"mode": "telepathy"}, "mode", "Choose how you met"),
        ({"occurred_at": "past"}, "occurred_at", "can't be before"),
        ({"occurred_at": "future"}, "occurred_at", "cannot be in the future"),
        ({"duration_minutes": 0}, "duration_minutes", ""),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes", ""),
    ],
)
def test_session_bad_input_writes_nothing(harbor, fields, field, words):
    match = accepted(harbor)
    values: dict[str, Any] = {"occurred_at": timezone.now(), "duration_minutes": 30, "mode": "phone"}
    values.update(fields)
    if values["occurred_at"] == "past":
        values["occurred_at"] = timezone.now() - timedelta(days=3)
    elif values["occurred_at"] == "future":
        values["occurred_at"] = timezone.now() + timedelta(hours=2)
    before = ContactRecord.objects.count()
    with pytest.raises(ValidationError) as exc:
        mentorship.session_log(acting_user=harbor.user("peer"), match=match, **values)
    assert words in " ".join(exc.value.message_dict[field])
    match.refresh_from_db()
    assert ContactRecord.objects.count() == before and match.status == MatchStatus.ACCEPTED


def test_no_session_while_paused_or_by_someone_else(harbor):
    match = active(harbor)
    with pytest.raises(ValidationError) as exc:
        mentorship.session_log(
            acting_user=harbor.user("supervisor"),
            match=match,
            occurred_at=timezone.now(),
            duration_minutes=5,
            mode="phone",
        )
    assert "Only the person's peer supporter" in exc.value.messages[0]
    services.match_pause(acting_user=harbor.user("peer"), match=match, reason="person_asked")
    with pytest.raises(ValidationError) as exc:
        mentorship.session_log(
            acting_user=harbor.user("peer"), match=match, occurred_at=timezone.now(), duration_minutes=5, mode="phone"
        )
    assert "paused" in exc.value.messages[0]


# --- The next session and its calendar invite ----------------------------------------------------


def parse_ics(text: str) -> list[tuple[str, str]]:
    """A tiny RFC 5545 reader: CRLF lines, unfolded, as (name with parameters, value)."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode("utf-8")) <= 75, line
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return [tuple(line.split(":", 1)) for line in logical]  # type: ignore[misc]


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def test_the_next_session_and_a_valid_calendar_invite(harbor, settings):
    settings.SITE_URL = "https://peers.example.org"
    match = active(harbor, "Marisol Quintana")
    starts = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    place = "Library, room 2; the bench by the door \\ east side, near the café " + "x" * 40
    ns = mentorship.next_session_set(
        acting_user=harbor.user("peer"),
        match=match,
        starts_at=starts,
        duration_minutes=45,
        mode="in_person",
        location=place,
    )
    assert actions(ns) == ["next_session.set"]
    assert "Library" not in raw("matching_nextsession", "location", ns.pk)
    stamp = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    props = parse_ics(mentorship.next_session_ics(ns, now=stamp))
    names = [name for name, _value in props]
    assert names[:2] == ["BEGIN", "VERSION"] and names[-1] == "END"
    values = dict(props)
    assert values["VERSION"] == "2.0" and values["PRODID"]
    begins = [v for n, v in props if n == "BEGIN"]
    ends = [v for n, v in props if n == "END"]
    assert begins == ["VCALENDAR", "VEVENT"] and ends == ["VEVENT", "VCALENDAR"]
    assert values["UID"] == f"{ns.uid}@peers.example.org"
    assert values["DTSTAMP"] == "20300102T030405Z"
    assert datetime.strptime(values["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) == starts
    assert datetime.strptime(values["DTEND"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) == starts + timedelta(minutes=45)
    assert values["SUMMARY"] == "Peer support session" and values["SEQUENCE"] == "0"
    assert unescape(values["LOCATION"]) == place
    text = mentorship.next_session_ics(ns)
    assert "Marisol" not in text and "Jordan" not in text and match.program.name not in text


def test_moving_the_session_keeps_its_calendar_identity(harbor):
    match = active(harbor)
    peer = harbor.user("peer")
    first = mentorship.next_session_set(
        acting_user=peer, match=match, starts_at=timezone.now() + timedelta(days=1), duration_minutes=30, mode="phone"
    )
    moved = mentorship.next_session_set(
        acting_user=peer, match=match, starts_at=timezone.now() + timedelta(days=2), duration_minutes=30, mode="phone"
    )
    assert moved.pk == first.pk and moved.uid == first.uid and moved.sequence == 1
    # Once it has happened, the next one is a new event.
    NextSession.objects.filter(pk=moved.pk).update(starts_at=timezone.now() - timedelta(hours=3))
    assert mentorship.next_session_of(match) is None
    later = mentorship.next_session_set(
        acting_user=peer, match=match, starts_at=timezone.now() + timedelta(days=7), duration_minutes=30, mode="phone"
    )
    assert later.uid != first.uid and later.sequence == 0


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"starts_at": None}, "starts_at", "Say when"),
        ({"starts_at": "past"}, "starts_at", "in the future"),
        ({"starts_at": "far"}, "starts_at", "within the next year"),
        ({"duration_minutes": 2}, "duration_minutes", "between 5 and 480"),
        ({"duration_minutes": "an hour"}, "duration_minutes", "between 5 and 480"),
        ({"mode": "pigeon"}, "mode", "Choose how you will meet"),
        ({"mode": "in_person", "location": ""}, "location", "Say where you will meet"),
        ({"location": "x" * 301}, "location", "under 300 characters"),
    ],
)
def test_next_session_bad_input_writes_nothing(harbor, fields, field, words):
    match = active(harbor)
    values: dict[str, Any] = {
        "starts_at": timezone.now() + timedelta(days=1),
        "duration_minutes": 60,
        "mode": "phone",
        "location": "",
    }
    values.update(fields)
    if values["starts_at"] == "past":
        values["starts_at"] = timezone.now() - timedelta(minutes=1)
    elif values["starts_at"] == "far":
        values["starts_at"] = timezone.now() + timedelta(days=400)
    with pytest.raises(ValidationError) as exc:
        mentorship.next_session_set(acting_user=harbor.user("peer"), match=match, **values)
    assert words in exc.value.message_dict[field][0]
    assert not NextSession.objects.filter(match=match).exists()


def test_the_person_cannot_set_the_next_session(harbor):
    match = active(harbor)
    with pytest.raises(ValidationError):
        mentorship.next_session_set(
            acting_user=None,  # type: ignore[arg-type]
            match=match,
            starts_at=timezone.now() + timedelta(days=1),
            duration_minutes=30,
            mode="phone",
        )


# --- Closing, with a summary the person keeps ----------------------------------------------------


def test_closing_writes_the_summary_with_the_plan_as_it_was(harbor):
    match = active(harbor)
    peer = harbor.user("peer")
    mentorship.plan_update(acting_user=None, match=match, goals="Back to work\nSleep", version=0)
    summary = mentorship.mentorship_close(
        acting_user=peer, match=match, reason="goals_met", worked_on="You found a routine that works for you."
    )
    match.refresh_from_db()
    assert match.status == MatchStatus.CLOSED and match.closed_reason == "goals_met"
    assert match.participant.assigned_peer_id is None  # off the peer's caseload
    assert summary.plan["goals"] == "Back to work\nSleep" and summary.written_by == peer
    assert actions(summary) == ["closure_summary.write"] and "match.close" in actions(match)
    assert "routine" not in raw("matching_closuresummary", "worked_on", summary.pk)
    assert "Back to work" not in raw("matching_closuresummary", "plan_snapshot", summary.pk)
    # The words may be corrected later; the snapshot stays as it was at closure.
    fixed = mentorship.closure_summary(acting_user=peer, match=match, worked_on="You found a routine.")
    assert fixed.pk == summary.pk and fixed.plan["goals"] == "Back to work\nSleep"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"worked_on": "  "}, "worked_on", "Write a few words"),
        ({"worked_on": "x" * 6001}, "worked_on", "under 6000 characters"),
        ({"reason": "bored"}, "reason", "Choose a reason"),
    ],
)
def test_closing_needs_a_reason_and_a_summary_or_nothing_changes(harbor, fields, field, words):
    match = active(harbor)
    values = {"reason": "goals_met", "worked_on": "Good work", **fields}
    with pytest.raises(ValidationError) as exc:
        mentorship.mentorship_close(acting_user=harbor.user("peer"), match=match, **values)
    assert words in exc.value.message_dict[field][0]
    match.refresh_from_db()
    assert match.status == MatchStatus.ACTIVE and not ClosureSummary.objects.exists()


def test_the_summary_pdf_reads_back(harbor):
    match = active(harbor, "Wren")
    mentorship.plan_update(
        acting_user=None, match=match, goals="Sleep before midnight", supports="My sister", version=0
    )
    summary = mentorship.mentorship_close(
        acting_user=harbor.user("peer"), match=match, reason="goals_met", worked_on="You built a steady week."
    )
    pdf = mentorship.closure_summary_pdf(match, summary)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    for words in (
        "Your time with your peer supporter",
        "You built a steady week.",
        "Sleep before midnight",
        "My sister",
    ):
        assert words in text
    assert "Wren" in text and "This is not a crisis service." in text and "988" in text
    assert reader.metadata is not None and reader.metadata.title == "Your time with your peer supporter"


def test_a_summary_only_for_a_closed_mentorship(harbor):
    match = active(harbor)
    with pytest.raises(ValidationError) as exc:
        mentorship.closure_summary(acting_user=harbor.user("peer"), match=match, worked_on="x")
    assert "when the mentorship closes" in exc.value.messages[0]


# --- Anonymisation -------------------------------------------------------------------------------


def test_anonymising_clears_plans_places_and_summaries(harbor):
    match = active(harbor)
    peer = harbor.user("peer")
    mentorship.plan_update(acting_user=peer, match=match, goals="G", steps="S", supports="P", check_in_how="H")
    ns = mentorship.next_session_set(
        acting_user=peer,
        match=match,
        starts_at=timezone.now() + timedelta(days=1),
        duration_minutes=30,
        mode="in_person",
        location="Home",
    )
    summary = mentorship.mentorship_close(acting_user=peer, match=match, reason="goals_met", worked_on="Words")
    rights.participant_anonymise(acting_user=harbor.user("admin"), participant=match.participant)
    plan = SupportPlan.objects.get(match=match)
    ns.refresh_from_db()
    summary.refresh_from_db()
    assert (plan.goals, plan.steps, plan.supports, plan.check_in_how, plan.check_in_frequency) == ("", "", "", "", "")
    assert plan.version == 1  # the row stays for counts
    assert ns.location == "" and summary.worked_on == "" and summary.plan_snapshot == ""


# --- The staff page ------------------------------------------------------------------------------


def url(match: Match, suffix: str = "") -> str:
    return f"/app/{match.organisation.slug}/mentorships/{match.pk}/{suffix}"


def test_the_peer_sees_their_mentorship_and_the_read_is_logged(harbor, login_as):
    match = active(harbor, "Robin")
    mentorship.plan_update(acting_user=None, match=match, goals="Walk on Saturdays", version=0)
    response = login_as(harbor.user("peer")).get(url(match))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Mentorship with Robin" in text and "Walk on Saturdays" in text and "Log a session" in text
    assert "Last changed by Robin" in text
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action="mentorship.view", object_id=str(match.pk)).count() == 1


def test_who_sees_the_page(harbor, riverbend, login_as):
    match = active(harbor)
    other_peer = make_peer(harbor, "Alex")
    assert login_as(other_peer).get(url(match)).status_code == 404  # not their mentorship
    assert login_as(riverbend.user("admin")).get(url(match)).status_code == 404
    assert login_as(harbor.user("funder")).get(url(match)).status_code == 403
    assert login_as(harbor.user("referrer")).get(url(match)).status_code == 403
    for role in ("admin", "coordinator"):
        assert "Edit the support plan" in login_as(harbor.user(role)).get(url(match)).content.decode()
    # The supervisor of the peer reads; no forms, and a write is refused.
    supervisor = login_as(harbor.user("supervisor"))
    text = supervisor.get(url(match)).content.decode()
    assert "Mentorship with" in text and "Edit the support plan" not in text and "Log a session" not in text
    assert supervisor.post(url(match, "plan/"), {"goals": "x", "version": "0"}).status_code == 403
    missing = url(match).replace(str(match.pk), "00000000-0000-0000-0000-000000000000")
    assert login_as(harbor.user("peer")).get(missing).status_code == 404
    assert login_as(harbor.user("peer")).get("/app/harbor/mentorships/not-a-uuid/").status_code == 404


def test_plan_form_saves_and_bad_input_says_what_to_fix(harbor, login_as):
    match = active(harbor)
    client = login_as(harbor.user("peer"))
    response = client.post(url(match, "plan/"), {"goals": "One\nTwo", "check_in_frequency": "weekly", "version": "0"})
    assert response.status_code == 302 and response["Location"] == url(match)
    assert mentorship.plan_of(match).goals == "One\nTwo"  # type: ignore[union-attr]
    bad = client.post(url(match, "plan/"), {"goals": "x", "check_in_frequency": "hourly", "version": "1"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    missing_version = client.post(url(match, "plan/"), {"goals": "x"})
    assert missing_version.status_code == 400
    stale = client.post(url(match, "plan/"), {"goals": "Mine", "version": "0"})
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()
    assert mentorship.plan_of(match).goals == "One\nTwo"  # type: ignore[union-attr]


def test_log_a_session_from_the_page(harbor, login_as):
    match = accepted(harbor)
    Match.objects.filter(pk=match.pk).update(responded_at=timezone.now() - timedelta(hours=1))
    client = login_as(harbor.user("peer"))
    # The form reads the time in the organisation's zone.
    local = timezone.localtime(timezone.now() - timedelta(minutes=1), ZoneInfo(harbor.organisation.timezone))
    ok = client.post(
        url(match, "sessions/"),
        {"occurred_at": local.strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "40", "mode": "video", "topics": "a, b"},
    )
    assert ok.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.ACTIVE
    [session] = mentorship.sessions(match)
    assert session.duration_minutes == 40 and session.topics == ["a", "b"]
    bad = client.post(url(match, "sessions/"), {"occurred_at": "yesterday", "duration_minutes": "-3", "mode": "x"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Enter a valid date/time" in text and "Select a valid choice" in text
    assert mentorship.sessions(match).count() == 1


def test_next_session_form_and_invite_download(harbor, login_as):
    match = active(harbor)
    client = login_as(harbor.user("peer"))
    local = timezone.localtime(timezone.now() + timedelta(days=2), ZoneInfo(harbor.organisation.timezone))
    response = client.post(
        url(match, "next-session/"),
        {
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "mode": "video",
            "location": "https://meet.example.org/abc",
        },
    )
    assert response.status_code == 302
    page = client.get(url(match)).content.decode()
    assert "https://meet.example.org/abc" in page and "Add to your calendar (.ics)" in page
    ics = client.get(url(match, "next-session.ics"))
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert ics["Content-Disposition"].startswith("attachment;")
    values = dict(parse_ics(ics.content.decode()))
    assert values["LOCATION"] == "https://meet.example.org/abc" and values["SUMMARY"] == "Peer support session"
    ns = NextSession.objects.get(match=match)
    assert actions(ns) == ["next_session.set", "next_session.download"]
    past = timezone.localtime(timezone.now() - timedelta(days=1), ZoneInfo(harbor.organisation.timezone))
    bad = client.post(
        url(match, "next-session/"),
        {"starts_at": past.strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "60", "mode": "in_person"},
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "has to be in the future" in text and "Say where you will meet" in text
    nothing = client.post(url(match, "next-session/"), {})
    assert nothing.status_code == 400 and "This field is required" in nothing.content.decode()


def test_no_invite_without_a_next_session(harbor, login_as):
    match = active(harbor)
    assert login_as(harbor.user("peer")).get(url(match, "next-session.ics")).status_code == 404


def test_pause_resume_and_close_from_the_page(harbor, login_as):
    match = active(harbor, "Robin")
    client = login_as(harbor.user("peer"))
    assert client.post(url(match, "pause/"), {"reason": "nope"}).status_code == 400
    assert client.post(url(match, "pause/"), {"reason": "person_asked"}).status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.PAUSED
    assert "resume it to log a session" in client.get(url(match)).content.decode()
    assert client.post(url(match, "resume/")).status_code == 302
    assert client.post(url(match, "resume/")).status_code == 400  # already going again
    close_page = client.get(url(match, "close/"))
    assert close_page.status_code == 200 and "keeps a summary" in close_page.content.decode()
    bad = client.post(url(match, "close/"), {"reason": "goals_met", "worked_on": ""})
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    match.refresh_from_db()
    assert match.status == MatchStatus.ACTIVE
    done = client.post(url(match, "close/"), {"reason": "goals_met", "worked_on": "You found your feet."})
    assert done.status_code == 302
    page = client.get(url(match))
    assert page.status_code == 200  # the peer still reads their closed mentorship
    assert "You found your feet." in page.content.decode() and "Closure summary" in page.content.decode()
    pdf = client.get(url(match, "summary.pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(url(match, "close/")).status_code == 404  # nothing left to close


def test_the_staff_page_query_count_does_not_grow(harbor, login_as):
    match = active(harbor)
    peer = harbor.user("peer")
    mentorship.plan_update(acting_user=peer, match=match, goals="x", version=0)
    mentorship.next_session_set(
        acting_user=peer, match=match, starts_at=timezone.now() + timedelta(days=1), duration_minutes=30, mode="phone"
    )
    client = login_as(peer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(match)).status_code == 200
        return len(ctx.captured_queries)

    count()  # the first visit also writes the session
    few = count()
    for _ in range(12):
        mentorship.session_log(
            acting_user=peer, match=match, occurred_at=timezone.now(), duration_minutes=5, mode="text"
        )
    assert count() == few


def test_profile_and_caseload_link_to_the_mentorship(harbor, login_as):
    match = active(harbor, "Robin")
    client = login_as(harbor.user("peer"))
    profile = client.get(f"/app/harbor/people/{match.participant_id}/").content.decode()
    assert url(match) in profile
    caseload = client.get("/app/harbor/caseload/").content.decode()
    assert url(match) in caseload and "Mentorship with Robin" in caseload
    # Another peer's caseload does not list it.
    other = make_peer(harbor, "Alex")
    assert url(match) not in login_as(other).get("/app/harbor/caseload/").content.decode()


def test_a_supervisor_sees_only_their_teams_mentorships(harbor, login_as):
    match = active(harbor)
    other_supervisor = make_peer(harbor, "Lee")  # an account...
    from alongside.accounts import services as account_services

    account_services.membership_grant(
        acting_user=None, organisation=harbor.organisation, user=other_supervisor, role="supervisor"
    )
    # ...who supervises nobody: the mentorship looks missing to them.
    assert login_as(other_supervisor).get(url(match)).status_code == 404
    assert login_as(harbor.user("supervisor")).get(url(match)).status_code == 200


def test_plans_sessions_and_summaries_follow_the_person(harbor):
    """Each row names the person, so merging two records moves them and the person's access history
    (people.rights) lists what happened to them."""
    match = active(harbor)
    peer = harbor.user("peer")
    plan = mentorship.plan_update(acting_user=peer, match=match, goals="G", version=0)
    ns = mentorship.next_session_set(
        acting_user=peer, match=match, starts_at=timezone.now() + timedelta(days=1), duration_minutes=30, mode="phone"
    )
    summary = mentorship.mentorship_close(acting_user=peer, match=match, reason="goals_met", worked_on="Words")
    assert plan.participant == ns.participant == summary.participant == match.participant
    history = {e.action for e in rights.access_history(match.participant)}
    assert {"support_plan.update", "next_session.set", "closure_summary.write", "match.close"} <= history
    keep = make_person(harbor, "Kept")
    people_services.participant_merge(acting_user=harbor.user("coordinator"), keep=keep, duplicate=match.participant)
    for row in (plan, ns, summary):
        row.refresh_from_db()
        assert row.participant_id == keep.pk


def test_the_persons_export_holds_their_requests_and_mentorship_with_the_plan(harbor, login_as):
    from pypdf import PdfReader as Reader

    match = active(harbor)
    mentorship.plan_update(acting_user=harbor.user("peer"), match=match, goals="Sleep better before exams", version=0)
    person = match.participant
    data = people_services.participant_export(acting_user=harbor.user("coordinator"), participant=person)
    assert {"match_requests", "mentorships"} <= {m["key"] for m in data["more"]}  # other apps add theirs
    assert data["match_requests"][0]["program"] == harbor.program.name
    (row,) = data["mentorships"]
    assert row["plan_goals"] == "Sleep better before exams" and row["status"] == "Active"

    client = login_as(harbor.user("coordinator"))
    url = f"/app/{harbor.organisation.slug}/people/{person.pk}/export/"
    page = client.get(url).content.decode()
    assert "Mentorships" in page and "Sleep better before exams" in page
    pdf = client.get(url + "?format=pdf")
    text = "".join(p.extract_text() for p in Reader(io.BytesIO(pdf.content)).pages)
    assert "Sleep better before exams" in text and "Requests for a peer supporter" in text
