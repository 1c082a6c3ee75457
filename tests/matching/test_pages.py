"""The coordinator's and the peer supporter's matching pages: who reaches which page, the waiting
list (oldest first, in brief, paged, constant queries), the request form (every answer, bad input
with nothing written), suggestions with reasons (a logged read) and proposing on the person's
behalf, the batch proposal reviewed and sent (signed, re-checked, never over a peer's room), the
weights, and the peer supporter's requests to accept or decline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts.models import Program
from alongside.audit.models import AuditEvent
from alongside.matching import services
from alongside.matching.models import DeclineReason, Match, MatchRequest, MatchStatus, MatchWeights, RequestStatus
from alongside.people import services as people_services
from alongside.people.models import Participant
from tests.conftest import ROLES
from tests.matching.helpers import make_peer, make_person, make_request, profile_of, terms

pytestmark = pytest.mark.django_db

NOTE = "Would rather not talk about the hospital stay"


@pytest.fixture(autouse=True)
def _unscoped() -> Any:
    with scopes_disabled():
        yield


def url(name: str, tenant: Any, *args: Any) -> str:
    return reverse(f"matching:{name}", args=[tenant.organisation.slug, *args])


def audit_rows(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def query_count(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def second_program(tenant: Any, name: str = "Evening Mentors") -> Program:
    from alongside.accounts import services as account_services

    return account_services.program_create(
        acting_user=tenant.user("admin"),
        organisation=tenant.organisation,
        name=name,
        offers_mentorship=True,
        serves_adults=True,
        sites=[tenant.site],
    )


def age_request(request: MatchRequest, days: int) -> None:
    MatchRequest.objects.filter(pk=request.pk).update(waiting_since=timezone.now() - timedelta(days=days))


# --- Who reaches which page ----------------------------------------------------------------------

PAGES = {
    "waiting_overview": {"admin", "coordinator"},
    "weights_edit": {"admin"},
    "peer_requests": {"peer"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(harbor: Any, login_as: Any, role: str) -> None:
    client = login_as(harbor.user(role))
    request = make_request(harbor)
    for name, allowed in PAGES.items():
        status = client.get(url(name, harbor)).status_code
        assert (status in (200, 302)) == (role in allowed), (name, role, status)
        assert status in (200, 302, 403)
    for name, args, allowed in [
        ("waiting_list", [harbor.program.pk], {"admin", "coordinator"}),
        ("batch_review", [harbor.program.pk], {"admin", "coordinator"}),
        ("request_detail", [request.pk], {"admin", "coordinator"}),
        ("request_create", [request.participant_id], {"admin", "coordinator"}),
    ]:
        status = client.get(url(name, harbor, *args)).status_code
        assert status == (200 if role in allowed else 403), (name, role, status)


def test_the_outsider_gets_404_everywhere(harbor: Any, outsider: Any, login_as: Any) -> None:
    request = make_request(harbor)
    client = login_as(outsider)
    for name, args in [
        ("waiting_overview", []),
        ("waiting_list", [harbor.program.pk]),
        ("request_detail", [request.pk]),
        ("request_create", [request.participant_id]),
        ("batch_review", [harbor.program.pk]),
        ("weights_edit", []),
    ]:
        assert client.get(url(name, harbor, *args)).status_code == 404, name


def test_navigation_shows_each_role_its_entries(harbor: Any, login_as: Any) -> None:
    home = reverse("web:staff_home", args=["harbor"])
    entries = {
        "admin": ("Waiting list", "Matching weights"),
        "coordinator": ("Waiting list",),
        "peer": ("Requests for you",),
        "supervisor": (),
    }
    for role, shown in entries.items():
        html = login_as(harbor.user(role)).get(home).content.decode()
        for label in ("Waiting list", "Requests for you", "Matching weights"):
            assert (f">{label}</a>" in html) == (label in shown), (role, label)


def test_pages_are_not_cached(harbor: Any, login_as: Any) -> None:
    request = make_request(harbor, note=NOTE)
    response = login_as(harbor.user("coordinator")).get(url("request_detail", harbor, request.pk))
    assert "no-store" in response["Cache-Control"]


# --- Waiting list --------------------------------------------------------------------------------


def test_overview_counts_each_program_and_one_program_goes_straight_to_its_list(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    response = client.get(url("waiting_overview", harbor))
    assert response.status_code == 302 and response["Location"] == url("waiting_list", harbor, harbor.program.pk)
    evening = second_program(harbor)
    make_request(harbor)
    make_request(harbor, make_person(harbor, "Alex"))
    html = client.get(url("waiting_overview", harbor)).content.decode()
    assert url("waiting_list", harbor, evening.pk) in html
    assert "<td>2</td><td>0</td>" in html and "<td>0</td><td>0</td>" in html


def test_waiting_list_is_oldest_first_in_brief_without_the_note(harbor: Any, login_as: Any) -> None:
    make_peer(harbor, "Dana")
    newer = make_request(harbor, make_person(harbor, "Newer Person"), note=NOTE, languages=["en", "es"])
    older = make_request(harbor, make_person(harbor, "Older Person"), gender_preference=["woman"])
    age_request(older, 40)
    age_request(newer, 3)
    asked = make_request(harbor, make_person(harbor, "Asked Person"))
    services.match_propose(acting_user=harbor.user("coordinator"), request=asked, peer=make_peer(harbor, "Eli"))
    html = login_as(harbor.user("coordinator")).get(url("waiting_list", harbor, harbor.program.pk)).content.decode()
    assert html.index("Older Person") < html.index("Newer Person") < html.index("Asked Person")
    assert "1\xa0month" in html and "3\xa0days" in html
    assert "English, Spanish" in html and "Phone, Video" in html and "gender: Woman" in html
    assert "1 area of lived experience" in html
    assert NOTE not in html and "Alcohol" not in html  # the note and the lived experience stay on the request
    assert "Eli has been asked" in html
    assert url("request_detail", harbor, older.pk) in html


def test_people_looking_without_a_request_are_offered_a_request(harbor: Any, login_as: Any) -> None:
    waiting = make_person(harbor, "Already Waiting")
    make_request(harbor, waiting)
    looking = make_person(harbor, "Still Looking")
    html = login_as(harbor.user("coordinator")).get(url("waiting_list", harbor, harbor.program.pk)).content.decode()
    section = html[html.index("no request yet") :]
    assert "Still Looking" in section and "Already Waiting" not in section
    assert f"{url('request_create', harbor, looking.pk)}?program={harbor.program.pk}" in section
    # The admin sees it too; a program that is not a mentorship program is not a waiting list.
    groups = Program.objects.create(organisation=harbor.organisation, name="Circles", offers_groups=True)
    client = login_as(harbor.user("admin"))
    assert client.get(url("waiting_list", harbor, groups.pk)).status_code == 404
    assert client.get(url("waiting_list", harbor, "not-a-uuid")).status_code == 404


def test_waiting_list_pages_and_its_query_count_does_not_grow(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = login_as(harbor.user("coordinator"))
    peers = [make_peer(harbor, f"Peer{i}", caseload_limit=20) for i in range(3)]
    for i in range(3):
        request = make_request(harbor, make_person(harbor, f"Few {i}"))
        services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=peers[i])
        make_person(harbor, f"Looking {i}")
    few = query_count(client, url("waiting_list", harbor, harbor.program.pk))
    for i in range(30):
        request = make_request(harbor, make_person(harbor, f"Many {i}"), languages=["en", "es"])
        if i % 3 == 0:
            services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=peers[i % 3])
        make_person(harbor, f"Looking more {i}")
    with django_assert_max_num_queries(few):
        html = client.get(url("waiting_list", harbor, harbor.program.pk)).content.decode()
    assert "Page 1 of 2" in html
    assert "Many 29" not in html
    assert "Many 29" in client.get(url("waiting_list", harbor, harbor.program.pk) + "?page=2").content.decode()


# --- The request form ----------------------------------------------------------------------------


def form_data(tenant: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"program": str(tenant.program.pk), "languages": ["en"], "modalities": ["phone"]}
    data.update(overrides)
    return data


def test_the_form_lists_only_what_the_person_shares_for_matching(harbor: Any, login_as: Any) -> None:
    person = make_person(harbor, "Robin", matching=("Alcohol", "Depression"), private=("Anxiety",))
    evening = second_program(harbor)
    groups = Program.objects.create(organisation=harbor.organisation, name="Circles", offers_groups=True)
    html = login_as(harbor.user("coordinator")).get(url("request_create", harbor, person.pk)).content.decode()
    assert "Alcohol" in html and "Depression" in html and "Anxiety" not in html
    assert evening.name in html and groups.name not in html
    assert html.count('type="checkbox" name="availability_') == 21


def test_a_coordinator_makes_a_request_with_every_answer(harbor: Any, login_as: Any) -> None:
    person = make_person(harbor, "Robin", matching=("Alcohol", "Anxiety"))
    vocab = terms(harbor)
    data = form_data(
        harbor,
        experiences=[str(vocab["Alcohol"].pk)],
        languages=["en", "es"],
        age_band="26_64",
        gender_preference=["woman", "non_binary"],
        gender_required="on",
        specialties=["recovery"],
        modalities=["in_person", "video"],
        latitude="43.6615",
        longitude="-70.2553",
        travel_km="15",
        availability_tue_evening="on",
        availability_sat_morning="on",
        note=NOTE,
    )
    response = login_as(harbor.user("coordinator")).post(url("request_create", harbor, person.pk), data)
    request = MatchRequest.objects.get(participant=person)
    assert response.status_code == 302 and response["Location"] == url("request_detail", harbor, request.pk)
    assert [t.label for t in request.experiences.all()] == ["Alcohol"]
    assert request.languages == ["en", "es"] and request.age_band == "26_64"
    assert request.gender_preference == ["woman", "non_binary"] and request.gender_required
    assert request.specialties == ["recovery"] and request.modalities == ["in_person", "video"]
    assert (str(request.latitude), str(request.longitude), request.travel_km) == ("43.66", "-70.26", 15)
    assert request.availability == {"tue": ["evening"], "sat": ["morning"]}
    assert request.note == NOTE and request.made_by == "coordinator"
    assert [e.action for e in audit_rows("match_request.create", object_id=str(request.pk))] == ["match_request.create"]


def test_languages_default_to_the_record_and_the_program_can_be_preselected(harbor: Any, login_as: Any) -> None:
    person = make_person(harbor, "Robin")
    evening = second_program(harbor)
    client = login_as(harbor.user("coordinator"))
    html = client.get(url("request_create", harbor, person.pk) + f"?program={evening.pk}").content.decode()
    assert f'value="{evening.pk}" selected' in html
    assert client.get(url("request_create", harbor, person.pk) + "?program=nonsense").status_code == 200
    response = client.post(url("request_create", harbor, person.pk), form_data(harbor, languages=[]))
    assert response.status_code == 302
    assert MatchRequest.objects.get(participant=person).languages == ["en"]


BAD_FORMS = [
    ({"modalities": []}, "modalities", "Choose at least one way of meeting."),
    ({"modalities": ["carrier_pigeon"]}, "modalities", "Select a valid choice"),
    ({"modalities": ["in_person"]}, "latitude", "approximate location"),
    ({"latitude": "43.6"}, "latitude", "both latitude and longitude"),
    ({"latitude": "north", "longitude": "1"}, "latitude", "between -90 and 90"),
    ({"latitude": "1", "longitude": "181"}, "longitude", "between -180 and 180"),
    ({"travel_km": "0"}, "travel_km", "between 1 and 300"),
    ({"travel_km": "far"}, "travel_km", "between 1 and 300"),
    ({"gender_required": "on"}, "gender_required", "Say which gender"),
    ({"gender_preference": ["robot"]}, "gender_preference", "Select a valid choice"),
    ({"languages": ["xx"]}, "languages", "Select a valid choice"),
    ({"age_band": "ancient"}, "age_band", "Select a valid choice"),
    ({"specialties": ["astrology"]}, "specialties", "Select a valid choice"),
    ({"program": ""}, "program", "This field is required"),
    ({"note": "x" * 2001}, "note", "at most 2000"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_FORMS, ids=[f for _o, f, _m in BAD_FORMS])
def test_bad_input_names_the_field_and_writes_nothing(
    harbor: Any, login_as: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    person = make_person(harbor, "Robin")
    client = login_as(harbor.user("coordinator"))
    before = last_audit_id()
    response = client.post(url("request_create", harbor, person.pk), form_data(harbor, **overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert not MatchRequest.objects.filter(participant=person).exists()
    assert last_audit_id() == before


def test_lived_experience_not_shared_for_matching_is_refused(harbor: Any, riverbend: Any, login_as: Any) -> None:
    person = make_person(harbor, "Robin", matching=("Alcohol",), private=("Anxiety",))
    private = terms(harbor)["Anxiety"]
    foreign = terms(riverbend)["Alcohol"]
    client = login_as(harbor.user("coordinator"))
    for term in (private, foreign):
        response = client.post(url("request_create", harbor, person.pk), form_data(harbor, experiences=[str(term.pk)]))
        assert response.status_code == 400 and "experiences" in response.context["form"].errors
    assert not MatchRequest.objects.filter(participant=person).exists()


def test_foreign_or_group_programs_are_refused(harbor: Any, riverbend: Any, login_as: Any) -> None:
    person = make_person(harbor, "Robin")
    groups = Program.objects.create(organisation=harbor.organisation, name="Circles", offers_groups=True)
    client = login_as(harbor.user("coordinator"))
    for program in (riverbend.program, groups):
        response = client.post(url("request_create", harbor, person.pk), form_data(harbor, program=str(program.pk)))
        assert response.status_code == 400 and "program" in response.context["form"].errors
    assert not MatchRequest.objects.filter(participant=person).exists()


def test_a_second_open_request_in_the_program_is_refused(harbor: Any, login_as: Any) -> None:
    request = make_request(harbor)
    response = login_as(harbor.user("coordinator")).post(
        url("request_create", harbor, request.participant_id), form_data(harbor)
    )
    assert response.status_code == 400
    assert "already waiting" in " ".join(response.context["form"].errors["program"])
    assert MatchRequest.objects.filter(participant=request.participant).count() == 1


def test_a_closed_record_gets_a_clear_error(harbor: Any, login_as: Any) -> None:
    person = make_person(harbor, "Robin")
    people_services.participant_set_status(
        acting_user=harbor.user("coordinator"), participant=person, status="closed", closed_reason="goals_met"
    )
    response = login_as(harbor.user("coordinator")).post(url("request_create", harbor, person.pk), form_data(harbor))
    assert response.status_code == 400
    assert "record is closed" in " ".join(response.context["form"].non_field_errors())


def test_the_profile_links_to_requests_for_those_who_match(harbor: Any, login_as: Any) -> None:
    request = make_request(harbor)
    profile = reverse("people:participant_detail", args=["harbor", request.participant_id])
    html = login_as(harbor.user("coordinator")).get(profile).content.decode()
    assert url("request_create", harbor, request.participant_id) in html
    assert url("request_detail", harbor, request.pk) in html
    people_services.participant_assign_peer(
        acting_user=harbor.user("coordinator"), participant=request.participant, peer=harbor.user("peer")
    )
    html = login_as(harbor.user("peer")).get(profile).content.decode()
    assert "One-on-one peer supporter" not in html and url("request_create", harbor, request.participant_id) not in html


# --- Suggestions and proposing -------------------------------------------------------------------


def test_suggestions_show_reasons_best_first_and_the_read_is_logged(harbor: Any, login_as: Any) -> None:
    dana = make_peer(harbor, "Dana", shared=("Alcohol",), languages=("en", "es"))
    make_peer(harbor, "Eli", shared=("Anxiety",))
    make_peer(harbor, "Far", languages=("vi",))  # no language in common: never suggested
    request = make_request(harbor, note=NOTE, languages=["en"])
    client = login_as(harbor.user("coordinator"))
    before = last_audit_id()
    html = client.get(url("request_detail", harbor, request.pk)).content.decode()
    assert html.index("Dana Example") < html.index("Eli Example")
    assert "Far Example" not in html
    assert "You both shared Alcohol; you both speak English; you are both free on Tuesday evenings" in html
    assert NOTE in html  # the coordinator reads the note; the read is logged
    rows = AuditEvent.objects.filter(id__gt=before)
    assert [(e.action, e.object_id) for e in rows] == [("match_request.view_suggestions", str(request.pk))]
    assert f'value="{dana.pk}"' in html and url("request_propose", harbor, request.pk) in html


def test_show_more_asks_for_more_peers(harbor: Any, login_as: Any) -> None:
    for i in range(7):
        make_peer(harbor, f"Peer{i}")
    request = make_request(harbor)
    client = login_as(harbor.user("coordinator"))
    html = client.get(url("request_detail", harbor, request.pk)).content.decode()
    assert html.count("<h3>") == 5 and 'href="?more=1"' in html
    html = client.get(url("request_detail", harbor, request.pk) + "?more=1").content.decode()
    assert html.count("<h3>") == 7 and 'href="?more=1"' not in html


def test_a_coordinator_proposes_a_suggested_peer(harbor: Any, login_as: Any) -> None:
    dana = make_peer(harbor, "Dana")
    request = make_request(harbor)
    client = login_as(harbor.user("coordinator"))
    response = client.post(url("request_propose", harbor, request.pk), {"peer": str(dana.pk)})
    assert response.status_code == 302 and response["Location"] == url("request_detail", harbor, request.pk)
    match = Match.objects.get(request=request)
    assert (match.peer, match.status, match.proposed_via) == (dana, MatchStatus.PROPOSED, "coordinator")
    assert match.explanation and match.score > 0
    request.refresh_from_db()
    assert request.status == RequestStatus.SUGGESTED
    assert [e.action for e in audit_rows("match.propose", object_id=str(match.pk))] == ["match.propose"]
    html = client.get(url("request_detail", harbor, request.pk)).content.decode()
    assert "Dana Example was asked" in html and url("request_propose", harbor, request.pk) not in html


@pytest.mark.parametrize("which", ["missing", "foreign", "not-a-uuid", "empty", "not a peer", "full"])
def test_proposing_someone_unsuitable_is_refused_and_writes_nothing(
    harbor: Any, riverbend: Any, login_as: Any, which: str
) -> None:
    full = make_peer(harbor, "Full", caseload_limit=0)
    peer = {
        "missing": str(uuid4()),
        "foreign": str(make_peer(riverbend, "Rivera").pk),
        "not-a-uuid": "nope",
        "empty": "",
        "not a peer": str(harbor.user("coordinator").pk),
        "full": str(full.pk),
    }[which]
    request = make_request(harbor)
    client = login_as(harbor.user("coordinator"))
    before = last_audit_id()
    response = client.post(url("request_propose", harbor, request.pk), {"peer": peer})
    assert response.status_code == 400
    html = response.content.decode()
    expected = "no room" if which == "full" else "Choose one of the suggested peer supporters"
    assert expected in html
    assert not Match.objects.filter(request=request).exists()
    assert AuditEvent.objects.filter(id__gt=before).exclude(action="match_request.view_suggestions").count() == 0


def test_a_request_already_asked_cannot_be_proposed_again(harbor: Any, login_as: Any) -> None:
    dana, eli = make_peer(harbor, "Dana"), make_peer(harbor, "Eli")
    request = make_request(harbor)
    services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=dana)
    response = login_as(harbor.user("coordinator")).post(url("request_propose", harbor, request.pk), {"peer": eli.pk})
    assert response.status_code == 400 and "already been asked" in response.content.decode()
    assert Match.objects.filter(request=request).count() == 1


def test_withdrawing_a_request_withdraws_its_proposal(harbor: Any, login_as: Any) -> None:
    request = make_request(harbor)
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=make_peer(harbor, "D"))
    client = login_as(harbor.user("coordinator"))
    response = client.post(url("request_withdraw", harbor, request.pk))
    assert response.status_code == 302 and response["Location"] == url("waiting_list", harbor, harbor.program.pk)
    request.refresh_from_db()
    match.refresh_from_db()
    assert (request.status, match.status) == (RequestStatus.WITHDRAWN, MatchStatus.WITHDRAWN)
    response = client.post(url("request_withdraw", harbor, request.pk))
    assert response.status_code == 400 and "Only a request that is still waiting" in response.content.decode()


def test_request_detail_query_count_does_not_grow_with_peers(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = login_as(harbor.user("coordinator"))
    for i in range(3):
        make_peer(harbor, f"Few{i}")
    request = make_request(harbor)
    few = query_count(client, url("request_detail", harbor, request.pk))
    for i in range(25):
        make_peer(harbor, f"Many{i}", shared=("Alcohol", "Anxiety"))
    with django_assert_max_num_queries(few):
        assert client.get(url("request_detail", harbor, request.pk) + "?more=1").status_code == 200


# --- Batch proposal ------------------------------------------------------------------------------


def batch_form(html: str) -> dict[str, str]:
    start = html.index('name="token" value="') + len('name="token" value="')
    return {"token": html[start : html.index('"', start)]}


def test_the_batch_is_reviewed_then_sent(harbor: Any, login_as: Any) -> None:
    dana = make_peer(harbor, "Dana", caseload_limit=1)
    eli = make_peer(harbor, "Eli", caseload_limit=1, shared=("Anxiety",))
    first = make_request(harbor, make_person(harbor, "First"))
    second = make_request(harbor, make_person(harbor, "Second"))
    age_request(first, 30)
    client = login_as(harbor.user("coordinator"))
    before = last_audit_id()
    response = client.get(url("batch_review", harbor, harbor.program.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 pairs proposed" in html and "First come, first served would total" in html
    assert "Dana Example" in html and "Eli Example" in html and "You both shared Alcohol" in html
    assert [e.action for e in AuditEvent.objects.filter(id__gt=before)] == ["match.batch_view"]
    assert not Match.objects.exists()  # reviewing writes nothing else
    response = client.post(url("batch_review", harbor, harbor.program.pk), batch_form(html))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 peer supporters were asked" in html
    assert set(Match.objects.values_list("request_id", "peer_id", "proposed_via")) == {
        (first.pk, dana.pk, "batch"),
        (second.pk, eli.pk, "batch"),
    }
    assert len(audit_rows("match.batch_send")) == 1 and len(audit_rows("match.propose")) == 2


def test_rows_can_be_left_out(harbor: Any, login_as: Any) -> None:
    make_peer(harbor, "Dana", caseload_limit=5)
    first = make_request(harbor, make_person(harbor, "First"))
    make_request(harbor, make_person(harbor, "Second"))
    age_request(first, 30)
    client = login_as(harbor.user("coordinator"))
    html = client.get(url("batch_review", harbor, harbor.program.pk)).content.decode()
    data = {**batch_form(html), "leave_out": ["0"]}  # rows are in request order: the first is row 0
    html = client.post(url("batch_review", harbor, harbor.program.pk), data).content.decode()
    assert "1 peer supporter was asked" in html and "You left 1 pair out" in html
    assert list(Match.objects.values_list("request__participant__preferred_name", flat=True)) == ["Second"]
    html = client.get(url("batch_review", harbor, harbor.program.pk)).content.decode()
    data = {**batch_form(html), "leave_out": ["0"]}
    response = client.post(url("batch_review", harbor, harbor.program.pk), data)
    assert response.status_code == 400 and "Every row was left out" in response.content.decode()


def test_a_place_filled_since_the_review_is_skipped_and_never_over_capacity(harbor: Any, login_as: Any) -> None:
    dana = make_peer(harbor, "Dana", caseload_limit=1)
    first = make_request(harbor, make_person(harbor, "First"))
    client = login_as(harbor.user("coordinator"))
    html = client.get(url("batch_review", harbor, harbor.program.pk)).content.decode()
    assert "1 pair proposed" in html
    # Meanwhile another coordinator gives Dana's last place to someone else.
    other = make_request(harbor, make_person(harbor, "Other"))
    services.match_propose(acting_user=harbor.user("admin"), request=other, peer=dana)
    html = client.post(url("batch_review", harbor, harbor.program.pk), batch_form(html)).content.decode()
    assert "0 peer supporters were asked" in html
    assert "First — Dana: This peer supporter has no room for someone new right now." in html
    assert Match.objects.filter(peer=dana).count() == 1
    assert not Match.objects.filter(request=first).exists()


@pytest.mark.parametrize("tamper", ["garbage", "edited", "other coordinator", "other program", "bad row"])
def test_a_tampered_or_foreign_proposal_is_refused_and_sends_nothing(harbor: Any, login_as: Any, tamper: str) -> None:
    make_peer(harbor, "Dana")
    make_request(harbor)
    evening = second_program(harbor)
    coordinator = login_as(harbor.user("coordinator"))
    program = harbor.program
    if tamper == "other coordinator":
        html = login_as(harbor.user("admin")).get(url("batch_review", harbor, program.pk)).content.decode()
        data = batch_form(html)
    else:
        html = coordinator.get(url("batch_review", harbor, program.pk)).content.decode()
        data = batch_form(html)
        if tamper == "garbage":
            data = {"token": "not a token"}
        elif tamper == "edited":
            data = {"token": data["token"][:-3] + "abc"}
        elif tamper == "other program":
            program = evening
        elif tamper == "bad row":
            data["leave_out"] = ["7"]
    response = coordinator.post(url("batch_review", harbor, program.pk), data)
    assert response.status_code == 400
    assert not Match.objects.exists()
    assert not audit_rows("match.batch_send")


def test_an_old_proposal_is_worked_out_again(harbor: Any, login_as: Any, monkeypatch: Any) -> None:
    from alongside.matching.views import coordinator

    monkeypatch.setattr(coordinator, "BATCH_MAX_AGE", 60)  # the staff idle timeout would end the session first
    make_peer(harbor, "Dana")
    make_request(harbor)
    client = login_as(harbor.user("coordinator"))
    html = client.get(url("batch_review", harbor, harbor.program.pk)).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        response = client.post(url("batch_review", harbor, harbor.program.pk), batch_form(html))
    assert response.status_code == 302 and response["Location"] == url("batch_review", harbor, harbor.program.pk)
    assert not Match.objects.exists()


def test_nobody_suitable_means_nothing_to_send(harbor: Any, login_as: Any) -> None:
    make_request(harbor)
    html = login_as(harbor.user("coordinator")).get(url("batch_review", harbor, harbor.program.pk)).content.decode()
    assert "Nobody waiting can be offered a peer supporter right now" in html and 'name="token"' not in html


def test_batch_review_query_count_does_not_grow(harbor: Any, login_as: Any, django_assert_max_num_queries: Any) -> None:
    client = login_as(harbor.user("coordinator"))
    for i in range(2):
        make_peer(harbor, f"Few{i}")
        make_request(harbor, make_person(harbor, f"Few {i}"))
    few = query_count(client, url("batch_review", harbor, harbor.program.pk))
    for i in range(15):
        make_peer(harbor, f"Many{i}")
        make_request(harbor, make_person(harbor, f"Many {i}"))
    with django_assert_max_num_queries(few):
        assert client.get(url("batch_review", harbor, harbor.program.pk)).status_code == 200


# --- Weights -------------------------------------------------------------------------------------


def weights_data(**overrides: Any) -> dict[str, str]:
    data = {name: str(getattr(MatchWeights(), name)) for name in MatchWeights.WEIGHT_FIELDS}
    data.update(overrides)
    return data


def test_an_admin_changes_the_weights_and_it_is_audited(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("admin"))
    html = client.get(url("weights_edit", harbor)).content.decode()
    assert "Shared lived experience" in html and "Never shown to the person" in html
    response = client.post(url("weights_edit", harbor), weights_data(shared_experience="60", waiting_per_day="1.25"))
    assert response.status_code == 302
    weights = MatchWeights.objects.get(organisation=harbor.organisation)
    assert weights.shared_experience == 60 and str(weights.waiting_per_day) == "1.25"
    assert len(audit_rows("match_weights.update", object_id=str(weights.pk))) == 1
    # Saving the same numbers again changes nothing and writes no row.
    client.post(url("weights_edit", harbor), weights_data(shared_experience="60", waiting_per_day="1.25"))
    assert len(audit_rows("match_weights.update")) == 1


BAD_WEIGHTS = [
    ({"base": "101"}, "base"),
    ({"load": "-1"}, "load"),
    ({"gender": "lots"}, "gender"),
    ({"continuity": ""}, "continuity"),
    ({"waiting_per_day": "10.5"}, "waiting_per_day"),
    ({"waiting_per_day": "0.125"}, "waiting_per_day"),
    ({"waiting_days_cap": "0"}, "waiting_days_cap"),
    ({"waiting_days_cap": "4000"}, "waiting_days_cap"),
]


@pytest.mark.parametrize(
    ("overrides", "field"), BAD_WEIGHTS, ids=[f"{f}={list(o.values())[0]}" for o, f in BAD_WEIGHTS]
)
def test_bad_weights_name_the_field_and_save_nothing(
    harbor: Any, login_as: Any, overrides: dict[str, str], field: str
) -> None:
    response = login_as(harbor.user("admin")).post(url("weights_edit", harbor), weights_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not MatchWeights.objects.filter(organisation=harbor.organisation).exists()
    assert not audit_rows("match_weights.update")


# --- The peer supporter's requests ---------------------------------------------------------------


def propose(tenant: Any, peer: Any, name: str = "Robin Quinn", **fields: Any) -> Match:
    request = make_request(tenant, make_person(tenant, name), **fields)
    return services.match_propose(acting_user=tenant.user("coordinator"), request=request, peer=peer)


@pytest.fixture
def peer(harbor: Any) -> Any:
    return make_peer(harbor, "Pat", user=harbor.user("peer"), languages=("en", "es"), specialties=("recovery",))


def test_the_peer_sees_first_names_reasons_and_times_never_the_note(harbor: Any, peer: Any, login_as: Any) -> None:
    propose(harbor, peer, note=NOTE, specialties=["recovery"], gender_preference=["woman"], languages=["es"])
    other = make_peer(harbor, "Other")
    propose(harbor, other, "Someone Else")
    client = login_as(harbor.user("peer"))
    before = last_audit_id()
    html = client.get(url("peer_requests", harbor)).content.decode()
    assert "Robin" in html and "Quinn" not in html  # first name only
    assert "Someone" not in html  # someone else's proposal
    assert "You both shared Alcohol; you both speak Spanish" in html
    assert "they asked for support you offer (Recovery from substance use)" in html
    assert "gender" not in html.lower().split("requests for you", 1)[1]  # the person's preference stays theirs
    assert "Tuesday: evening" in html and "Phone, Video" in html
    assert NOTE not in html
    rows = AuditEvent.objects.filter(id__gt=before)
    assert [(e.action, e.object_id) for e in rows] == [("match.view_pending", str(harbor.user("peer").pk))]


def test_an_empty_list_says_so_and_logs_nothing(harbor: Any, peer: Any, login_as: Any) -> None:
    client = login_as(harbor.user("peer"))
    before = last_audit_id()
    html = client.get(url("peer_requests", harbor)).content.decode()
    assert "Nobody is waiting for your answer right now." in html
    assert last_audit_id() == before


def test_the_peer_accepts(harbor: Any, peer: Any, login_as: Any) -> None:
    match = propose(harbor, peer)
    response = login_as(harbor.user("peer")).post(url("peer_accept", harbor, match.pk))
    assert response.status_code == 302 and response["Location"] == url("peer_requests", harbor)
    match.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED
    assert Participant.objects.get(pk=match.participant_id).assigned_peer == harbor.user("peer")
    assert MatchRequest.objects.get(pk=match.request_id).status == RequestStatus.MATCHED
    assert len(audit_rows("match.accept", object_id=str(match.pk))) == 1


@pytest.mark.parametrize(("reason", "stored"), [("conflict", "conflict"), ("", DeclineReason.OTHER)])
def test_the_peer_declines_with_or_without_a_reason(
    harbor: Any, peer: Any, login_as: Any, reason: str, stored: str
) -> None:
    match = propose(harbor, peer)
    response = login_as(harbor.user("peer")).post(url("peer_decline", harbor, match.pk), {"reason": reason})
    assert response.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.decline_reason) == (MatchStatus.DECLINED_BY_PEER, stored)
    assert MatchRequest.objects.get(pk=match.request_id).status == RequestStatus.WAITING


def test_a_bad_reason_is_refused_and_changes_nothing(harbor: Any, peer: Any, login_as: Any) -> None:
    match = propose(harbor, peer)
    response = login_as(harbor.user("peer")).post(url("peer_decline", harbor, match.pk), {"reason": "bored"})
    assert response.status_code == 400 and "Choose a reason from the list" in response.content.decode()
    match.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED


def test_someone_elses_or_an_answered_proposal_looks_missing(harbor: Any, peer: Any, login_as: Any) -> None:
    theirs = propose(harbor, make_peer(harbor, "Other"), "Someone Else")
    mine = propose(harbor, peer)
    client = login_as(harbor.user("peer"))
    for name in ("peer_accept", "peer_decline"):
        assert client.post(url(name, harbor, theirs.pk), {"reason": "other"}).status_code == 404
        assert client.post(url(name, harbor, uuid4()), {"reason": "other"}).status_code == 404
        assert client.post(url(name, harbor, "nope"), {"reason": "other"}).status_code == 404
    assert client.post(url("peer_accept", harbor, mine.pk)).status_code == 302
    assert client.post(url("peer_decline", harbor, mine.pk), {"reason": "other"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == MatchStatus.PROPOSED
    # A coordinator has no "requests for you" to answer (they may record an answer through the API).
    coordinator = login_as(harbor.user("coordinator"))
    assert coordinator.post(url("peer_accept", harbor, theirs.pk)).status_code == 403


def test_peer_requests_query_count_does_not_grow(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    pat = make_peer(harbor, "Pat", user=harbor.user("peer"), caseload_limit=30)
    client = login_as(harbor.user("peer"))
    for i in range(2):
        propose(harbor, pat, f"Few {i}")
    few = query_count(client, url("peer_requests", harbor))
    for i in range(15):
        propose(harbor, pat, f"Many {i}", experiences=("Alcohol",), languages=["en"])
    with django_assert_max_num_queries(few):
        html = client.get(url("peer_requests", harbor)).content.decode()
    assert html.count("<h2 id=") == 17
    assert profile_of(harbor, pat).caseload_limit == 30


# --- A coordinator records the asked peer's answer ------------------------------------------------


def test_a_coordinator_records_a_peers_yes(harbor: Any, login_as: Any) -> None:
    dana = make_peer(harbor, "Dana")
    request = make_request(harbor)
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=dana)
    client = login_as(harbor.user("coordinator"))
    html = client.get(url("request_detail", harbor, request.pk)).content.decode()
    assert "Record Dana Example's answer" in html and url("request_answer", harbor, request.pk) in html
    response = client.post(url("request_answer", harbor, request.pk), {"answer": "accept"})
    assert response.status_code == 302 and response["Location"] == url("request_detail", harbor, request.pk)
    match.refresh_from_db()
    request.refresh_from_db()
    assert (match.status, request.status) == (MatchStatus.ACCEPTED, RequestStatus.MATCHED)
    request.participant.refresh_from_db()
    assert request.participant.assigned_peer == dana
    [row] = audit_rows("match.accept", object_id=str(match.pk))
    assert row.actor_id == harbor.user("coordinator").pk


def test_a_coordinator_records_a_peers_no_with_their_reason(harbor: Any, login_as: Any) -> None:
    request = make_request(harbor)
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=make_peer(harbor, "D"))
    client = login_as(harbor.user("coordinator"))
    response = client.post(url("request_answer", harbor, request.pk), {"answer": "decline", "reason": "at_capacity"})
    assert response.status_code == 302
    match.refresh_from_db()
    request.refresh_from_db()
    assert (match.status, match.decline_reason, request.status) == (
        MatchStatus.DECLINED_BY_PEER,
        "at_capacity",
        RequestStatus.WAITING,
    )
    # Nothing is waiting for an answer any more: a second post is refused and changes nothing.
    again = client.post(url("request_answer", harbor, request.pk), {"answer": "accept"})
    assert again.status_code == 400 and "No peer supporter is waiting to answer" in again.content.decode()
    match.refresh_from_db()
    assert match.status == MatchStatus.DECLINED_BY_PEER


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Say whether they said yes or no."),
        ({"answer": "maybe"}, "Select a valid choice"),
        ({"answer": "decline", "reason": "tired"}, "Select a valid choice"),
    ],
)
def test_a_bad_answer_is_refused_and_writes_nothing(
    harbor: Any, login_as: Any, data: dict[str, str], message: str
) -> None:
    request = make_request(harbor)
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=make_peer(harbor, "D"))
    client = login_as(harbor.user("coordinator"))
    before = last_audit_id()
    response = client.post(url("request_answer", harbor, request.pk), data)
    assert response.status_code == 400 and message in response.content.decode()
    match.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED
    assert AuditEvent.objects.filter(id__gt=before).exclude(action__startswith="match_request.view").count() == 0


@pytest.mark.parametrize("role", ["peer", "supervisor", "funder"])
def test_only_coordinators_and_admins_record_an_answer(harbor: Any, login_as: Any, role: str) -> None:
    request = make_request(harbor)
    match = services.match_propose(acting_user=harbor.user("coordinator"), request=request, peer=make_peer(harbor, "D"))
    response = login_as(harbor.user(role)).post(url("request_answer", harbor, request.pk), {"answer": "accept"})
    assert response.status_code == 403
    match.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED
