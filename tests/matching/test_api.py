"""``/api/v1/organisations/{slug}/match-requests`` and ``/matches``: who may do what (roles, the
record scope, a peer supporter only their own), creates with bad input per field (400 naming it,
nothing written) and Idempotency-Key, suggestions with reasons (a logged read), each lifecycle
step (409 when not possible from where it stands), query budgets, isolation, and a schemathesis
run over these operations with real ids."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from alongside.accounts.models import User
from alongside.audit.models import AuditEvent
from alongside.matching import services
from alongside.matching.models import Match, MatchRequest, MatchStatus, RequestStatus
from alongside.people import services as people_services
from alongside.people.models import Participant
from tests.api.helpers import API, ApiClient, make_token
from tests.conftest import ROLES, Tenant
from tests.matching.helpers import make_peer, make_person, make_request, terms

pytestmark = pytest.mark.django_db

ApiAs = Callable[[User], ApiClient]
NOTE = "Would rather not talk about the hospital stay"
KEY = "0b6f7c1e-2a55-4b0e-9d0e-0c1a7e2b9d12"


@pytest.fixture(autouse=True)
def _unscoped() -> Iterator[None]:
    with scopes_disabled():
        yield


@pytest.fixture
def api_as(db: object) -> ApiAs:
    return lambda user: ApiClient(make_token(user))


@pytest.fixture
def coordinator(harbor: Tenant, api_as: ApiAs) -> ApiClient:
    return api_as(harbor.user("coordinator"))


@pytest.fixture
def pat(harbor: Tenant) -> User:
    """Harbor's peer supporter, with a profile."""
    return make_peer(harbor, "Pat", user=harbor.user("peer"), languages=("en", "es"))


def requests_url(slug: str = "harbor") -> str:
    return f"{API}/organisations/{slug}/match-requests"


def request_url(request_id: Any, slug: str = "harbor", step: str = "") -> str:
    return f"{requests_url(slug)}/{request_id}" + (f"/{step}" if step else "")


def matches_url(slug: str = "harbor") -> str:
    return f"{API}/organisations/{slug}/matches"


def match_url(match_id: Any, slug: str = "harbor", step: str = "") -> str:
    return f"{matches_url(slug)}/{match_id}" + (f"/{step}" if step else "")


def body(tenant: Tenant, person: Participant, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "participant_id": str(person.pk),
        "program_id": str(tenant.program.pk),
        "languages": ["en"],
        "modalities": ["phone"],
    }
    data.update(overrides)
    return data


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def new_actions(since: int) -> list[tuple[str, str]]:
    return [(e.action, e.object_id) for e in AuditEvent.objects.filter(id__gt=since).order_by("id")]


def propose(tenant: Tenant, peer: User, name: str = "Robin Quinn", **fields: Any) -> Match:
    request = make_request(tenant, make_person(tenant, name), **fields)
    return services.match_propose(acting_user=tenant.user("coordinator"), request=request, peer=peer)


def assert_field_error(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    data = response.json()
    assert field in data["errors"], data


# --- Authentication and roles --------------------------------------------------------------------


def test_no_token_is_401_everywhere_and_writes_nothing(harbor: Tenant, pat: User) -> None:
    match = propose(harbor, pat)
    anonymous = ApiClient()
    before = last_audit_id()
    for path in (requests_url(), request_url(match.request_id), request_url(match.request_id, step="suggestions")):
        assert anonymous.get(path).status_code == 401
    for path in (matches_url(), match_url(match.pk)):
        assert anonymous.get(path).status_code == 401
    assert anonymous.post(requests_url(), body(harbor, match.participant)).status_code == 401
    assert anonymous.post(match_url(match.pk, step="accept"), {}).status_code == 401
    assert last_audit_id() == before


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_requests_and_matches(harbor: Tenant, pat: User, api_as: ApiAs, role: str) -> None:
    match = propose(harbor, pat)
    client = api_as(harbor.user(role))
    staff = role in {"admin", "coordinator"}
    assert client.get(requests_url()).status_code == (200 if staff else 403)
    assert client.get(request_url(match.request_id)).status_code == (200 if staff else 403)
    response = client.get(matches_url())
    assert response.status_code == (200 if role in {"admin", "coordinator", "supervisor", "peer"} else 403)
    if response.status_code == 200:
        # Pat is the peer supporter, supervised by harbor's supervisor: all four see the proposal.
        assert [m["id"] for m in response.json()["items"]] == [str(match.pk)]


def test_the_outsider_gets_404_identical_to_missing(harbor: Tenant, riverbend: Tenant, pat: User) -> None:
    match = propose(harbor, pat)
    outsider = ApiClient(make_token(riverbend.user("admin")))
    missing = str(uuid.uuid4())
    for path in (request_url(match.request_id), request_url(match.request_id, step="suggestions")):
        foreign = outsider.get(path)
        assert (
            foreign.status_code == 404
            and foreign.json() == outsider.get(path.replace(str(match.request_id), missing)).json()
        )
    # Under riverbend's own prefix, harbor's objects look missing too.
    for path in (
        request_url(match.request_id, "riverbend"),
        match_url(match.pk, "riverbend"),
    ):
        assert outsider.get(path).status_code == 404
    response = outsider.post(match_url(match.pk, "riverbend", "accept"), {})
    assert response.status_code == 404
    assert Match.objects.get(pk=match.pk).status == MatchStatus.PROPOSED


# --- Requests ------------------------------------------------------------------------------------


def test_a_coordinator_makes_a_request(harbor: Tenant, coordinator: ApiClient) -> None:
    person = make_person(harbor, "Robin", matching=("Alcohol", "Anxiety"))
    alcohol = terms(harbor)["Alcohol"]
    data = body(
        harbor,
        person,
        experience_ids=[str(alcohol.pk)],
        languages=["en", "es"],
        age_band="26_64",
        gender_preference=["woman"],
        gender_required=True,
        specialties=["recovery"],
        modalities=["in_person", "video"],
        latitude=43.6615,
        longitude=-70.2553,
        travel_km=15,
        availability={"tue": ["evening"], "sat": ["morning"]},
        note=NOTE,
    )
    response = coordinator.post(requests_url(), data)
    assert response.status_code == 201, response.content
    out = response.json()
    request = MatchRequest.objects.get(participant=person)
    assert out["id"] == str(request.pk) and out["status"] == "waiting" and out["made_by"] == "coordinator"
    assert out["experience_ids"] == [str(alcohol.pk)] and out["note"] == NOTE
    assert out["has_location"] is True and "latitude" not in out  # the location is never shown
    assert out["availability"] == {"tue": ["evening"], "sat": ["morning"]}
    assert (str(request.latitude), request.travel_km, request.gender_required) == ("43.66", 15, True)
    assert AuditEvent.objects.filter(action="match_request.create", object_id=str(request.pk)).count() == 1
    assert "no-store" in response["Cache-Control"]


BAD_REQUESTS = [
    ({"participant_id": "not-a-uuid"}, "participant_id"),
    ({"program_id": None}, "program_id"),
    ({"languages": ["xx"]}, "languages"),
    ({"languages": ["en"] * 21}, "languages"),
    ({"age_band": "ancient"}, "age_band"),
    ({"gender_preference": ["robot"]}, "gender_preference"),
    ({"gender_required": True}, "gender_required"),
    ({"gender_required": "yes"}, "gender_required"),
    ({"specialties": ["astrology"]}, "specialties"),
    ({"modalities": []}, "modalities"),
    ({"modalities": ["carrier_pigeon"]}, "modalities"),
    ({"modalities": ["in_person"]}, "latitude"),
    ({"latitude": 100, "longitude": 0}, "latitude"),
    ({"latitude": 10}, "latitude"),
    ({"longitude": 200, "latitude": 0}, "longitude"),
    ({"travel_km": 0}, "travel_km"),
    ({"travel_km": 301}, "travel_km"),
    ({"availability": {"someday": ["evening"]}}, "availability.someday.[key]"),
    ({"availability": {"tue": ["midnight"]}}, "availability.tue.0"),
    ({"note": "x" * 2001}, "note"),
    ({"note": "nul\x00"}, "note"),
    ({"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_REQUESTS, ids=[f for _o, f in BAD_REQUESTS])
def test_bad_request_is_400_naming_the_field_and_writes_nothing(
    harbor: Tenant, coordinator: ApiClient, overrides: dict[str, Any], field: str
) -> None:
    person = make_person(harbor, "Robin")
    before = last_audit_id()
    assert_field_error(coordinator.post(requests_url(), body(harbor, person, **overrides)), field)
    assert not MatchRequest.objects.filter(participant=person).exists()
    assert last_audit_id() == before


def test_people_programs_and_experiences_must_be_ones_the_caller_may_name(
    harbor: Tenant, riverbend: Tenant, coordinator: ApiClient
) -> None:
    person = make_person(harbor, "Robin", matching=("Alcohol",), private=("Anxiety",))
    stranger = make_person(riverbend, "Stranger")
    from alongside.accounts.models import Program

    groups = Program.objects.create(organisation=harbor.organisation, name="Circles", offers_groups=True)
    cases = [
        (body(harbor, stranger), "participant_id"),
        (body(harbor, person, participant_id=str(uuid.uuid4())), "participant_id"),
        (body(harbor, person, program_id=str(riverbend.program.pk)), "program_id"),
        (body(harbor, person, program_id=str(groups.pk)), "program_id"),
        (body(harbor, person, experience_ids=[str(terms(harbor)["Anxiety"].pk)]), "experience_ids"),
        (body(harbor, person, experience_ids=[str(terms(riverbend)["Alcohol"].pk)]), "experience_ids"),
    ]
    for data, field in cases:
        assert_field_error(coordinator.post(requests_url(), data), field)
    assert not MatchRequest.objects.exists()


def test_a_second_open_request_is_a_conflict(harbor: Tenant, coordinator: ApiClient) -> None:
    request = make_request(harbor)
    response = coordinator.post(requests_url(), body(harbor, request.participant))
    assert response.status_code == 409 and "program_id" in response.json()["errors"]
    assert MatchRequest.objects.count() == 1


def test_a_closed_or_restricted_record_is_refused(harbor: Tenant, coordinator: ApiClient) -> None:
    person = make_person(harbor, "Robin")
    people_services.participant_set_status(
        acting_user=harbor.user("coordinator"), participant=person, status="closed", closed_reason="goals_met"
    )
    assert_field_error(coordinator.post(requests_url(), body(harbor, person)), "participant_id")


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", ""])
def test_a_body_that_is_not_an_object_is_400(harbor: Tenant, coordinator: ApiClient, raw: str) -> None:
    response = coordinator.post(requests_url(), raw)
    assert response.status_code == 400 and response.json()["errors"]


def test_who_may_make_a_request(harbor: Tenant, api_as: ApiAs) -> None:
    person = make_person(harbor, "Robin")
    for role in ROLES:
        status = api_as(harbor.user(role)).post(requests_url(), body(harbor, person)).status_code
        if role in {"admin", "coordinator"}:
            assert status in (201, 409), role
        else:
            assert status == 403, role
    assert MatchRequest.objects.count() == 1


def test_retry_with_the_same_key_creates_once(harbor: Tenant, coordinator: ApiClient) -> None:
    person = make_person(harbor, "Robin")
    first = coordinator.post(requests_url(), body(harbor, person), HTTP_IDEMPOTENCY_KEY=KEY)
    again = coordinator.post(requests_url(), body(harbor, person), HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert MatchRequest.objects.count() == 1
    other = coordinator.post(requests_url(), body(harbor, person, languages=["es"]), HTTP_IDEMPOTENCY_KEY=KEY)
    assert other.status_code == 422


def test_list_filters_pages_and_leaves_the_note_out(harbor: Tenant, coordinator: ApiClient) -> None:
    first = make_request(harbor, make_person(harbor, "First"), note=NOTE)
    second = make_request(harbor, make_person(harbor, "Second"))
    services.match_request_withdraw(acting_user=harbor.user("coordinator"), request=second)
    before = last_audit_id()
    data = coordinator.get(requests_url()).json()
    assert data["count"] == 2 and [i["id"] for i in data["items"]] == [str(first.pk), str(second.pk)]
    assert "note" not in data["items"][0] and NOTE not in json.dumps(data)
    assert [i["id"] for i in coordinator.get(requests_url(), {"status": "waiting"}).json()["items"]] == [str(first.pk)]
    assert coordinator.get(requests_url(), {"participant": str(second.participant_id)}).json()["count"] == 1
    assert coordinator.get(requests_url(), {"program": str(uuid.uuid4())}).json()["count"] == 0
    page = coordinator.get(requests_url(), {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [i["id"] for i in page["items"]] == [str(second.pk)]
    assert last_audit_id() == before  # lists show no P3
    for params, field in [({"status": "sleeping"}, "status"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset")]:
        assert_field_error(coordinator.get(requests_url(), params), field)


def test_reading_one_request_is_logged(harbor: Tenant, coordinator: ApiClient) -> None:
    request = make_request(harbor, note=NOTE)
    before = last_audit_id()
    data = coordinator.get(request_url(request.pk)).json()
    assert data["note"] == NOTE and data["experience_ids"] == [str(terms(harbor)["Alcohol"].pk)]
    assert new_actions(before) == [("match_request.view", str(request.pk))]
    assert_field_error(coordinator.get(request_url("not-a-uuid")), "request_id")


def test_withdraw_then_withdraw_again_is_a_conflict(harbor: Tenant, pat: User, coordinator: ApiClient) -> None:
    match = propose(harbor, pat)
    response = coordinator.post(request_url(match.request_id, step="withdraw"), {})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert Match.objects.get(pk=match.pk).status == MatchStatus.WITHDRAWN
    again = coordinator.post(request_url(match.request_id, step="withdraw"), {})
    assert again.status_code == 409 and "request" in again.json()["errors"]


# --- Suggestions ---------------------------------------------------------------------------------


def test_suggestions_come_with_reasons_and_the_read_is_logged(harbor: Tenant, coordinator: ApiClient) -> None:
    dana = make_peer(harbor, "Dana", shared=("Alcohol",))
    eli = make_peer(harbor, "Eli", shared=("Anxiety",))
    make_peer(harbor, "Far", languages=("vi",))
    request = make_request(harbor)
    before = last_audit_id()
    data = coordinator.get(request_url(request.pk, step="suggestions")).json()
    assert [i["peer_id"] for i in data["items"]] == [str(dana.pk), str(eli.pk)]
    top = data["items"][0]
    assert top["first_name"] == "Dana" and top["bio"] == "I'm Dana."
    assert {"kind": "experience", "items": [str(terms(harbor)["Alcohol"].pk)]} in top["reasons"]
    assert top["explanation"].startswith("You both shared Alcohol")
    assert new_actions(before) == [("match_request.view_suggestions", str(request.pk))]
    assert len(coordinator.get(request_url(request.pk, step="suggestions"), {"limit": 1}).json()["items"]) == 1
    for limit in (0, 21, "many"):
        assert_field_error(coordinator.get(request_url(request.pk, step="suggestions"), {"limit": limit}), "limit")


def test_suggestions_for_a_request_already_asked_is_a_conflict(harbor: Tenant, pat: User, api_as: ApiAs) -> None:
    match = propose(harbor, pat)
    response = api_as(harbor.user("admin")).get(request_url(match.request_id, step="suggestions"))
    assert response.status_code == 409


# --- Proposing -----------------------------------------------------------------------------------


def test_a_coordinator_proposes(harbor: Tenant, pat: User, coordinator: ApiClient) -> None:
    request = make_request(harbor)
    response = coordinator.post(matches_url(), {"request_id": str(request.pk), "peer_id": str(pat.pk)})
    assert response.status_code == 201, response.content
    data = response.json()
    match = Match.objects.get(request=request)
    assert data["id"] == str(match.pk) and data["status"] == "proposed" and data["proposed_via"] == "coordinator"
    assert data["peer_first_name"] == "Peer" and data["participant_first_name"] == "Robin"
    assert data["score"] == match.score / 100 and data["explanation"].startswith("You both shared Alcohol")
    assert MatchRequest.objects.get(pk=request.pk).status == RequestStatus.SUGGESTED


def test_proposing_twice_is_a_conflict_and_the_same_key_replays(
    harbor: Tenant, pat: User, coordinator: ApiClient
) -> None:
    request = make_request(harbor)
    data = {"request_id": str(request.pk), "peer_id": str(pat.pk)}
    first = coordinator.post(matches_url(), data, HTTP_IDEMPOTENCY_KEY=KEY)
    replay = coordinator.post(matches_url(), data, HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == replay.status_code == 201 and first.json() == replay.json()
    again = coordinator.post(matches_url(), data)
    assert again.status_code == 409 and "request" in again.json()["errors"]
    assert Match.objects.count() == 1


def test_proposing_an_unsuitable_peer_is_400_naming_the_peer(
    harbor: Tenant, riverbend: Tenant, coordinator: ApiClient
) -> None:
    full = make_peer(harbor, "Full", caseload_limit=0)
    other_language = make_peer(harbor, "Vi", languages=("vi",))
    foreign = make_peer(riverbend, "Rivera")
    request = make_request(harbor)
    for peer_id, words in [
        (full.pk, "no room"),
        (other_language.pk, "do not share a language"),
        (foreign.pk, "Choose a peer supporter of this organisation"),
        (harbor.user("coordinator").pk, "Choose a peer supporter of this organisation"),
        (uuid.uuid4(), "Choose a peer supporter of this organisation"),
    ]:
        response = coordinator.post(matches_url(), {"request_id": str(request.pk), "peer_id": str(peer_id)})
        assert_field_error(response, "peer_id")
        assert words in " ".join(response.json()["errors"]["peer_id"])
    foreign_request = make_request(riverbend)
    response = coordinator.post(matches_url(), {"request_id": str(foreign_request.pk), "peer_id": str(full.pk)})
    assert_field_error(response, "request_id")
    for bad in (
        {},
        {"request_id": "x", "peer_id": str(full.pk)},
        {"request_id": str(request.pk), "peer_id": str(full.pk), "via": "batch"},
    ):
        assert coordinator.post(matches_url(), bad).status_code == 400
    assert not Match.objects.exists()


@pytest.mark.parametrize("role", ["supervisor", "peer", "referrer", "funder"])
def test_only_coordinators_and_admins_propose(harbor: Tenant, pat: User, api_as: ApiAs, role: str) -> None:
    request = make_request(harbor)
    response = api_as(harbor.user(role)).post(matches_url(), {"request_id": str(request.pk), "peer_id": str(pat.pk)})
    assert response.status_code == 403
    assert not Match.objects.exists()


# --- Matches: reading ----------------------------------------------------------------------------


def test_each_sees_the_matches_in_their_scope(harbor: Tenant, pat: User, api_as: ApiAs) -> None:
    mine = propose(harbor, pat, "Mine Person")
    other_peer = make_peer(harbor, "Other")
    theirs = propose(harbor, other_peer, "Theirs Person")
    seen = {
        role: {i["id"] for i in api_as(harbor.user(role)).get(matches_url()).json()["items"]}
        for role in ("admin", "coordinator", "supervisor", "peer")
    }
    assert seen["admin"] == seen["coordinator"] == {str(mine.pk), str(theirs.pk)}
    assert seen["supervisor"] == seen["peer"] == {str(mine.pk)}  # the supervisor supervises Pat only
    peer = api_as(harbor.user("peer"))
    assert peer.get(match_url(theirs.pk)).status_code == 404
    assert peer.get(match_url(theirs.pk)).json() == peer.get(match_url(uuid.uuid4())).json()


def test_match_list_filters(harbor: Tenant, pat: User, coordinator: ApiClient) -> None:
    first = propose(harbor, pat, "First")
    second = propose(harbor, make_peer(harbor, "Dana"), "Second")
    services.match_decline(acting_user=harbor.user("coordinator"), match=second, reason="other")
    assert coordinator.get(matches_url(), {"status": "proposed"}).json()["count"] == 1
    assert coordinator.get(matches_url(), {"peer": str(pat.pk)}).json()["items"][0]["id"] == str(first.pk)
    assert coordinator.get(matches_url(), {"request": str(second.request_id)}).json()["count"] == 1
    assert coordinator.get(matches_url(), {"program": str(harbor.program.pk)}).json()["count"] == 2
    for params, field in [({"status": "dating"}, "status"), ({"peer": "pat"}, "peer"), ({"limit": 1000}, "limit")]:
        assert_field_error(coordinator.get(matches_url(), params), field)


def test_reading_a_match_shows_reasons_from_the_readers_side_and_is_logged(
    harbor: Tenant, pat: User, api_as: ApiAs
) -> None:
    match = propose(harbor, pat, specialties=["recovery"], languages=["es"])
    peer = api_as(harbor.user("peer"))
    before = last_audit_id()
    data = peer.get(match_url(match.pk)).json()
    assert new_actions(before) == [("match.view", str(match.pk))]
    assert data["explanation"].startswith("You both shared Alcohol; you both speak Spanish")
    assert "note" not in data
    coordinator_view = api_as(harbor.user("coordinator")).get(match_url(match.pk)).json()
    assert coordinator_view["reasons"] == data["reasons"]
    assert_field_error(peer.get(match_url("not-a-uuid")), "match_id")


# --- Matches: the steps --------------------------------------------------------------------------


def test_the_peer_accepts_their_own_proposal(harbor: Tenant, pat: User, api_as: ApiAs) -> None:
    match = propose(harbor, pat)
    peer = api_as(harbor.user("peer"))
    response = peer.post(match_url(match.pk, step="accept"), {})
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert Participant.objects.get(pk=match.participant_id).assigned_peer == pat
    again = peer.post(match_url(match.pk, step="accept"), {})
    assert again.status_code == 409 and "match" in again.json()["errors"]


def test_others_may_not_answer_for_the_peer(harbor: Tenant, pat: User, api_as: ApiAs) -> None:
    match = propose(harbor, pat)
    other = make_peer(harbor, "Other")
    other_client = ApiClient(make_token(other))
    # Another peer supporter cannot see it; the supervisor sees it but may not answer.
    assert other_client.post(match_url(match.pk, step="accept"), {}).status_code == 404
    assert api_as(harbor.user("supervisor")).post(match_url(match.pk, step="accept"), {}).status_code == 403
    for role in ("referrer", "funder"):
        assert api_as(harbor.user(role)).post(match_url(match.pk, step="accept"), {}).status_code == 403
    assert Match.objects.get(pk=match.pk).status == MatchStatus.PROPOSED
    # A coordinator may record the peer's answer for them.
    response = api_as(harbor.user("coordinator")).post(match_url(match.pk, step="decline"), {"reason": "at_capacity"})
    assert response.status_code == 200 and response.json()["decline_reason"] == "at_capacity"


@pytest.mark.parametrize(
    ("payload", "stored"), [({}, "other"), ({"reason": ""}, "other"), ({"reason": "conflict"}, "conflict")]
)
def test_declining_with_or_without_a_reason(
    harbor: Tenant, pat: User, api_as: ApiAs, payload: dict[str, str], stored: str
) -> None:
    match = propose(harbor, pat)
    response = api_as(harbor.user("peer")).post(match_url(match.pk, step="decline"), payload)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decline_reason"]) == ("declined_by_peer", stored)
    assert MatchRequest.objects.get(pk=match.request_id).status == RequestStatus.WAITING


@pytest.mark.parametrize(
    ("step", "payload"),
    [
        ("decline", {"reason": "bored"}),
        ("decline", {"why": "x"}),
        ("pause", {}),
        ("pause", {"reason": "nap"}),
        ("close", {"reason": ""}),
    ],
)
def test_bad_step_bodies_are_400(harbor: Tenant, pat: User, coordinator: ApiClient, step: str, payload: Any) -> None:
    match = propose(harbor, pat)
    response = coordinator.post(match_url(match.pk, step=step), payload)
    assert response.status_code == 400
    assert Match.objects.get(pk=match.pk).status == MatchStatus.PROPOSED


def test_the_whole_lifecycle(harbor: Tenant, pat: User, api_as: ApiAs) -> None:
    match = propose(harbor, pat)
    peer, coordinator = api_as(harbor.user("peer")), api_as(harbor.user("coordinator"))
    assert peer.post(match_url(match.pk, step="pause"), {"reason": "other"}).status_code == 409
    assert peer.post(match_url(match.pk, step="accept"), {}).json()["status"] == "accepted"
    assert peer.post(match_url(match.pk, step="start"), {}).json()["status"] == "active"
    paused = peer.post(match_url(match.pk, step="pause"), {"reason": "peer_unavailable"}).json()
    assert (paused["status"], paused["pause_reason"]) == ("paused", "peer_unavailable")
    assert coordinator.post(match_url(match.pk, step="resume"), {}).json()["status"] == "active"
    closed = coordinator.post(match_url(match.pk, step="close"), {"reason": "goals_met"}).json()
    assert (closed["status"], closed["closed_reason"]) == ("closed", "goals_met")
    assert Participant.objects.get(pk=match.participant_id).assigned_peer is None
    assert coordinator.post(match_url(match.pk, step="close"), {"reason": "goals_met"}).status_code == 409
    actions = [a for a, _o in new_actions(0) if a.startswith("match.")]
    assert actions[-5:] == ["match.accept", "match.start", "match.pause", "match.resume", "match.close"]


def test_asking_for_a_different_peer_is_recorded_by_a_coordinator(harbor: Tenant, pat: User, api_as: ApiAs) -> None:
    match = propose(harbor, pat)
    services.match_accept(acting_user=pat, match=match)
    assert api_as(harbor.user("peer")).post(match_url(match.pk, step="change-peer"), {}).status_code == 403
    response = api_as(harbor.user("coordinator")).post(match_url(match.pk, step="change-peer"), {})
    assert response.status_code == 200 and response.json()["status"] == "changed_by_person"
    assert MatchRequest.objects.get(pk=match.request_id).status == RequestStatus.WAITING
    assert api_as(harbor.user("coordinator")).post(match_url(match.pk, step="change-peer"), {}).status_code == 409


# --- Query budgets -------------------------------------------------------------------------------


def _queries(client: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_counts_do_not_grow(
    harbor: Tenant, pat: User, coordinator: ApiClient, django_assert_max_num_queries: Any
) -> None:
    pat_profile_limit = 40
    from alongside.people.models import PeerProfile

    PeerProfile.objects.filter(user=pat).update(caseload_limit=pat_profile_limit)
    for i in range(2):
        propose(harbor, pat, f"Few {i}")
    few_requests = _queries(coordinator, requests_url())
    few_matches = _queries(coordinator, matches_url())
    for i in range(20):
        propose(harbor, pat, f"Many {i}")
    with django_assert_max_num_queries(few_requests):
        assert coordinator.get(requests_url()).json()["count"] == 22
    with django_assert_max_num_queries(few_matches):
        assert coordinator.get(matches_url()).json()["count"] == 22


# --- Schemathesis over these operations, with real ids -------------------------------------------


@pytest.fixture(autouse=True)
def _pytest_9_node_id(request: pytest.FixtureRequest) -> None:
    request.node._nodeid = request.node.nodeid  # see tests/api/test_schemathesis.py


@pytest.fixture
def _requests_keep_the_test_transaction() -> Iterator[None]:
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def matching_schema(harbor: Tenant, riverbend: Tenant, _requests_keep_the_test_transaction: None) -> Any:
    from tests.matching.routes_pages import tenant_match

    ours, theirs = tenant_match(harbor), tenant_match(riverbend)
    waiting = make_request(harbor, make_person(harbor, "Waiting Person"))
    known: dict[str, tuple[list[str], float]] = {
        "path.org_slug": ([harbor.organisation.slug, riverbend.organisation.slug], 0.7),
        "path.request_id": ([str(ours.request_id), str(waiting.pk), str(theirs.request_id)], 0.7),
        "path.match_id": ([str(ours.pk), str(theirs.pk)], 0.7),
        "body.participant_id": ([str(waiting.participant_id), str(theirs.participant_id)], 0.5),
        "body.program_id": ([str(harbor.program.pk), str(riverbend.program.pk)], 0.5),
        "body.request_id": ([str(waiting.pk), str(theirs.request_id)], 0.5),
        "body.peer_id": ([str(harbor.user("peer").pk), str(riverbend.user("peer").pk)], 0.5),
        "body.modalities[*]": (["phone", "video", "text", "in_person"], 0.8),
        "body.languages[*]": (["en", "es"], 0.8),
        "body.reason": (["other", "goals_met", "person_asked", "conflict"], 0.8),
        "query.status": (["waiting", "suggested", "proposed", "active"], 0.5),
    }
    config = schemathesis.Config.from_dict(
        {
            "seed": 20261129,
            "auth": {"openapi": {"BearerToken": {"bearer": make_token(harbor.user("admin"))}}},
            "dictionaries": {name: {"values": values} for name, (values, _) in known.items()},
            "parameters": {name: {"dictionary": name, "probability": p} for name, (_, p) in known.items()},
            "generation": {"mode": "all", "max-examples": 25, "deterministic": True, "database": "none"},
            "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
            "checks": {
                "enabled": False,
                **{
                    name: {"enabled": True}
                    for name in (
                        "not_a_server_error",
                        "status_code_conformance",
                        "content_type_conformance",
                        "response_schema_conformance",
                        "negative_data_rejection",
                        "ignored_auth",
                    )
                },
            },
        }
    )
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", get_wsgi_application(), config=config)


@pytest.fixture
def no_riverbend_data(riverbend: Tenant) -> Callable[..., None]:
    from tests.matching.routes_pages import tenant_match

    theirs = tenant_match(riverbend)
    # Both tenants' samples share their words, so the check looks for riverbend's ids.
    foreign = {
        str(riverbend.organisation.pk),
        str(theirs.pk),
        str(theirs.request_id),
        str(theirs.participant_id),
        str(theirs.peer_id),
    }

    def no_riverbend_ids(ctx: Any, response: Any, case: Any) -> None:
        sent = f"{response.request.url} {response.request.body!r}"
        shown = sorted(value for value in foreign if value in response.text and value not in sent)
        assert not shown, f"harbor's admin was shown riverbend's data: {shown}"

    return no_riverbend_ids


matching_operations = schemathesis.pytest.from_fixture("matching_schema").include(
    path_regex=r"/match-requests|/matches"
)


@matching_operations.parametrize()
def test_matching_operations_match_the_openapi_document(case: Any, no_riverbend_data: Callable[..., None]) -> None:
    case.call_and_validate(additional_checks=[no_riverbend_data])
