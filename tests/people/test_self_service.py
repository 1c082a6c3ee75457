"""The person's private pages (/me/): a private link, a Continue button, then their own access history
and their information — for that person only, never cached, always with the crisis notice."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts.models import Organisation
from alongside.audit.models import AuditEvent
from alongside.people import rights, services
from alongside.people.models import Participant, ParticipantAccessLink
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db

NOT_WORKING = "This link is not working"


def make_link(tenant: Any, participant: Participant | None = None) -> tuple[ParticipantAccessLink, str]:
    with scopes_disabled():
        person = participant or tenant_participant(tenant)
        return rights.access_link_create(acting_user=tenant.user("coordinator"), participant=person)


def start(client: Client, token: str) -> Any:
    return client.post(f"/me/start/{token}/")


def signed_in_to_me(tenant: Any, participant: Participant | None = None) -> tuple[Client, ParticipantAccessLink]:
    link, token = make_link(tenant, participant)
    client = Client()
    assert start(client, token)["Location"] == "/me/"
    return client, link


def last_events(n: int) -> list[AuditEvent]:
    return list(reversed(AuditEvent.objects.order_by("-id")[:n]))


def normalised(body: bytes, token: str = "") -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body.decode())
    return text.replace(token, "TOKEN") if token else text


def assert_private(response: Any) -> None:
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


# --- Starting ---------------------------------------------------------------------------------


def test_the_link_opens_a_calm_page_that_uses_nothing_until_continue(harbor: Any, client: Client) -> None:
    link, token = make_link(harbor)
    before = AuditEvent.objects.count()
    response = client.get(f"/me/start/{token}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your private page" in text and ">Continue<" in text
    # A link preview (or someone glancing at the screen) learns no name and no organisation.
    assert "Sam Sample" not in text and harbor.organisation.name not in text
    assert "This is not a crisis service." in text and "Quick exit" in text
    assert_private(response)
    with scopes_disabled():
        link.refresh_from_db()
    assert link.last_used_at is None and AuditEvent.objects.count() == before
    assert "alongside_self_service" not in client.session


def test_continue_starts_a_visit_with_a_new_session_key(harbor: Any) -> None:
    link, token = make_link(harbor)
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/me/start/{token}/").content.decode()
    csrf = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[-1]
    first_key = client.session.session_key
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        response = client.post(f"/me/start/{token}/", {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert_private(response)
    assert client.session.session_key != first_key
    with scopes_disabled():
        link.refresh_from_db()
    assert link.last_used_at == now
    (event,) = last_events(1)
    assert (event.action, event.actor_id, event.actor_role, event.object_id) == (
        "participant.access_link.use",
        None,
        "participant",
        str(link.participant_id),
    )


def test_unknown_expired_revoked_and_restricted_links_all_look_the_same(harbor: Any, client: Client) -> None:
    coordinator = harbor.user("coordinator")
    expired_link, expired = make_link(harbor)
    with scopes_disabled():
        ParticipantAccessLink.objects.filter(pk=expired_link.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        revoked_person = services.participant_create(
            acting_user=coordinator, organisation=harbor.organisation, preferred_name="Revoked Person"
        )
        restricted_person = services.participant_create(
            acting_user=coordinator, organisation=harbor.organisation, preferred_name="Restricted Person"
        )
    _link, revoked = make_link(harbor, revoked_person)
    _link, restricted = make_link(harbor, restricted_person)
    with scopes_disabled():
        rights.access_links_revoke(acting_user=coordinator, participant=revoked_person)
        rights.participant_erasure_request(acting_user=harbor.user("admin"), participant=restricted_person)
    unknown = "x" * 43
    before = AuditEvent.objects.count()
    answers = {}
    for token in (unknown, expired, revoked, restricted, "short", "%20"):
        for method in ("get", "post"):
            response = getattr(client, method)(f"/me/start/{token}/")
            assert response.status_code == 404, (token, method)
            assert_private(response)
            answers[(token, method)] = normalised(response.content, token)
    assert len(set(answers.values())) == 1
    page = next(iter(answers.values()))
    assert NOT_WORKING in page and "This is not a crisis service." in page
    assert "Revoked Person" not in page and "Restricted Person" not in page
    assert AuditEvent.objects.count() == before
    assert "alongside_self_service" not in client.session


def test_tokens_are_stored_only_as_their_hash(harbor: Any) -> None:
    link, token = make_link(harbor)
    with scopes_disabled():
        rows = json.dumps(list(ParticipantAccessLink.objects.values()), default=str)
    assert token not in rows and link.token_hash in rows and len(link.token_hash) == 64
    assert not AuditEvent.objects.filter(object_id=token).exists()


# --- The person's page ------------------------------------------------------------------------


def test_me_shows_their_access_history_and_is_audited(harbor: Any) -> None:
    sam = tenant_participant(harbor)
    from tests.conftest import signed_in_client

    signed_in_client(harbor.user("coordinator")).get(f"/app/harbor/people/{sam.pk}/")
    client, link = signed_in_to_me(harbor)
    response = client.get("/me/")
    assert response.status_code == 200
    assert_private(response)
    text = response.content.decode()
    assert "Hello, Sam Sample" in text
    assert "Who has looked at your record" in text
    assert "Coordinator Harbor" in text and "Viewed your record" in text and "Made you a private link" in text
    assert "This is not a crisis service." in text and "Quick exit" in text
    assert harbor.organisation.name in text
    (event,) = last_events(1)
    assert (event.action, event.actor_id, event.actor_role, event.object_type, event.object_id) == (
        "participant.self_view",
        None,
        "participant",
        "people.participant",
        str(sam.pk),
    )
    assert event.organisation_id == harbor.organisation.pk


@pytest.mark.parametrize("contacts", [1, 20])
def test_me_has_a_constant_query_count(harbor: Any, contacts: int, django_assert_max_num_queries: Any) -> None:
    sam = tenant_participant(harbor)
    with scopes_disabled():
        for _ in range(contacts):
            services.contact_record_create(
                acting_user=harbor.user("peer"),
                participant=sam,
                organisation=harbor.organisation,
                service_model="mentorship",
                occurred_at=timezone.now(),
                duration_minutes=10,
                mode="phone",
            )
    client, _link = signed_in_to_me(harbor)
    with django_assert_max_num_queries(14):
        assert client.get("/me/").status_code == 200


def test_download_and_readable_page_are_their_own_information(harbor: Any) -> None:
    sam = tenant_participant(harbor)
    with scopes_disabled():
        services.contact_record_create(
            acting_user=harbor.user("peer"),
            participant=sam,
            organisation=harbor.organisation,
            service_model="mentorship",
            occurred_at=timezone.now(),
            duration_minutes=30,
            mode="phone",
            notes="Talked about a new job",
        )
    client, _link = signed_in_to_me(harbor)
    response = client.get("/me/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="my-information.json"'
    assert_private(response)
    data = json.loads(response.content)
    assert data["participant"]["preferred_name"] == "Sam Sample"
    assert data["contacts"][0]["notes"] == "Talked about a new job"
    (self_export,) = last_events(1)
    assert (self_export.action, self_export.actor_id, self_export.actor_role, self_export.object_id) == (
        "participant.self_export",
        None,
        "participant",
        str(sam.pk),
    )

    page = client.get("/me/information/")
    assert page.status_code == 200
    assert_private(page)
    text = page.content.decode()
    assert "Everything we hold about you" in text and "Talked about a new job" in text
    assert "One-on-one mentorship" in text and "This is not a crisis service." in text
    assert last_events(1)[0].action == "participant.self_export"

    # In their history the download shows once, in their words.
    history = client.get("/me/").content.decode()
    assert history.count("Downloaded your information") == 2  # the file and the page
    assert "Exported your information" not in history


def test_one_persons_link_never_shows_anothers_data(harbor: Any, riverbend: Any) -> None:
    with scopes_disabled():
        other = services.participant_create(
            acting_user=harbor.user("coordinator"),
            organisation=harbor.organisation,
            preferred_name="Quinn Other",
            notes="Quinn's private words",
        )
        services.participant_viewed(acting_user=harbor.user("admin"), participant=other)
    sam_client, _ = signed_in_to_me(harbor)
    quinn_client, _ = signed_in_to_me(harbor, other)
    river_client, _ = signed_in_to_me(riverbend)
    sam_pages = [sam_client.get(p).content.decode() for p in ("/me/", "/me/information/", "/me/download/")]
    quinn_pages = [quinn_client.get(p).content.decode() for p in ("/me/", "/me/information/", "/me/download/")]
    river_pages = [river_client.get(p).content.decode() for p in ("/me/", "/me/information/", "/me/download/")]
    for page in sam_pages + river_pages:
        assert "Quinn" not in page
    for page in quinn_pages:
        assert "Sam Sample" not in page and "Admin Harbor" in quinn_pages[0]
    assert "Admin Harbor" not in sam_pages[0]
    assert all(harbor.organisation.name not in page for page in river_pages)
    assert "sam@riverbend.example.org" in river_pages[2] and "sam@harbor.example.org" not in river_pages[2]


def test_without_a_visit_the_me_pages_show_nothing(harbor: Any, client: Client, login_as: Any) -> None:
    for path in ("/me/", "/me/download/", "/me/information/"):
        response = client.get(path)
        assert response.status_code == 404 and NOT_WORKING in response.content.decode()
        assert_private(response)
    # A staff member's session is not a private link either.
    staff = login_as(harbor.user("admin"))
    assert staff.get("/me/").status_code == 404
    assert client.post("/me/").status_code == 405


def test_leave_forgets_the_link(harbor: Any) -> None:
    client, _link = signed_in_to_me(harbor)
    assert client.get("/me/").status_code == 200
    assert client.get("/me/leave/").status_code == 405
    response = client.post("/me/leave/")
    assert response.status_code == 200
    assert_private(response)
    assert "You have left your private page" in response.content.decode()
    assert "alongside_self_service" not in client.session
    assert client.get("/me/").status_code == 404
    # Leaving twice is harmless.
    assert client.post("/me/leave/").status_code == 200


@pytest.mark.parametrize("ending", ["expired", "revoked", "erasure", "hour", "inactive_org"])
def test_the_visit_ends_with_the_link(harbor: Any, ending: str) -> None:
    client, link = signed_in_to_me(harbor)
    assert client.get("/me/").status_code == 200
    later = timezone.now()
    with scopes_disabled():
        if ending == "expired":
            later = link.expires_at + timedelta(seconds=1)
        elif ending == "revoked":
            rights.access_links_revoke(acting_user=harbor.user("coordinator"), participant=link.participant)
        elif ending == "erasure":
            rights.participant_erasure_request(acting_user=harbor.user("admin"), participant=link.participant)
        elif ending == "hour":
            later = timezone.now() + rights.SELF_SERVICE_SESSION_LIMIT + timedelta(seconds=1)
        else:
            Organisation.objects.filter(pk=harbor.organisation.pk).update(is_active=False)
    with time_machine.travel(later):
        response = client.get("/me/")
        assert response.status_code == 404 and NOT_WORKING in response.content.decode()
        assert "Sam Sample" not in response.content.decode()
        assert client.get("/me/download/").status_code == 404
    assert "alongside_self_service" not in client.session


def test_a_tampered_session_shows_nothing(harbor: Any) -> None:
    client, _link = signed_in_to_me(harbor)
    for value in ({"link": "not-a-uuid", "since": timezone.now().isoformat()}, {"link": "x", "since": "nope"}, "x"):
        session = client.session
        session["alongside_self_service"] = value
        session.save()
        assert client.get("/me/").status_code == 404
