"""Matching services and selectors: requests and their checks, each lifecycle step, the peer's
caseload as a hard cap under a row lock, suggestions with reasons, batch proposals, audit rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.matching import selectors, services
from alongside.matching.models import Match, MatchRequest, MatchStatus, MatchWeights, RequestStatus
from alongside.people import services as people_services
from alongside.people.models import Participant
from tests.matching.helpers import make_peer, make_person, make_request, profile_of, terms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def actions(obj: Any) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=str(obj.pk)).order_by("id").values_list("action", flat=True))


# --- Requests ------------------------------------------------------------------------------------


def test_a_request_is_recorded_with_its_details_and_an_audit_row(harbor):
    person = make_person(harbor, matching=("Alcohol", "Anxiety"))
    request = make_request(
        harbor,
        person,
        experiences=("Alcohol",),
        gender_preference=["woman"],
        modalities=["in_person", "phone"],
        latitude="39.78172",
        longitude=-89.65,
        note="Prefers afternoons after work",
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING
    assert [t.label for t in request.experiences.all()] == ["Alcohol"]
    assert str(request.latitude) == "39.78"  # approximate: two decimals
    assert request.travel_km == 10  # default for in person with a location
    assert request.age_band == person.age_band
    assert actions(request) == ["match_request.create"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM matching_matchrequest WHERE id = %s", [request.pk.hex])
        row = cursor.fetchone()
        if row is None:  # PostgreSQL stores UUIDs natively
            cursor.execute("SELECT note FROM matching_matchrequest WHERE id = %s", [request.pk])
            row = cursor.fetchone()
    assert "afternoons" not in row[0]


BAD_INPUT = [
    ({"languages": ["xx"]}, "languages"),
    ({"age_band": "ancient"}, "age_band"),
    ({"gender_preference": ["robot"]}, "gender_preference"),
    ({"gender_required": True}, "gender_required"),
    ({"specialties": ["astrology"]}, "specialties"),
    ({"modalities": []}, "modalities"),
    ({"modalities": ["carrier_pigeon"]}, "modalities"),
    ({"modalities": ["in_person"]}, "latitude"),
    ({"latitude": 100, "longitude": 0}, "latitude"),
    ({"latitude": 10}, "latitude"),
    ({"latitude": "north", "longitude": 0}, "latitude"),
    ({"longitude": 200, "latitude": 0}, "longitude"),
    ({"travel_km": 0}, "travel_km"),
    ({"travel_km": "far"}, "travel_km"),
    ({"availability": {"mon": ["midnight"]}}, "availability"),
    ({"availability": {"funday": ["morning"]}}, "availability"),
    ({"availability": ["mon"]}, "availability"),
    ({"note": "x" * 2001}, "note"),
    ({"experiences": ("Anxiety",)}, "experiences"),  # shared for the record, not for matching
    ({"experiences": ("Opioids",)}, "experiences"),  # not shared at all
]


@pytest.mark.parametrize(("fields", "field"), BAD_INPUT)
def test_bad_request_details_get_a_clear_field_error_and_nothing_is_written(harbor, fields, field):
    person = make_person(harbor, matching=("Alcohol",), private=("Anxiety",))
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        make_request(harbor, person, **fields)
    assert field in exc.value.message_dict
    assert all(message.strip() for message in exc.value.message_dict[field])
    assert MatchRequest.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_a_request_needs_a_mentorship_program_of_the_same_organisation(harbor, riverbend):
    person = make_person(harbor)
    for program in (riverbend.program, harbor.program):
        if program is harbor.program:
            program.offers_mentorship, program.offers_groups = False, True
            program.save()
        with pytest.raises(ValidationError) as exc:
            services.match_request_create(acting_user=None, participant=person, program=program, modalities=["phone"])
        assert "program" in exc.value.message_dict


def test_one_open_request_per_person_and_program(harbor):
    person = make_person(harbor)
    make_request(harbor, person)
    with pytest.raises(ValidationError) as exc:
        make_request(harbor, person)
    assert "already waiting" in exc.value.message_dict["program"][0]


def test_nothing_new_for_a_record_the_person_asked_to_erase(harbor):
    person = make_person(harbor)
    Participant.objects.filter(pk=person.pk).update(erasure_requested_at=timezone.now())
    person.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        make_request(harbor, person)
    assert "participant" in exc.value.message_dict


def test_the_person_can_withdraw_and_any_proposal_is_withdrawn(harbor):
    peer = make_peer(harbor, "Ana")
    request = make_request(harbor)
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=peer)
    services.match_request_withdraw(acting_user=None, request=request)
    match.refresh_from_db()
    request.refresh_from_db()
    assert (request.status, match.status) == (RequestStatus.WITHDRAWN, MatchStatus.WITHDRAWN)
    assert AuditEvent.objects.get(action="match_request.withdraw").actor_role == "participant"
    with pytest.raises(ValidationError):
        services.match_request_withdraw(acting_user=None, request=request)


# --- Suggestions ---------------------------------------------------------------------------------


def test_suggestions_are_the_suitable_peers_best_first_with_reasons_in_plain_words(harbor):
    best = make_peer(harbor, "Ana", shared=("Alcohol", "PTSD"), languages=("en", "es"))
    make_peer(harbor, "Ben", shared=("Depression",))
    make_peer(harbor, "Cai", shared=("Alcohol",), languages=("vi",))  # no shared language
    person = make_person(harbor, matching=("Alcohol",))
    request = make_request(harbor, person, languages=["en", "es"])
    suggestions = selectors.suggestions_for(request)
    assert [s.first_name for s in suggestions] == ["Ana", "Ben"]
    assert suggestions[0].peer == best
    text = suggestions[0].explanation
    assert text.startswith("You both shared Alcohol; you both speak English and Spanish;")
    assert "you are both free on Tuesday evenings; you can both meet by phone or by video." in text
    assert "PTSD" not in text  # the peer shares it, the person did not ask
    assert "Alcohol" not in suggestions[1].explanation


def test_lived_experience_the_person_stops_sharing_for_matching_no_longer_counts(harbor):
    make_peer(harbor, "Ana", shared=("Alcohol",))
    person = make_person(harbor, matching=("Alcohol",))
    request = make_request(harbor, person)
    assert "Alcohol" in selectors.suggestions_for(request)[0].explanation
    vocab = terms(harbor)
    people_services.participant_set_experiences(
        acting_user=harbor.user("coordinator"), participant=person, selections={vocab["Alcohol"]: False}
    )
    assert "Alcohol" not in selectors.suggestions_for(request)[0].explanation


def test_the_wellbeing_signal_lowers_a_peer_but_is_never_said(harbor):
    ana = make_peer(harbor, "Ana")
    ben = make_peer(harbor, "Ben")
    request = make_request(harbor)
    plain = selectors.suggestions_for(request)
    stretched = selectors.suggestions_for(request, stretched=[plain[0].peer.pk])
    assert {plain[0].peer, plain[1].peer} == {ana, ben}
    assert stretched[0].peer == plain[1].peer
    assert stretched[1].explanation == plain[0].explanation


def test_suggestions_take_a_fixed_number_of_queries(harbor):
    request = make_request(harbor)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.suggestions_for(request)
        return len(ctx.captured_queries)

    make_peer(harbor, "Ana")
    few = count()
    for name in ("Ben", "Cai", "Dee", "Eli", "Fay", "Gus"):
        make_peer(harbor, name, shared=("Alcohol", "Grief and loss"))
    assert count() == few


def test_youth_programs_need_youth_trained_peers(harbor):
    make_peer(harbor, "Ana")
    trained = make_peer(harbor, "Ben", specialties=("youth",))
    harbor.program.serves_youth, harbor.program.serves_adults = True, False
    harbor.program.save()
    request = make_request(harbor)
    assert [s.peer for s in selectors.suggestions_for(request)] == [trained]


def test_in_person_only_needs_both_within_travelling_distance(harbor):
    near = make_peer(harbor, "Ana", modalities=("in_person",), location=(39.78, -89.65, 10))
    make_peer(harbor, "Ben", modalities=("in_person",), location=(40.11, -88.24, 50))  # about 125 km away
    make_peer(harbor, "Cai", modalities=("in_person",))  # no location shared
    request = make_request(harbor, modalities=["in_person"], latitude=39.80, longitude=-89.64, travel_km=15)
    suggestions = selectors.suggestions_for(request)
    assert [s.peer for s in suggestions] == [near]
    assert "you can both meet in person" in suggestions[0].explanation


def test_a_required_gender_is_a_must_and_a_preference_only_counts(harbor):
    woman = make_peer(harbor, "Ana", gender="woman")
    man = make_peer(harbor, "Ben", gender="man")
    make_peer(harbor, "Cai")  # chose not to share
    required = make_request(harbor, gender_preference=["woman"], gender_required=True)
    assert [s.peer for s in selectors.suggestions_for(required)] == [woman]
    preferred = make_request(harbor, gender_preference=["man"])
    suggestions = selectors.suggestions_for(preferred)
    assert suggestions[0].peer == man and len(suggestions) == 3
    assert "they match the gender you asked for" in suggestions[0].explanation


# --- Lifecycle -----------------------------------------------------------------------------------


def test_propose_accept_start_pause_resume_close(harbor):
    peer = make_peer(harbor, "Ana")
    request = make_request(harbor)
    coordinator = harbor.user("coordinator")
    match = services.match_propose(acting_user=coordinator, request=request, peer=peer)
    request.refresh_from_db()
    assert (match.status, request.status, match.proposed_via) == ("proposed", "suggested", "coordinator")
    assert match.score > 0 and {"kind": "experience", "items": [str(terms(harbor)["Alcohol"].pk)]} in match.explanation
    assert [m.pk for m in selectors.peer_pending(harbor.organisation, peer)] == [match.pk]

    services.match_accept(acting_user=peer, match=match)
    match.refresh_from_db()
    request.refresh_from_db()
    person = Participant.objects.get(pk=request.participant_id)
    assert (match.status, request.status, person.assigned_peer) == ("accepted", "matched", peer)
    assert match.responded_at is not None

    services.match_start(acting_user=peer, match=match)
    services.match_pause(acting_user=peer, match=match, reason="person_asked")
    match.refresh_from_db()
    assert (match.status, match.pause_reason) == ("paused", "person_asked")
    services.match_resume(acting_user=peer, match=match)
    services.match_close(acting_user=coordinator, match=match, reason="goals_met")
    match.refresh_from_db()
    person.refresh_from_db()
    assert (match.status, match.closed_reason, person.assigned_peer) == ("closed", "goals_met", None)
    assert actions(match) == [
        "match.propose",
        "match.accept",
        "match.start",
        "match.pause",
        "match.resume",
        "match.close",
    ]
    assert AuditEvent.objects.filter(action="participant.assign_peer", object_id=str(person.pk)).count() == 2


def test_steps_out_of_order_are_refused_clearly(harbor):
    peer = make_peer(harbor, "Ana")
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=make_request(harbor), peer=peer)
    for step in (services.match_start, services.match_resume):
        with pytest.raises(ValidationError) as exc:
            step(acting_user=peer, match=match)
        assert "can't be done while the match is" in exc.value.message_dict["match"][0]
    with pytest.raises(ValidationError):
        services.match_pause(acting_user=peer, match=match, reason="person_asked")
    for bad in (
        lambda: services.match_pause(acting_user=peer, match=match, reason="bored"),
        lambda: services.match_close(acting_user=peer, match=match, reason=""),
        lambda: services.match_decline(acting_user=peer, match=match, reason="nope"),
    ):
        with pytest.raises(ValidationError) as exc:
            bad()
        assert "reason" in exc.value.message_dict
    match.refresh_from_db()
    assert match.status == "proposed"


def test_only_the_peer_or_a_coordinator_answers(harbor):
    peer = make_peer(harbor, "Ana")
    other = make_peer(harbor, "Ben")
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=make_request(harbor), peer=peer)
    for who in (other, harbor.user("supervisor"), harbor.user("funder")):
        with pytest.raises(ValidationError) as exc:
            services.match_accept(acting_user=who, match=match)
        assert "match" in exc.value.message_dict
    services.match_accept(acting_user=harbor.user("coordinator"), match=match)


def test_a_decline_returns_the_person_to_the_list_and_that_peer_is_not_suggested_again(harbor):
    ana = make_peer(harbor, "Ana")
    ben = make_peer(harbor, "Ben")
    request = make_request(harbor)
    since = request.waiting_since
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=ana)
    services.match_decline(acting_user=ana, match=match, reason="at_capacity")
    match.refresh_from_db()
    request.refresh_from_db()
    assert (match.status, match.decline_reason, request.status) == ("declined_by_peer", "at_capacity", "waiting")
    assert request.waiting_since == since  # they keep their place
    assert [s.peer for s in selectors.suggestions_for(request)] == [ben]
    with pytest.raises(ValidationError) as exc:
        services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=ana)
    assert "choose another peer supporter" in exc.value.message_dict["peer"][0]


def test_the_person_may_ask_for_someone_else_at_any_time_without_a_reason(harbor):
    ana = make_peer(harbor, "Ana")
    ben = make_peer(harbor, "Ben")
    request = make_request(harbor)
    match = services.match_choose(acting_user=None, request=request, peer=ana)
    assert match.proposed_via == "person"
    assert AuditEvent.objects.get(action="match.choose").actor_role == "participant"
    services.match_accept(acting_user=ana, match=match)
    services.match_start(acting_user=ana, match=match)
    later = timezone.now() + timedelta(days=30)
    with time_machine.travel(later, tick=False):
        request = services.match_change_peer(acting_user=None, match=match)
    match.refresh_from_db()
    person = Participant.objects.get(pk=request.participant_id)
    assert (match.status, request.status, person.assigned_peer) == ("changed_by_person", "waiting", None)
    assert request.waiting_since == later  # the mentorship had begun: waiting again from today
    assert actions(match)[-1] == "match.change_peer"
    assert [s.peer for s in selectors.suggestions_for(request)] == [ben]


def test_changing_before_the_peer_answers_keeps_the_place_in_the_queue(harbor):
    ana = make_peer(harbor, "Ana")
    request = make_request(harbor)
    since = request.waiting_since
    match = services.match_choose(acting_user=None, request=request, peer=ana)
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        request = services.match_change_peer(acting_user=harbor.user("coordinator"), match=match)
    request.refresh_from_db()
    assert (request.status, request.waiting_since) == ("waiting", since)


def test_only_one_peer_asked_at_a_time(harbor):
    ana = make_peer(harbor, "Ana")
    ben = make_peer(harbor, "Ben")
    request = make_request(harbor)
    services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=ana)
    with pytest.raises(ValidationError) as exc:
        services.match_choose(acting_user=None, request=request, peer=ben)
    assert "already been asked" in exc.value.message_dict["request"][0]


# --- Capacity ------------------------------------------------------------------------------------


def test_the_caseload_limit_is_a_hard_cap_counting_open_proposals(harbor):
    ana = make_peer(harbor, "Ana", caseload_limit=2)
    coordinator = harbor.user("coordinator")
    # One person already on Ana's caseload.
    people_services.participant_assign_peer(acting_user=coordinator, participant=make_person(harbor, "Kim"), peer=ana)
    first = make_request(harbor, make_person(harbor, "Lee"))
    second = make_request(harbor, make_person(harbor, "Max"))
    match = services.match_propose(acting_user=coordinator, request=first, peer=ana)
    assert selectors.peer_room(profile_of(harbor, ana)).remaining == 0
    with pytest.raises(ValidationError) as exc:
        services.match_propose(acting_user=coordinator, request=second, peer=ana)
    assert "no room for someone new" in exc.value.message_dict["peer"][0]
    assert selectors.suggestions_for(second) == []
    services.match_decline(acting_user=ana, match=match, reason="unavailable")
    services.match_propose(acting_user=coordinator, request=second, peer=ana)


def test_proposals_lock_the_peers_profile_row(harbor):
    ana = make_peer(harbor, "Ana")
    request = make_request(harbor)
    with CaptureQueriesContext(connection) as ctx:
        services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=ana)
    sql = [q["sql"] for q in ctx.captured_queries]
    profile_reads = [s for s in sql if 'FROM "people_peerprofile"' in s]
    assert profile_reads, sql
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in profile_reads[0]
    # The profile is locked before the request, the request before anything is written.
    first_profile = next(i for i, s in enumerate(sql) if 'FROM "people_peerprofile"' in s)
    first_request = next(i for i, s in enumerate(sql) if 'FROM "matching_matchrequest"' in s)
    assert first_profile < first_request


def test_a_peer_on_leave_or_without_a_profile_is_never_proposed(harbor):
    ana = make_peer(harbor, "Ana")
    request = make_request(harbor)
    people_services.peer_profile_update(acting_user=ana, organisation=harbor.organisation, user=ana, status="on_leave")
    for who in (ana, harbor.user("peer")):
        with pytest.raises(ValidationError) as exc:
            services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=who)
        assert "not taking on new people" in exc.value.message_dict["peer"][0]


# --- Batch ---------------------------------------------------------------------------------------


def test_the_batch_fills_the_room_fairly_and_sends_only_what_is_still_possible(harbor):
    ana = make_peer(harbor, "Ana", caseload_limit=1)
    ben = make_peer(harbor, "Ben", caseload_limit=1, shared=("Depression",))
    with time_machine.travel(timezone.now() - timedelta(days=60), tick=False):
        oldest = make_request(harbor, make_person(harbor, "Old"))
    make_request(harbor, make_person(harbor, "New"))
    make_request(harbor, make_person(harbor, "Newer"))
    proposal = selectors.batch_proposal(harbor.organisation, harbor.program)
    best = proposal.assignment
    assert proposal.waiting == 3 and proposal.room == 2
    assert len(best.proposals) == 2
    assert str(oldest.pk) in {p.request.key for p in best.proposals}  # the longest wait is served
    assert {p.peer.key for p in best.proposals} == {str(ana.pk), str(ben.pk)}
    assert best.total >= proposal.greedy_total
    # Meanwhile a coordinator asks Ana for someone else: her one place is gone.
    services.match_propose(acting_user=harbor.user("coordinator"), request=make_request(harbor), peer=ana)
    sent = services.match_batch_send(
        acting_user=harbor.user("coordinator"),
        program=harbor.program,
        pairs=[(p.request.key, p.peer.key) for p in best.proposals],
    )
    assert len(sent.created) == 1 and sent.created[0].peer == ben
    assert sent.created[0].proposed_via == "batch"
    assert len(sent.skipped) == 1 and "no room" in sent.skipped[0][2]
    assert AuditEvent.objects.filter(action="match.batch_send", object_id=str(harbor.program.pk)).count() == 1


# --- Settings ------------------------------------------------------------------------------------


def test_weights_are_per_organisation_and_checked(harbor):
    admin = harbor.user("admin")
    assert selectors.weights_for(harbor.organisation).shared_experience == 40  # defaults, unsaved
    with pytest.raises(ValidationError) as exc:
        services.match_weights_update(acting_user=admin, organisation=harbor.organisation, base=500)
    assert "base" in exc.value.message_dict
    assert MatchWeights.objects.count() == 0
    weights = services.match_weights_update(acting_user=admin, organisation=harbor.organisation, continuity=30)
    assert selectors.weights_for(harbor.organisation).continuity == 30
    assert actions(weights) == ["match_weights.update"]
    with pytest.raises(ValueError):
        services.match_weights_update(acting_user=admin, organisation=harbor.organisation, language=5)


def test_peer_matching_details_are_checked_and_approximate(harbor):
    ana = make_peer(harbor, "Ana")
    profile = profile_of(harbor, ana)
    for fields, field in (
        ({"gender": "robot"}, "gender"),
        ({"home_latitude": 95, "home_longitude": 0}, "home_latitude"),
        ({"home_latitude": 1}, "home_latitude"),
        ({"travel_km": 1000}, "travel_km"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.peer_matching_details_update(acting_user=ana, profile=profile, **fields)
        assert field in exc.value.message_dict
    services.peer_matching_details_update(
        acting_user=ana,
        profile=profile,
        gender="woman",
        home_latitude=43.661471,
        home_longitude=-70.255326,
        travel_km=8,
    )
    profile.refresh_from_db()
    assert (profile.gender, str(profile.home_latitude), str(profile.home_longitude)) == ("woman", "43.66", "-70.26")


def test_matches_stay_in_their_organisation(harbor, riverbend):
    ana = make_peer(harbor, "Ana")
    request = make_request(harbor)
    with pytest.raises(ValidationError):
        services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=riverbend.user("peer"))
    assert Match.objects.count() == 0
    services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=ana)
    assert selectors.peer_pending(riverbend.organisation, ana).count() == 0
    assert selectors.waiting_list(riverbend.organisation, harbor.program).count() == 0


def test_the_batch_proposal_takes_a_fixed_number_of_queries(harbor):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.batch_proposal(harbor.organisation, harbor.program)
        return len(ctx.captured_queries)

    make_peer(harbor, "Ana")
    make_request(harbor, make_person(harbor, "Lee"))
    few = count()
    for name in ("Ben", "Cai", "Dee"):
        make_peer(harbor, name, shared=("Alcohol", "Grief and loss"))
    for name in ("Max", "Ned", "Oli", "Pat"):
        make_request(harbor, make_person(harbor, name, matching=("Alcohol", "Grief and loss")))
    assert count() == few


def test_who_acted_is_recorded_plainly(harbor):
    ana = make_peer(harbor, "Ana")
    ben = make_peer(harbor, "Ben")
    by_system = make_request(harbor, make_person(harbor, "Lee"))
    services.match_batch_send(acting_user=None, program=harbor.program, pairs=[(by_system.pk, ana.pk)])
    by_person = make_request(harbor, make_person(harbor, "Max"))
    services.match_choose(acting_user=None, request=by_person, peer=ben)
    services.match_suggestions_viewed(acting_user=None, request=by_person, by_person=True)
    roles = dict(
        AuditEvent.objects.filter(
            action__in=["match.propose", "match.choose", "match.batch_send", "match_request.view_suggestions"]
        ).values_list("action", "actor_role")
    )
    assert roles == {
        "match.propose": "system",
        "match.batch_send": "system",
        "match.choose": "participant",
        "match_request.view_suggestions": "participant",
    }


def test_the_note_to_the_coordinator_is_screened_and_an_urgent_one_alerts_at_once(
    harbor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        urgent = make_request(harbor, note="Please hurry, I have the pills saved up and I'm going to take them tonight")
    assert urgent.screening_tier == "urgent" and "means" in urgent.screening_concepts
    to = sorted(address for message in mailoutbox for address in message.to)
    assert to == sorted({harbor.user("coordinator").email, harbor.user("admin").email})
    assert all("pills" not in m.body and f"/requests/{urgent.pk}/" in m.body for m in mailoutbox)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        checkin = make_request(harbor, note="Some days I just want to die, a peer would help")
        calm = make_request(harbor, note="Evenings are best for me")
    assert checkin.screening_tier == "check_in" and calm.screening_tier == "" and mailoutbox == []
