"""``/api/v1/organisations/{slug}/participants`` and consents: tokens, record scope per role, isolation,
bad input per field (400 naming it, nothing written), the access-log row of a read, and consent."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts.models import User
from alongside.audit.models import AuditEvent
from alongside.people import services
from alongside.people.models import Consent, Participant
from tests.api.helpers import API, ApiClient, audit_count, make_token
from tests.conftest import ROLES, Tenant
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db

ApiAs = Callable[[User], ApiClient]

# Who sees which record (people/access.py): the sample person is the harbor peer's, supervised by
# harbor's supervisor; the unassigned person is seen by admins and coordinators only.
SEES_SAMPLE = {"admin", "coordinator", "supervisor", "peer"}
SEES_UNASSIGNED = {"admin", "coordinator"}
LIST_READERS = {"admin", "coordinator", "supervisor", "peer"}
WRITERS = {"admin", "coordinator"}
CONSENT_RECORDERS = {"admin", "coordinator", "peer"}

DETAIL_KEYS = {
    "id",
    "preferred_name",
    "legal_name",
    "pronouns",
    "date_of_birth",
    "age_band",
    "age",
    "languages",
    "email",
    "phone",
    "preferred_contact",
    "safe_to_voicemail",
    "safe_to_text",
    "safe_to_email",
    "postcode",
    "accessibility_needs",
    "looking_for",
    "status",
    "assigned_peer_id",
    "part2",
    "created_at",
    "updated_at",
    "notes",
    "redisclosure_notice",
}
LIST_KEYS = DETAIL_KEYS - {"notes", "redisclosure_notice"}


def participants_url(slug: str = "harbor") -> str:
    return f"{API}/organisations/{slug}/participants"


def participant_url(participant_id: Any, slug: str = "harbor") -> str:
    return f"{participants_url(slug)}/{participant_id}"


def consents_url(participant_id: Any, slug: str = "harbor") -> str:
    return f"{participant_url(participant_id, slug)}/consents"


def withdraw_url(participant_id: Any, consent_id: Any, slug: str = "harbor") -> str:
    return f"{consents_url(participant_id, slug)}/{consent_id}/withdraw"


def patch(client: ApiClient, path: str, body: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers: dict[str, Any] = dict(client.headers)
    return client.client.patch(path, data=data, content_type="application/json", **headers)


def participant_count() -> int:
    with scopes_disabled():
        return Participant.objects.count()


def consent_count() -> int:
    with scopes_disabled():
        return Consent.objects.count()


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def born(years: int, days: int = 10) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


def person(tenant: Tenant, **fields: Any) -> Participant:
    fields.setdefault("preferred_name", "Robin")
    with scopes_disabled():
        return services.participant_create(
            acting_user=tenant.user("coordinator"), organisation=tenant.organisation, **fields
        )


@pytest.fixture
def sample(harbor: Tenant) -> Participant:
    return tenant_participant(harbor)


@pytest.fixture
def unassigned(harbor: Tenant) -> Participant:
    return person(harbor, preferred_name="Una Unassigned", email="una@harbor.example.org", notes="Una's notes")


def _assert_field_error(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert field in body["errors"], body
    assert body["errors"][field] and all(isinstance(m, str) and m for m in body["errors"][field])


# --- Tokens ---------------------------------------------------------------------------------------


def test_no_token_is_401_everywhere_and_writes_nothing(harbor: Tenant, sample: Participant) -> None:
    with scopes_disabled():
        consent = services.consent_grant(
            acting_user=harbor.user("admin"), participant=sample, purpose="service", given_by="self", method="written"
        )
    before = (participant_count(), consent_count(), audit_count())
    client = ApiClient()
    responses = [
        client.get(participants_url()),
        client.post(participants_url(), {"preferred_name": "Nobody"}),
        client.get(participant_url(sample.pk)),
        patch(client, participant_url(sample.pk), {"preferred_name": "Renamed"}),
        client.get(consents_url(sample.pk)),
        client.post(consents_url(sample.pk), {"purpose": "service", "given_by": "self", "method": "written"}),
        client.post(withdraw_url(sample.pk, consent.pk), {}),
    ]
    for response in responses:
        assert response.status_code == 401
        assert response.json() == {"detail": "A valid API token is required."}
        assert "Sam Sample" not in response.content.decode()
    assert (participant_count(), consent_count(), audit_count()) == before
    with scopes_disabled():
        assert Consent.objects.get(pk=consent.pk).withdrawn_at is None


# --- Record scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_only_the_callers_record_scope(
    harbor: Tenant, sample: Participant, unassigned: Participant, api_as: ApiAs, role: str
) -> None:
    response = api_as(harbor.user(role)).get(participants_url())
    if role not in LIST_READERS:
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to do this."}
        assert "Sam Sample" not in response.content.decode()
        return
    assert response.status_code == 200
    names = [item["preferred_name"] for item in response.json()["items"]]
    expected = sorted(
        [p.preferred_name for p, seers in ((sample, SEES_SAMPLE), (unassigned, SEES_UNASSIGNED)) if role in seers]
    )
    assert names == expected
    assert response.json()["count"] == len(expected)


def test_peer_sees_only_their_caseload(harbor: Tenant, sample: Participant, api_as: ApiAs) -> None:
    with scopes_disabled():
        from alongside.accounts import services as account_services

        other_peer = account_services.user_create(
            acting_user=None, email="peer2@harbor.test", password="x" * 20, full_name="Other Peer"
        )
        account_services.membership_grant(
            acting_user=None, organisation=harbor.organisation, user=other_peer, role="peer"
        )
    theirs = person(harbor, preferred_name="Theo Theirs", assigned_peer=other_peer)
    client = api_as(harbor.user("peer"))
    assert [i["id"] for i in client.get(participants_url()).json()["items"]] == [str(sample.pk)]
    assert client.get(participant_url(sample.pk)).status_code == 200
    hidden, missing = client.get(participant_url(theirs.pk)), client.get(participant_url(uuid.uuid4()))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    # The supervisor of harbor's peer does not supervise the other peer either.
    assert api_as(harbor.user("supervisor")).get(participant_url(theirs.pk)).status_code == 404
    assert api_as(harbor.user("coordinator")).get(participant_url(theirs.pk)).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_detail_by_role_and_out_of_scope_looks_missing(
    harbor: Tenant, sample: Participant, unassigned: Participant, api_as: ApiAs, role: str
) -> None:
    client = api_as(harbor.user(role))
    missing = client.get(participant_url(uuid.uuid4()))
    assert missing.status_code == 404
    for participant, seers in ((sample, SEES_SAMPLE), (unassigned, SEES_UNASSIGNED)):
        response = client.get(participant_url(participant.pk))
        if role in seers:
            assert response.status_code == 200
            assert response.json()["id"] == str(participant.pk)
        else:
            assert response.status_code == 404
            assert response.content == missing.content
    # A malformed id is a bad request, not a lookup.
    _assert_field_error(client.get(participant_url("not-a-uuid")), "participant_id")


def test_outsider_gets_404_identical_to_missing(
    harbor: Tenant, riverbend: Tenant, sample: Participant, outsider: User
) -> None:
    client = ApiClient(make_token(outsider))
    before = (participant_count(), consent_count(), audit_count())
    pairs = [
        (client.get(participants_url("harbor")), client.get(participants_url("no-such-org"))),
        (client.get(participant_url(sample.pk, "harbor")), client.get(participant_url(sample.pk, "no-such-org"))),
        (
            client.post(participants_url("harbor"), {"preferred_name": "Planted"}),
            client.post(participants_url("no-such-org"), {"preferred_name": "Planted"}),
        ),
        (
            patch(client, participant_url(sample.pk, "harbor"), {"preferred_name": "Renamed"}),
            patch(client, participant_url(sample.pk, "no-such-org"), {"preferred_name": "Renamed"}),
        ),
        (client.get(consents_url(sample.pk, "harbor")), client.get(consents_url(sample.pk, "no-such-org"))),
        # harbor's participant named under the outsider's own organisation: like an id that exists nowhere.
        (client.get(participant_url(sample.pk, "riverbend")), client.get(participant_url(uuid.uuid4(), "riverbend"))),
        (
            patch(client, participant_url(sample.pk, "riverbend"), {"notes": "x"}),
            patch(client, participant_url(uuid.uuid4(), "riverbend"), {"notes": "x"}),
        ),
        (
            client.post(
                consents_url(sample.pk, "riverbend"), {"purpose": "service", "given_by": "self", "method": "written"}
            ),
            client.post(
                consents_url(uuid.uuid4(), "riverbend"), {"purpose": "service", "given_by": "self", "method": "written"}
            ),
        ),
    ]
    for foreign, missing in pairs:
        assert foreign.status_code == missing.status_code == 404
        assert foreign.content == missing.content
        for secret in ("Sam Sample", sample.email, "private"):
            assert secret not in foreign.content.decode()
    assert (participant_count(), consent_count(), audit_count()) == before
    with scopes_disabled():
        assert Participant.objects.get(pk=sample.pk).preferred_name == "Sam Sample"


@pytest.mark.parametrize("role", ROLES)
def test_patch_of_a_foreign_participant_looks_missing(
    harbor: Tenant, riverbend: Tenant, api_as: ApiAs, role: str
) -> None:
    """The matrix's checks for PATCH (tests/matrix.py sends GET and POST only)."""
    foreign = tenant_participant(riverbend)
    client = api_as(harbor.user(role))
    body = {"preferred_name": "Taken over", "notes": "overwritten"}
    last = last_audit_id()
    under_theirs = patch(client, participant_url(foreign.pk, "riverbend"), body)
    nowhere = patch(client, participant_url(uuid.uuid4(), "no-such-org"), body)
    assert under_theirs.status_code == nowhere.status_code == 404
    under_ours = patch(client, participant_url(foreign.pk), body)
    missing_ours = patch(client, participant_url(uuid.uuid4()), body)
    assert under_ours.status_code == missing_ours.status_code
    assert under_ours.status_code in (403, 404)
    assert under_ours.content == missing_ours.content
    for response in (under_theirs, under_ours):
        for secret in ("Sam Sample", foreign.email):
            assert secret not in response.content.decode()
    with scopes_disabled():
        unchanged = Participant.objects.get(pk=foreign.pk)
    assert (unchanged.preferred_name, unchanged.notes) == ("Sam Sample", "Sample notes that must stay private")
    assert not AuditEvent.objects.filter(organisation_id=riverbend.organisation.pk, id__gt=last).exists()


# --- Output and the access log --------------------------------------------------------------------


def test_detail_is_the_explicit_shape_with_notes(harbor: Tenant, api_as: ApiAs) -> None:
    peer = harbor.user("peer")
    participant = person(
        harbor,
        preferred_name="Dana",
        legal_name="Dana Q. Example",
        pronouns="they/them",
        date_of_birth=born(30),
        languages=["en", "es"],
        email="dana@example.org",
        phone="(207) 555-0142",
        preferred_contact="text",
        safe_to_text=True,
        safe_to_voicemail=False,
        postcode="04101",
        looking_for_mentorship=True,
        looking_for_warmline=True,
        notes="Prefers evenings",
        assigned_peer=peer,
    )
    data = api_as(harbor.user("coordinator")).get(participant_url(participant.pk)).json()
    assert set(data) == DETAIL_KEYS
    assert data["id"] == str(participant.pk)
    assert data["age"] == 30
    assert data["date_of_birth"] == born(30).isoformat()
    assert data["looking_for"] == ["mentorship", "warmline"]
    assert (data["safe_to_text"], data["safe_to_voicemail"], data["safe_to_email"]) == (True, False, None)
    assert data["assigned_peer_id"] == str(peer.pk)
    assert data["notes"] == "Prefers evenings"
    assert data["status"] == "enquiry" and data["part2"] is False and data["redisclosure_notice"] == ""
    for private in ("phone_digits", "created_by", "organisation", "merged_into", "source"):
        assert private not in data


def test_list_leaves_notes_out(harbor: Tenant, sample: Participant, api_as: ApiAs) -> None:
    response = api_as(harbor.user("admin")).get(participants_url())
    items = response.json()["items"]
    assert items and all(set(item) == LIST_KEYS for item in items)
    assert "Sample notes" not in response.content.decode()


def test_part2_record_carries_the_redisclosure_notice(harbor: Tenant, api_as: ApiAs) -> None:
    participant = person(harbor, preferred_name="Pat", part2=True)
    data = api_as(harbor.user("admin")).get(participant_url(participant.pk)).json()
    assert data["part2"] is True
    assert "42 CFR part 2" in data["redisclosure_notice"]


def test_reading_one_writes_exactly_one_view_row_without_content(
    harbor: Tenant, sample: Participant, api_as: ApiAs
) -> None:
    peer = harbor.user("peer")
    client = api_as(peer)
    last = last_audit_id()
    response = client.get(participant_url(sample.pk))
    assert response.status_code == 200
    events = list(AuditEvent.objects.filter(id__gt=last))
    assert [(e.action, e.actor_id, e.actor_role, e.object_type, e.object_id) for e in events] == [
        ("participant.view", peer.pk, "peer", "people.participant", str(sample.pk))
    ]
    assert events[0].organisation_id == harbor.organisation.pk
    assert events[0].request_id == response["X-Request-ID"]
    for field in AuditEvent._meta.concrete_fields:
        for content in ("Sam", "sam@", "Sample notes"):
            assert content not in str(getattr(events[0], field.attname))


def test_lists_and_refusals_write_no_view_rows(
    harbor: Tenant, riverbend: Tenant, sample: Participant, api_as: ApiAs, outsider: User
) -> None:
    last = last_audit_id()
    api_as(harbor.user("admin")).get(participants_url())
    api_as(harbor.user("admin")).get(consents_url(sample.pk))
    api_as(harbor.user("funder")).get(participant_url(sample.pk))
    ApiClient(make_token(outsider)).get(participant_url(sample.pk))
    assert not AuditEvent.objects.filter(id__gt=last, action="participant.view").exists()


# --- List filters and paging ----------------------------------------------------------------------


def test_status_filter_search_and_paging(harbor: Tenant, api_as: ApiAs) -> None:
    for i in range(5):
        person(harbor, preferred_name=f"Person {i}")
    active = person(harbor, preferred_name="Active Alex")
    with scopes_disabled():
        services.participant_set_status(acting_user=harbor.user("admin"), participant=active, status="active")
    client = api_as(harbor.user("coordinator"))
    assert [i["id"] for i in client.get(participants_url(), {"status": "active"}).json()["items"]] == [str(active.pk)]
    assert client.get(participants_url(), {"status": "enquiry"}).json()["count"] == 5
    assert client.get(participants_url(), {"q": "alex"}).json()["count"] == 1
    page = client.get(participants_url(), {"limit": 2, "offset": 2}).json()
    assert page["count"] == 6 and [i["preferred_name"] for i in page["items"]] == ["Person 1", "Person 2"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "deleted"}, "status"),
        ({"status": "ACTIVE"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_list_parameters_are_400(harbor: Tenant, api_as: ApiAs, params: dict[str, Any], field: str) -> None:
    _assert_field_error(api_as(harbor.user("admin")).get(participants_url(), params), field)


# --- Create ---------------------------------------------------------------------------------------


def test_create_with_every_field(harbor: Tenant, api_as: ApiAs) -> None:
    admin, peer = harbor.user("admin"), harbor.user("peer")
    body = {
        "preferred_name": "  Jordan  ",
        "legal_name": "Jordan Example",
        "pronouns": "he/him",
        "date_of_birth": born(40).isoformat(),
        "age_band": "26_64",
        "languages": ["en", "pt-BR", "en"],
        "email": "jordan@example.org",
        "phone": "+1 (207) 555-0100",
        "preferred_contact": "email",
        "safe_to_voicemail": None,
        "safe_to_text": False,
        "safe_to_email": True,
        "postcode": "04101",
        "accessibility_needs": "Step-free access",
        "looking_for": ["groups", "mentorship", "groups"],
        "notes": "Met at the fair",
        "part2": False,
        "assigned_peer_id": str(peer.pk),
    }
    client = api_as(admin)
    before, last = participant_count(), last_audit_id()
    response = client.post(participants_url(), body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == DETAIL_KEYS
    assert data["preferred_name"] == "Jordan"
    assert data["languages"] == ["en", "pt-BR"]
    assert data["looking_for"] == ["mentorship", "groups"]
    assert data["assigned_peer_id"] == str(peer.pk) and data["notes"] == "Met at the fair"
    assert participant_count() == before + 1
    with scopes_disabled():
        created = Participant.objects.get(pk=data["id"])
    assert created.organisation_id == harbor.organisation.pk
    assert created.created_by_id == admin.pk and created.phone_digits == "12075550100"
    assert (created.looking_for_mentorship, created.looking_for_groups, created.looking_for_warmline) == (
        True,
        True,
        False,
    )
    events = list(AuditEvent.objects.filter(id__gt=last))
    assert [(e.action, e.object_id) for e in events] == [("participant.create", data["id"])]
    # Readable straight away, by the assigned peer too.
    assert api_as(peer).get(participant_url(data["id"])).json()["email"] == "jordan@example.org"


def test_create_needs_only_a_preferred_name(harbor: Tenant, api_as: ApiAs) -> None:
    response = api_as(harbor.user("coordinator")).post(participants_url(), {"preferred_name": "Kim"})
    assert response.status_code == 201
    data = response.json()
    assert data["email"] == "" and data["languages"] == [] and data["looking_for"] == []
    assert data["safe_to_text"] is None and data["assigned_peer_id"] is None and data["age"] is None


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_and_coordinators_create(harbor: Tenant, api_as: ApiAs, role: str) -> None:
    client = api_as(harbor.user(role))
    before, audits = participant_count(), audit_count()
    response = client.post(participants_url(), {"preferred_name": f"By {role}"})
    if role in WRITERS:
        assert response.status_code == 201
        assert participant_count() == before + 1
        return
    assert response.status_code == 403
    assert (participant_count(), audit_count()) == (before, audits)


Body = Callable[[Tenant, Tenant], Any]


def _body(**fields: Any) -> Body:
    return lambda harbor, riverbend: {"preferred_name": "Valid Name", **fields}


# (case id, body builder, the field the error must name)
CREATE_CASES: list[tuple[str, Body, str]] = [
    ("missing preferred_name", lambda h, r: {"email": "a@example.org"}, "preferred_name"),
    ("empty preferred_name", _body(preferred_name=""), "preferred_name"),
    ("blank preferred_name", _body(preferred_name="  \t "), "preferred_name"),
    ("preferred_name too long", _body(preferred_name="x" * 101), "preferred_name"),
    ("preferred_name with NUL", _body(preferred_name="Sa\x00m"), "preferred_name"),
    ("preferred_name null", _body(preferred_name=None), "preferred_name"),
    ("preferred_name a number", _body(preferred_name=7), "preferred_name"),
    ("legal_name too long", _body(legal_name="x" * 201), "legal_name"),
    ("legal_name null", _body(legal_name=None), "legal_name"),
    ("pronouns too long", _body(pronouns="x" * 51), "pronouns"),
    (
        "date_of_birth in the future",
        _body(date_of_birth=(timezone.localdate() + timedelta(days=2)).isoformat()),
        "date_of_birth",
    ),
    ("date_of_birth before 1900", _body(date_of_birth="1850-01-01"), "date_of_birth"),
    ("date_of_birth not a date", _body(date_of_birth="last spring"), "date_of_birth"),
    ("date_of_birth impossible", _body(date_of_birth="2001-02-30"), "date_of_birth"),
    ("age_band unknown", _body(age_band="ancient"), "age_band"),
    ("languages a string", _body(languages="en"), "languages"),
    ("language not a code", _body(languages=["English!"]), "languages"),
    ("too many languages", _body(languages=["en"] * 21), "languages"),
    ("email invalid", _body(email="not-an-email"), "email"),
    ("email with two @", _body(email="a@@example.org"), "email"),
    ("email too long", _body(email="a" * 250 + "@example.org"), "email"),
    ("phone words", _body(phone="call me maybe"), "phone"),
    ("phone too short", _body(phone="12"), "phone"),
    ("phone too long", _body(phone="1" * 33), "phone"),
    ("preferred_contact unknown", _body(preferred_contact="pigeon"), "preferred_contact"),
    ("safe_to_text not a boolean", _body(safe_to_text="maybe"), "safe_to_text"),
    ("safe_to_voicemail a list", _body(safe_to_voicemail=[True]), "safe_to_voicemail"),
    ("postcode too long", _body(postcode="x" * 21), "postcode"),
    ("accessibility_needs too long", _body(accessibility_needs="x" * 2001), "accessibility_needs"),
    ("looking_for unknown", _body(looking_for=["therapy"]), "looking_for"),
    ("looking_for a string", _body(looking_for="mentorship"), "looking_for"),
    ("notes with NUL", _body(notes="a\x00b"), "notes"),
    ("notes not a string", _body(notes={"text": "hi"}), "notes"),
    ("notes too long", _body(notes="n" * 20001), "notes"),
    ("part2 not a boolean", _body(part2="maybe"), "part2"),
    ("part2 null", _body(part2=None), "part2"),
    ("assigned_peer_id not a uuid", _body(assigned_peer_id="peer-1"), "assigned_peer_id"),
    (
        "assigned_peer_id nobody",
        lambda h, r: {"preferred_name": "V", "assigned_peer_id": str(uuid.uuid4())},
        "assigned_peer_id",
    ),
    (
        "assigned_peer_id not a peer",
        lambda h, r: {"preferred_name": "V", "assigned_peer_id": str(h.user("coordinator").pk)},
        "assigned_peer_id",
    ),
    (
        "assigned_peer_id of the other organisation",
        lambda h, r: {"preferred_name": "V", "assigned_peer_id": str(r.user("peer").pk)},
        "assigned_peer_id",
    ),
    ("status is not settable", _body(status="active"), "status"),
    ("id is not settable", _body(id=str(uuid.uuid4())), "id"),
    (
        "organisation in the body",
        lambda h, r: {"preferred_name": "V", "organisation_id": str(r.organisation.pk)},
        "organisation_id",
    ),
    (
        "created_by in the body",
        lambda h, r: {"preferred_name": "V", "created_by": str(h.user("admin").pk)},
        "created_by",
    ),
    ("misspelt field", _body(preffered_name="Sam"), "preffered_name"),
    ("body a list", lambda h, r: [{"preferred_name": "V"}], "__all__"),
    ("body a string", lambda h, r: "V", "__all__"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in CREATE_CASES], ids=[c for c, _, _ in CREATE_CASES])
def test_bad_create_is_400_naming_the_field_and_writes_nothing(
    harbor: Tenant, riverbend: Tenant, body: Body, field: str
) -> None:
    client = ApiClient(make_token(harbor.user("admin")))
    before, audits = participant_count(), audit_count()
    response = client.post(participants_url(), json.dumps(body(harbor, riverbend)))
    _assert_field_error(response, field)
    assert (participant_count(), audit_count()) == (before, audits)
    assert client.post(participants_url(), {"preferred_name": "Good After Bad"}).status_code == 201


def test_foreign_peer_answers_like_a_missing_one(harbor: Tenant, riverbend: Tenant, api_as: ApiAs) -> None:
    client = api_as(harbor.user("admin"))
    foreign = client.post(
        participants_url(), {"preferred_name": "V", "assigned_peer_id": str(riverbend.user("peer").pk)}
    )
    missing = client.post(participants_url(), {"preferred_name": "V", "assigned_peer_id": str(uuid.uuid4())})
    assert foreign.status_code == missing.status_code == 400
    assert foreign.content == missing.content


def test_all_problems_are_reported_at_once(harbor: Tenant, api_as: ApiAs) -> None:
    body = {"preferred_name": "", "email": "nope", "phone": "x", "age_band": "old", "colour": "blue"}
    response = api_as(harbor.user("admin")).post(participants_url(), body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"preferred_name", "email", "phone", "age_band", "colour"}


# --- Update ---------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(harbor: Tenant, sample: Participant, api_as: ApiAs) -> None:
    client = api_as(harbor.user("coordinator"))
    last = last_audit_id()
    response = patch(
        client,
        participant_url(sample.pk),
        {"preferred_name": " Samira ", "phone": "207 555 0199", "looking_for": ["warmline"], "safe_to_text": True},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["preferred_name"] == "Samira" and data["looking_for"] == ["warmline"] and data["safe_to_text"] is True
    assert data["email"] == sample.email and data["notes"] == "Sample notes that must stay private"
    with scopes_disabled():
        stored = Participant.objects.get(pk=sample.pk)
    assert (stored.preferred_name, stored.phone_digits, stored.looking_for_mentorship) == (
        "Samira",
        "2075550199",
        False,
    )
    assert stored.assigned_peer_id == harbor.user("peer").pk
    assert list(AuditEvent.objects.filter(id__gt=last).values_list("action", flat=True)) == ["participant.update"]


def test_patch_clears_nullable_fields_and_reassigns(harbor: Tenant, api_as: ApiAs) -> None:
    participant = person(harbor, date_of_birth=born(20), safe_to_email=True, assigned_peer=harbor.user("peer"))
    client = api_as(harbor.user("admin"))
    last = last_audit_id()
    response = patch(
        client,
        participant_url(participant.pk),
        {"date_of_birth": None, "safe_to_email": None, "assigned_peer_id": None},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["date_of_birth"], data["age"], data["safe_to_email"], data["assigned_peer_id"]) == (
        None,
        None,
        None,
        None,
    )
    actions = list(AuditEvent.objects.filter(id__gt=last).values_list("action", flat=True))
    assert actions == ["participant.update", "participant.assign_peer"]


def test_empty_patch_changes_nothing(harbor: Tenant, sample: Participant, api_as: ApiAs) -> None:
    client = api_as(harbor.user("admin"))
    audits = audit_count()
    response = patch(client, participant_url(sample.pk), {})
    assert response.status_code == 200 and response.json()["preferred_name"] == "Sam Sample"
    assert audit_count() == audits


PATCH_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("preferred_name null", {"preferred_name": None}, "preferred_name"),
    ("preferred_name blank", {"preferred_name": "   "}, "preferred_name"),
    ("email null", {"email": None}, "email"),
    ("email invalid", {"email": "sam at example"}, "email"),
    ("date_of_birth in the future", {"date_of_birth": "2999-01-01"}, "date_of_birth"),
    ("looking_for null", {"looking_for": None}, "looking_for"),
    ("notes null", {"notes": None}, "notes"),
    ("status", {"status": "closed"}, "status"),
    ("closed_reason", {"closed_reason": "other"}, "closed_reason"),
    ("merged_into", {"merged_into": str(uuid.uuid4())}, "merged_into"),
    ("phone_digits", {"phone_digits": "123"}, "phone_digits"),
    ("assigned_peer_id not a peer", {"assigned_peer_id": "coordinator"}, "assigned_peer_id"),
    ("good field with a bad one", {"legal_name": "Samuel Sample", "pronouns": "x" * 51}, "pronouns"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in PATCH_CASES], ids=[c for c, _, _ in PATCH_CASES])
def test_bad_patch_is_400_and_changes_nothing(
    harbor: Tenant, sample: Participant, api_as: ApiAs, body: dict[str, Any], field: str
) -> None:
    if body.get("assigned_peer_id") == "coordinator":
        body = {"assigned_peer_id": str(harbor.user("coordinator").pk), "legal_name": "Changed"}
    with scopes_disabled():
        before = Participant.objects.get(pk=sample.pk)
    client = api_as(harbor.user("admin"))
    audits = audit_count()
    _assert_field_error(patch(client, participant_url(sample.pk), body), field)
    with scopes_disabled():
        after = Participant.objects.get(pk=sample.pk)
    assert (after.updated_at, after.legal_name, after.assigned_peer_id) == (
        before.updated_at,
        before.legal_name,
        before.assigned_peer_id,
    )
    assert audit_count() == audits


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_and_coordinators_change(harbor: Tenant, sample: Participant, api_as: ApiAs, role: str) -> None:
    client = api_as(harbor.user(role))
    audits = audit_count()
    response = patch(client, participant_url(sample.pk), {"legal_name": f"By {role}"})
    with scopes_disabled():
        legal_name = Participant.objects.get(pk=sample.pk).legal_name
    if role in WRITERS:
        assert response.status_code == 200 and legal_name == f"By {role}"
        return
    assert response.status_code == 403
    assert legal_name == "" and audit_count() == audits


# --- Consent --------------------------------------------------------------------------------------

SERVICE_CONSENT = {"purpose": "service", "given_by": "self", "method": "e_signature", "signature": "Sam Sample"}


def test_grant_and_withdraw_through_the_api(harbor: Tenant, sample: Participant, api_as: ApiAs) -> None:
    peer = harbor.user("peer")
    client = api_as(peer)
    with scopes_disabled():
        assert not services.consent_covers(sample, "service")
    last = last_audit_id()
    response = client.post(consents_url(sample.pk), SERVICE_CONSENT)
    assert response.status_code == 201, response.content
    consent = response.json()
    assert consent["purpose"] == "service" and consent["withdrawn_at"] is None
    assert consent["recorded_by_id"] == str(peer.pk) and consent["participant_id"] == str(sample.pk)
    with scopes_disabled():
        assert services.consent_covers(sample, "service")
    listed = client.get(consents_url(sample.pk)).json()
    assert listed["count"] == 1 and listed["items"] == [consent]

    withdrawn = client.post(withdraw_url(sample.pk, consent["id"]), {})
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn_at"] is not None and withdrawn.json()["withdrawn_by_id"] == str(peer.pk)
    with scopes_disabled():
        assert not services.consent_covers(sample, "service")
    # Withdrawing again changes nothing and writes nothing.
    again = client.post(withdraw_url(sample.pk, consent["id"]), {})
    assert again.status_code == 200 and again.json() == withdrawn.json()
    actions = list(AuditEvent.objects.filter(id__gt=last).values_list("action", "object_id"))
    assert actions == [("consent.grant", consent["id"]), ("consent.withdraw", consent["id"])]


def test_sharing_consent_needs_and_keeps_its_recipient(harbor: Tenant, sample: Participant, api_as: ApiAs) -> None:
    body = {**SERVICE_CONSENT, "purpose": "share_referrer", "recipient": " Dr Lee "}
    response = api_as(harbor.user("coordinator")).post(consents_url(sample.pk), body)
    assert response.status_code == 201 and response.json()["recipient"] == "Dr Lee"
    with scopes_disabled():
        assert services.consent_covers(sample, "share_referrer", recipient="dr lee")
        assert not services.consent_covers(sample, "share_referrer", recipient="Someone Else")


@pytest.mark.parametrize("role", ROLES)
def test_who_records_consent(
    harbor: Tenant, sample: Participant, unassigned: Participant, api_as: ApiAs, role: str
) -> None:
    client = api_as(harbor.user(role))
    before = consent_count()
    own = client.post(consents_url(sample.pk), SERVICE_CONSENT)
    other = client.post(consents_url(unassigned.pk), {**SERVICE_CONSENT, "signature": "Una"})
    if role not in CONSENT_RECORDERS:
        assert own.status_code == other.status_code == 403
    elif role == "peer":
        assert own.status_code == 201
        assert other.status_code == 404  # not their caseload: like a missing person
    else:
        assert own.status_code == other.status_code == 201
    expected = {"admin": 2, "coordinator": 2, "peer": 1}.get(role, 0)
    assert consent_count() == before + expected


@pytest.mark.parametrize("role", ["referrer", "funder"])
def test_referrers_and_funders_do_not_see_consents(
    harbor: Tenant, sample: Participant, api_as: ApiAs, role: str
) -> None:
    response = api_as(harbor.user(role)).get(consents_url(sample.pk))
    missing = api_as(harbor.user(role)).get(consents_url(uuid.uuid4()))
    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content


def test_consent_of_another_person_cannot_be_withdrawn_through_this_one(
    harbor: Tenant, sample: Participant, unassigned: Participant, api_as: ApiAs
) -> None:
    with scopes_disabled():
        consent = services.consent_grant(
            acting_user=harbor.user("admin"),
            participant=unassigned,
            purpose="service",
            given_by="self",
            method="written",
        )
    client = api_as(harbor.user("admin"))
    wrong = client.post(withdraw_url(sample.pk, consent.pk), {})
    missing = client.post(withdraw_url(sample.pk, uuid.uuid4()), {})
    assert wrong.status_code == missing.status_code == 404 and wrong.content == missing.content
    # The peer may not withdraw a consent of someone outside their caseload either.
    assert api_as(harbor.user("peer")).post(withdraw_url(unassigned.pk, consent.pk), {}).status_code == 404
    with scopes_disabled():
        assert Consent.objects.get(pk=consent.pk).withdrawn_at is None


CONSENT_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("missing purpose", {"given_by": "self", "method": "written"}, "purpose"),
    ("unknown purpose", {**SERVICE_CONSENT, "purpose": "marketing"}, "purpose"),
    ("unknown method", {**SERVICE_CONSENT, "method": "telepathy"}, "method"),
    ("unknown given_by", {**SERVICE_CONSENT, "given_by": "neighbour"}, "given_by"),
    ("missing given_by", {"purpose": "service", "method": "written"}, "given_by"),
    ("verbal without witness", {**SERVICE_CONSENT, "method": "verbal"}, "witness"),
    ("e-signature without signature", {**SERVICE_CONSENT, "signature": ""}, "signature"),
    ("sharing without recipient", {**SERVICE_CONSENT, "purpose": "share_care_team"}, "recipient"),
    ("valid_until in the past", {**SERVICE_CONSENT, "valid_until": "2001-01-01"}, "valid_until"),
    ("valid_until not a date", {**SERVICE_CONSENT, "valid_until": "soon"}, "valid_until"),
    (
        "guardian_id nobody",
        {**SERVICE_CONSENT, "given_by": "guardian", "guardian_id": str(uuid.uuid4())},
        "guardian_id",
    ),
    ("guardian without guardian_id", {**SERVICE_CONSENT, "given_by": "guardian"}, "guardian_id"),
    ("part2 consent missing its elements", {**SERVICE_CONSENT, "part2": True}, "part2_information"),
    ("recipient too long", {**SERVICE_CONSENT, "recipient": "r" * 201}, "recipient"),
    ("signature with NUL", {**SERVICE_CONSENT, "signature": "S\x00"}, "signature"),
    ("unknown field", {**SERVICE_CONSENT, "granted_at": "2020-01-01T00:00:00Z"}, "granted_at"),
    ("withdrawn_at in the body", {**SERVICE_CONSENT, "withdrawn_at": None}, "withdrawn_at"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in CONSENT_CASES], ids=[c for c, _, _ in CONSENT_CASES])
def test_bad_consent_is_400_naming_the_field_and_writes_nothing(
    harbor: Tenant, sample: Participant, api_as: ApiAs, body: dict[str, Any], field: str
) -> None:
    client = api_as(harbor.user("coordinator"))
    before, audits = consent_count(), audit_count()
    _assert_field_error(client.post(consents_url(sample.pk), body), field)
    assert (consent_count(), audit_count()) == (before, audits)


def test_part2_sharing_needs_a_part2_consent(harbor: Tenant, api_as: ApiAs) -> None:
    participant = person(harbor, part2=True)
    client = api_as(harbor.user("admin"))
    body = {**SERVICE_CONSENT, "purpose": "share_referrer", "recipient": "Dr Lee"}
    _assert_field_error(client.post(consents_url(participant.pk), body), "part2")
    full = {
        **body,
        "part2": True,
        "part2_information": "Attendance only",
        "part2_discloser": "Harbor Peers",
        "part2_expiry_event": "End of treatment",
    }
    response = client.post(consents_url(participant.pk), full)
    assert response.status_code == 201 and response.json()["part2"] is True


def test_youth_rules_surface_as_field_errors(harbor: Tenant, api_as: ApiAs) -> None:
    client = api_as(harbor.user("coordinator"))
    child = person(harbor, preferred_name="Kit", date_of_birth=born(12))
    with scopes_disabled():
        parent = services.guardian_create(acting_user=harbor.user("admin"), participant=child, name="Morgan")
        not_legal = services.guardian_create(
            acting_user=harbor.user("admin"), participant=child, name="Aunt Jo", is_legal_guardian=False
        )
    before = consent_count()
    # Twelve: too young to consent alone.
    _assert_field_error(client.post(consents_url(child.pk), {**SERVICE_CONSENT, "signature": "Kit"}), "given_by")
    # Only a legal guardian may consent for them.
    by_aunt = {**SERVICE_CONSENT, "given_by": "guardian", "guardian_id": str(not_legal.pk), "signature": "Jo"}
    _assert_field_error(client.post(consents_url(child.pk), by_aunt), "guardian_id")
    assert consent_count() == before
    by_parent = {**by_aunt, "guardian_id": str(parent.pk), "signature": "Morgan"}
    response = client.post(consents_url(child.pk), by_parent)
    assert response.status_code == 201 and response.json()["guardian_id"] == str(parent.pk)

    # Sixteen: may consent alone, so only they may.
    teen = person(harbor, preferred_name="Ari", date_of_birth=born(16))
    with scopes_disabled():
        teen_parent = services.guardian_create(acting_user=harbor.user("admin"), participant=teen, name="Lee")
    for_teen = {**SERVICE_CONSENT, "given_by": "guardian", "guardian_id": str(teen_parent.pk)}
    _assert_field_error(client.post(consents_url(teen.pk), for_teen), "given_by")
    assert client.post(consents_url(teen.pk), {**SERVICE_CONSENT, "signature": "Ari"}).status_code == 201

    # Another person's guardian answers like a missing one.
    other = client.post(consents_url(teen.pk), {**for_teen, "guardian_id": str(parent.pk)})
    missing = client.post(consents_url(teen.pk), {**for_teen, "guardian_id": str(uuid.uuid4())})
    assert other.status_code == missing.status_code == 400 and other.content == missing.content


# --- Raw storage ----------------------------------------------------------------------------------


def test_notes_sent_through_the_api_are_encrypted_at_rest(harbor: Tenant, api_as: ApiAs) -> None:
    secret = "Disclosed a relapse last week"
    response = api_as(harbor.user("admin")).post(participants_url(), {"preferred_name": "Enc", "notes": secret})
    assert response.status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM people_participant WHERE id = %s", [uuid.UUID(response.json()["id"]).hex])
        row = cursor.fetchone()
    if row is None:  # PostgreSQL stores the uuid natively
        with connection.cursor() as cursor:
            cursor.execute("SELECT notes FROM people_participant WHERE id = %s", [response.json()["id"]])
            row = cursor.fetchone()
    assert row is not None and secret not in row[0]


def test_new_routes_are_in_the_openapi_document(client: Any) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    base = "/api/v1/organisations/{org_slug}/participants"
    expected = {
        (base, "get"),
        (base, "post"),
        (base + "/{participant_id}", "get"),
        (base + "/{participant_id}", "patch"),
        (base + "/{participant_id}/consents", "get"),
        (base + "/{participant_id}/consents", "post"),
        (base + "/{participant_id}/consents/{consent_id}/withdraw", "post"),
    }
    for path, method in expected:
        operation = paths[path][method]
        assert operation["security"] == [{"BearerToken": []}]
    for path, method in ((base, "post"), (base + "/{participant_id}/consents", "post")):
        headers = [p["name"] for p in paths[path][method]["parameters"] if p["in"] == "header"]
        assert headers == ["Idempotency-Key"]
        assert {"409", "422"} <= set(paths[path][method]["responses"])
