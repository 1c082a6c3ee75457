"""One assigned peer supporter per record, and a person with two mentorships (in two programs) on
both peers' caseloads: the record scope, the caseload page and the room each peer has left all
count mentorships going on, and closing one hands the record to the peer still walking alongside."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scopes_disabled

from alongside.accounts.access import OrgContext
from alongside.matching import selectors, services
from alongside.matching.models import MatchRequest
from alongside.people import selectors as people_selectors
from alongside.people.access import visible_participants
from tests.matching.helpers import make_peer, make_person, make_request, profile_of
from tests.matching.test_pages import second_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def as_peer(tenant: Any, user: Any) -> OrgContext:
    return OrgContext(tenant.organisation, user, frozenset({"peer"}))


def mentor(tenant: Any, request: MatchRequest, peer: Any) -> Any:
    match = services.match_propose(acting_user=tenant.user("coordinator"), request=request, peer=peer)
    return services.match_accept(acting_user=peer, match=match)


def two_mentorships(tenant: Any) -> tuple[Any, Any, Any, Any, Any]:
    dana, eli = make_peer(tenant, "Dana"), make_peer(tenant, "Eli")
    person = make_person(tenant, "Robin")
    first = mentor(tenant, make_request(tenant, person), dana)
    evening = second_program(tenant)
    second = mentor(tenant, make_request(tenant, person, program=evening), eli)
    return person, dana, eli, first, second


def test_the_first_peer_stays_assigned_and_both_peers_support_the_person(harbor: Any) -> None:
    person, dana, eli, _first, _second = two_mentorships(harbor)
    person.refresh_from_db()
    assert person.assigned_peer == dana  # the second mentorship did not replace the first peer
    for peer in (dana, eli):
        assert visible_participants(as_peer(harbor, peer)).filter(pk=person.pk).exists()
        assert [p.pk for p in people_selectors.caseload(as_peer(harbor, peer))] == [person.pk]
    loads = selectors.caseloads(harbor.organisation, [dana.pk, eli.pk])
    assert loads == {dana.pk: 1, eli.pk: 1}
    assert selectors.peer_room(profile_of(harbor, eli)).caseload == 1


def test_another_peer_does_not_see_the_person(harbor: Any) -> None:
    person, *_ = two_mentorships(harbor)
    stranger = make_peer(harbor, "Finn")
    assert not visible_participants(as_peer(harbor, stranger)).filter(pk=person.pk).exists()


def test_closing_the_first_mentorship_hands_the_record_to_the_other_peer(harbor: Any) -> None:
    person, dana, eli, first, _second = two_mentorships(harbor)
    services.match_close(acting_user=harbor.user("coordinator"), match=first, reason="goals_met")
    person.refresh_from_db()
    assert person.assigned_peer == eli
    assert not visible_participants(as_peer(harbor, dana)).filter(pk=person.pk).exists()
    assert selectors.caseloads(harbor.organisation, [dana.pk, eli.pk]) == {eli.pk: 1}


def test_closing_the_second_mentorship_leaves_the_first_peer_assigned(harbor: Any) -> None:
    person, dana, eli, _first, second = two_mentorships(harbor)
    services.match_close(acting_user=harbor.user("coordinator"), match=second, reason="goals_met")
    person.refresh_from_db()
    assert person.assigned_peer == dana
    assert not visible_participants(as_peer(harbor, eli)).filter(pk=person.pk).exists()
    assert selectors.caseloads(harbor.organisation, [dana.pk, eli.pk]) == {dana.pk: 1}


def test_a_mentorship_with_the_assigned_peer_counts_once(harbor: Any) -> None:
    dana = make_peer(harbor, "Dana")
    person = make_person(harbor, "Robin")
    mentor(harbor, make_request(harbor, person), dana)
    person.refresh_from_db()
    assert person.assigned_peer == dana
    assert selectors.caseloads(harbor.organisation, [dana.pk]) == {dana.pk: 1}


def test_a_supervisor_sees_people_their_team_mentors(harbor: Any) -> None:
    from alongside.accounts import services as account_services

    person, _dana, eli, *_ = two_mentorships(harbor)
    supervisor = harbor.user("supervisor")
    account_services.supervision_link_create(
        acting_user=harbor.user("admin"), organisation=harbor.organisation, supervisor=supervisor, peer=eli
    )
    org = OrgContext(harbor.organisation, supervisor, frozenset({"supervisor"}))
    assert visible_participants(org).filter(pk=person.pk).exists()
