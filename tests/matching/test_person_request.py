"""The person asks for a peer supporter themselves, under their private link (/me/mentorship/ask/):
the coordinator's questions in their own words, a ZIP code instead of coordinates (looked up
offline), only their own shareable lived experience, only programs where they are not already
waiting or matched; bad input is refused clearly with nothing written; the request is recorded as
theirs and audited as "participant"."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.matching.models import MadeBy, MatchRequest, RequestStatus
from tests.matching.helpers import make_person, make_request, terms
from tests.matching.test_person_pages import assert_private, me, peers

pytestmark = pytest.mark.django_db

ASK = "/me/mentorship/ask/"


def person_with_link(tenant: Any, *, matching: tuple[str, ...] = ("Alcohol",), private: tuple[str, ...] = ()) -> Any:
    with scopes_disabled():
        person = make_person(tenant, "Sam", matching=matching, private=private)
    return person, me(tenant, person)


def term_id(tenant: Any, label: str) -> str:
    with scopes_disabled():
        return str(terms(tenant)[label].pk)


def post(tenant: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "program": str(tenant.program.pk),
        "experiences": [term_id(tenant, "Alcohol")],
        "languages": ["en"],
        "modalities": ["phone"],
        "availability_tue_evening": "on",
        "note": "Evenings are best.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def requests_of(person: Any) -> list[MatchRequest]:
    with scopes_disabled():
        return list(MatchRequest.objects.filter(participant=person))


def test_the_overview_offers_to_ask_and_the_form_speaks_to_the_person(harbor: Any) -> None:
    _person, client = person_with_link(harbor, private=("Anxiety",))
    overview = client.get("/me/mentorship/")
    assert overview.status_code == 200
    assert ASK in overview.content.decode()
    page = client.get(ASK)
    assert page.status_code == 200
    assert_private(page)
    body = page.content.decode()
    assert "Your ZIP code" in body
    assert "What would you like your peer supporter to have lived through too?" in body
    assert "Alcohol" in body
    # What they keep only for their record is never offered; coordinates and age band are not asked.
    assert "Anxiety" not in body
    assert 'name="latitude"' not in body and 'name="age_band"' not in body


def test_asking_creates_their_request_and_shows_peers_to_choose(harbor: Any) -> None:
    peers(harbor, 3)
    person, client = person_with_link(harbor)
    response = client.post(ASK, post(harbor))
    assert response.status_code == 302 and response["Location"] == "/me/mentorship/"
    [request] = requests_of(person)
    assert request.made_by == MadeBy.PERSON and request.created_by is None
    assert request.status == RequestStatus.WAITING
    assert request.availability == {"tue": ["evening"]}
    with scopes_disabled():
        assert [t.label for t in request.experiences.all()] == ["Alcohol"]
        event = AuditEvent.objects.filter(action="match_request.create").order_by("-id").first()
    assert event is not None and event.actor_role == "participant"
    page = client.get("/me/mentorship/")
    assert "Choose your peer supporter" in page.content.decode()
    assert "Choose Peer00" in page.content.decode()


def test_a_zip_code_becomes_an_approximate_point(harbor: Any) -> None:
    person, client = person_with_link(harbor)
    response = client.post(ASK, post(harbor, modalities=["in_person"], zip_code="04101", travel_km="15"))
    assert response.status_code == 302
    [request] = requests_of(person)
    assert (float(request.latitude), float(request.longitude)) == (43.66, -70.26)
    assert request.travel_km == 15


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"zip_code": "99999"}, "zip_code", "We could not find that ZIP code"),
        ({"zip_code": "ABCDE"}, "zip_code", "We could not find that ZIP code"),
        ({"modalities": ["in_person"], "zip_code": ""}, "zip_code", "we need your ZIP code"),
        ({"modalities": []}, "modalities", "Choose at least one way of meeting."),
        ({"modalities": ["teleport"]}, "modalities", "Select a valid choice"),
        ({"program": "5c0ffee0-0000-4000-8000-000000000000"}, "program", "Select a valid choice"),
        ({"program": "not-a-program"}, "program", "is not a valid UUID"),
        ({"languages": ["xx"]}, "languages", "Select a valid choice"),
        ({"travel_km": "5000", "modalities": ["in_person"], "zip_code": "04101"}, "travel_km", "between 1 and"),
        ({"gender_required": "on"}, "gender_required", "Say which gender"),
        ({"note": "x" * 5000}, "note", "characters"),
        ({"availability_mon_midnight": "on"}, None, None),  # an unknown cell is ignored, not stored
    ],
)
def test_bad_answers_are_refused_clearly_and_nothing_is_written(
    harbor: Any, overrides: dict[str, Any], field: str | None, message: str | None
) -> None:
    person, client = person_with_link(harbor)
    response = client.post(ASK, post(harbor, **overrides))
    if field is None:
        assert response.status_code == 302
        [request] = requests_of(person)
        assert request.availability == {"tue": ["evening"]}
        return
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert requests_of(person) == []


def test_lived_experience_they_keep_private_cannot_be_posted(harbor: Any) -> None:
    person, client = person_with_link(harbor, private=("Anxiety",))
    response = client.post(ASK, post(harbor, experiences=[term_id(harbor, "Anxiety")]))
    assert response.status_code == 400
    assert requests_of(person) == []


def test_a_program_where_they_already_wait_is_not_offered(harbor: Any) -> None:
    person, client = person_with_link(harbor)
    with scopes_disabled():
        make_request(harbor, person)
    page = client.get(ASK)
    assert "There is no program you can ask in right now" in page.content.decode()
    assert ASK not in client.get("/me/mentorship/").content.decode()
    response = client.post(ASK, post(harbor))
    assert response.status_code == 400
    assert len(requests_of(person)) == 1


def test_another_organisations_program_is_refused(harbor: Any, riverbend: Any) -> None:
    person, client = person_with_link(harbor)
    response = client.post(ASK, post(harbor, program=str(riverbend.program.pk)))
    assert response.status_code == 400
    assert requests_of(person) == []


def test_without_a_visit_the_page_is_the_neutral_one(harbor: Any, client: Any) -> None:
    response = client.get(ASK)
    assert response.status_code == 404
    assert client.post(ASK, post(harbor)).status_code == 404
