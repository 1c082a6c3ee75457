"""``Idempotency-Key`` on the API's creates: a retry returns the first response and creates nothing more;
a reused key with another request is 422; a key whose first request is still running is 409."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from alongside.accounts.models import User
from alongside.api.idempotency import IN_FLIGHT_TIMEOUT, request_fingerprint
from alongside.api.models import IDEMPOTENCY_KEY_TTL, IdempotencyKey
from alongside.people.models import Consent, Participant
from tests.api.helpers import API, ApiClient, audit_count
from tests.conftest import Tenant
from tests.people.helpers import tenant_participant

pytestmark = pytest.mark.django_db

ApiAs = Callable[[User], ApiClient]

URL = f"{API}/organisations/harbor/participants"
BODY = {"preferred_name": "Riley", "email": "riley@example.org", "notes": "Asked about evening groups"}
KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


def key(value: str = KEY) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": f'"{value}"'}


def participants() -> int:
    with scopes_disabled():
        return Participant.objects.count()


def consents() -> int:
    with scopes_disabled():
        return Consent.objects.count()


def consents_url(tenant: Tenant) -> str:
    return f"{URL}/{tenant_participant(tenant).pk}/consents"


def canonical_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@pytest.fixture
def admin(harbor: Tenant, api_as: ApiAs) -> ApiClient:
    return api_as(harbor.user("admin"))


def test_replay_returns_the_identical_response_and_creates_once(harbor: Tenant, admin: ApiClient) -> None:
    before, audits = participants(), audit_count()
    first = admin.post(URL, BODY, **key())
    assert first.status_code == 201
    second = admin.post(URL, BODY, **key())
    third = admin.post(URL, json.dumps(BODY, indent=2, sort_keys=True), **key())  # same JSON, other bytes
    for again in (second, third):
        assert again.status_code == 201
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"]
    assert participants() == before + 1
    assert audit_count() == audits + 1  # participant.create, once
    stored = IdempotencyKey.objects.get(user=harbor.user("admin"), key=KEY)
    assert (stored.method, stored.path, stored.response_status) == ("POST", URL, 201)
    assert stored.request_hash == canonical_hash(BODY)


def test_quoted_and_bare_keys_are_the_same_key(harbor: Tenant, admin: ApiClient) -> None:
    first = admin.post(URL, BODY, HTTP_IDEMPOTENCY_KEY="abc-123")
    again = admin.post(URL, BODY, HTTP_IDEMPOTENCY_KEY='"abc-123"')
    assert first.status_code == again.status_code == 201 and first.content == again.content
    assert IdempotencyKey.objects.filter(key="abc-123").count() == 1


def test_consent_grant_honours_the_key_too(harbor: Tenant, admin: ApiClient) -> None:
    url, body = consents_url(harbor), {"purpose": "service", "given_by": "self", "method": "written"}
    before = consents()
    first = admin.post(url, body, **key())
    again = admin.post(url, body, **key())
    assert first.status_code == again.status_code == 201 and first.content == again.content
    assert consents() == before + 1
    changed = admin.post(url, {**body, "purpose": "research"}, **key())
    assert changed.status_code == 422
    assert consents() == before + 1


def test_same_key_different_body_is_422_and_creates_nothing(harbor: Tenant, admin: ApiClient) -> None:
    assert admin.post(URL, BODY, **key()).status_code == 201
    before, audits = participants(), audit_count()
    response = admin.post(URL, {**BODY, "preferred_name": "Someone Else"}, **key())
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "Idempotency-Key" in detail and "different request" in detail
    assert (participants(), audit_count()) == (before, audits)
    # The stored response is untouched: the original request still replays.
    assert admin.post(URL, BODY, **key()).status_code == 201
    assert participants() == before


def test_same_key_on_another_endpoint_is_422(harbor: Tenant, admin: ApiClient) -> None:
    assert admin.post(URL, BODY, **key()).status_code == 201
    before = consents()
    response = admin.post(consents_url(harbor), BODY, **key())
    # The body does not fit the consent schema: validation answers first, before any key is looked at.
    assert response.status_code == 400
    body = {"purpose": "service", "given_by": "self", "method": "written"}
    assert admin.post(consents_url(harbor), body, **key()).status_code == 422
    assert consents() == before


def _in_flight(user: User, body: Any, *, age: timedelta = timedelta(0)) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        user=user,
        key=KEY,
        method="POST",
        path=URL,
        request_hash=canonical_hash(body),
        created_at=timezone.now() - age,
    )


def test_key_still_in_flight_is_409(harbor: Tenant, admin: ApiClient) -> None:
    _in_flight(harbor.user("admin"), BODY)
    before, audits = participants(), audit_count()
    response = admin.post(URL, BODY, **key())
    assert response.status_code == 409
    assert "still in progress" in response.json()["detail"]
    assert (participants(), audit_count()) == (before, audits)
    assert IdempotencyKey.objects.get(key=KEY).response_status is None


def test_abandoned_in_flight_key_is_taken_over(harbor: Tenant, admin: ApiClient) -> None:
    """A first request that died with its process does not block the key for a day."""
    _in_flight(harbor.user("admin"), BODY, age=IN_FLIGHT_TIMEOUT + timedelta(seconds=1))
    before = participants()
    response = admin.post(URL, BODY, **key())
    assert response.status_code == 201
    assert participants() == before + 1
    assert IdempotencyKey.objects.get(key=KEY).response_status == 201


def test_keys_are_per_user(harbor: Tenant, admin: ApiClient, api_as: ApiAs) -> None:
    coordinator = api_as(harbor.user("coordinator"))
    before = participants()
    mine = admin.post(URL, BODY, **key())
    same_body = coordinator.post(URL, BODY, **key())
    assert mine.status_code == same_body.status_code == 201
    assert mine.json()["id"] != same_body.json()["id"]
    # Each replays their own response.
    assert admin.post(URL, BODY, **key()).content == mine.content
    assert coordinator.post(URL, BODY, **key()).content == same_body.content
    assert participants() == before + 2
    # Another person's key with a different body is no conflict either.
    other = api_as(harbor.user("coordinator"))
    IdempotencyKey.objects.filter(user=harbor.user("coordinator")).delete()
    assert other.post(URL, {**BODY, "preferred_name": "Other"}, **key()).status_code == 201
    assert IdempotencyKey.objects.filter(key=KEY).count() == 2


def test_another_users_in_flight_key_does_not_block(harbor: Tenant, admin: ApiClient) -> None:
    _in_flight(harbor.user("coordinator"), BODY)
    assert admin.post(URL, BODY, **key()).status_code == 201


def test_expired_keys_are_ignored(harbor: Tenant, admin: ApiClient) -> None:
    first = admin.post(URL, BODY, **key())
    IdempotencyKey.objects.filter(key=KEY).update(created_at=timezone.now() - IDEMPOTENCY_KEY_TTL)
    before = participants()
    again = admin.post(URL, BODY, **key())
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]
    assert participants() == before + 1
    # A different body after expiry is a new request, not a conflict.
    IdempotencyKey.objects.filter(key=KEY).update(created_at=timezone.now() - IDEMPOTENCY_KEY_TTL - timedelta(hours=1))
    assert admin.post(URL, {**BODY, "preferred_name": "New"}, **key()).status_code == 201
    assert IdempotencyKey.objects.filter(key=KEY).count() == 1


def test_failed_create_stores_no_key(harbor: Tenant, admin: ApiClient) -> None:
    before, audits = participants(), audit_count()
    # Refused inside the create (the service's peer check), after the key was claimed.
    not_a_peer = {**BODY, "assigned_peer_id": str(harbor.user("coordinator").pk)}
    response = admin.post(URL, not_a_peer, **key())
    assert response.status_code == 400 and "assigned_peer_id" in response.json()["errors"]
    # Refused by validation, before the create.
    assert admin.post(URL, {**BODY, "email": "nope"}, **key()).status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert (participants(), audit_count()) == (before, audits)
    # The client corrects the request and retries with the same key.
    assert admin.post(URL, BODY, **key()).status_code == 201
    assert participants() == before + 1


def test_refused_callers_store_no_key(harbor: Tenant, riverbend: Tenant, api_as: ApiAs) -> None:
    assert api_as(harbor.user("peer")).post(URL, BODY, **key()).status_code == 403
    assert api_as(riverbend.user("admin")).post(URL, BODY, **key()).status_code == 404
    assert ApiClient().post(URL, BODY, **key()).status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_without_a_key_each_post_creates(harbor: Tenant, admin: ApiClient) -> None:
    before = participants()
    assert admin.post(URL, BODY).status_code == 201
    assert admin.post(URL, BODY).status_code == 201
    assert participants() == before + 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize(
    "value",
    ["", '""', "x" * 256, '"' + "x" * 256 + '"', "two words", "caf\u00e9", "tab\there"],
    ids=["empty", "empty quoted", "256 chars", "256 chars quoted", "space", "non-ascii", "tab"],
)
def test_malformed_key_is_400_and_creates_nothing(harbor: Tenant, admin: ApiClient, value: str) -> None:
    before = participants()
    response = admin.post(URL, BODY, HTTP_IDEMPOTENCY_KEY=value)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert participants() == before
    assert not IdempotencyKey.objects.exists()


def test_longest_key_is_accepted(harbor: Tenant, admin: ApiClient) -> None:
    longest = "k" * 255
    assert admin.post(URL, BODY, **key(longest)).status_code == 201
    assert admin.post(URL, BODY, **key(longest)).status_code == 201
    assert IdempotencyKey.objects.get().key == longest


def test_stored_response_is_encrypted_at_rest(harbor: Tenant, admin: ApiClient) -> None:
    response = admin.post(URL, BODY, **key())
    assert response.status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body FROM api_idempotencykey")
        (raw,) = cursor.fetchone()
    for content in (BODY["preferred_name"], BODY["email"], BODY["notes"], response.json()["id"]):
        assert content not in raw
    assert json.loads(IdempotencyKey.objects.get().response_body) == response.json()


def test_fingerprint_ignores_key_order_and_spacing(rf: Any) -> None:
    a = rf.post("/", data='{"a": 1, "b": [1, 2]}', content_type="application/json")
    b = rf.post("/", data='{"b":[1,2],"a":1}', content_type="application/json")
    c = rf.post("/", data='{"b":[2,1],"a":1}', content_type="application/json")
    assert request_fingerprint(a) == request_fingerprint(b) != request_fingerprint(c)
