"""Bad input on ``POST /organisations/{slug}/programs``: a 400 naming the field, and nothing written."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import ApiClient, audit_count, make_token, program_count, programs_url, valid_body
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db

Body = Callable[[Tenant, Tenant], Any]


def _without(key: str) -> Body:
    return lambda harbor, riverbend: {k: v for k, v in valid_body().items() if k != key}


def _with(**fields: Any) -> Body:
    return lambda harbor, riverbend: valid_body(**fields)


# (case id, body builder, the field the error must name)
CASES: list[tuple[str, Body, str]] = [
    ("missing name", _without("name"), "name"),
    ("empty name", _with(name=""), "name"),
    ("blank name", _with(name="   \t "), "name"),
    ("name too long", _with(name="x" * 201), "name"),
    ("name with NUL", _with(name="Night\x00Owls"), "name"),
    ("name not a string", _with(name=5), "name"),
    ("name null", _with(name=None), "name"),
    ("name a list", _with(name=["Night Owls"]), "name"),
    ("duplicate name", lambda h, r: valid_body(name=h.program.name), "name"),
    ("duplicate name, other case and padding", lambda h, r: valid_body(name=f"  {h.program.name.upper()} "), "name"),
    ("description too long", _with(description="d" * 4001), "description"),
    ("description with NUL", _with(description="a\x00b"), "description"),
    ("description not a string", _with(description={"text": "hi"}), "description"),
    ("missing models", _without("models"), "models"),
    ("empty models", _with(models=[]), "models"),
    ("unknown model", _with(models=["mentorship", "telepathy"]), "models"),
    ("models a string", _with(models="mentorship"), "models"),
    ("models null", _with(models=None), "models"),
    ("model not a string", _with(models=[1]), "models.0"),
    ("missing audiences", _without("audiences"), "audiences"),
    ("empty audiences", _with(audiences=[]), "audiences"),
    ("unknown audience", _with(audiences=["martians"]), "audiences"),
    ("audiences an object", _with(audiences={"adults": True}), "audiences"),
    ("is_public not a boolean", _with(is_public="maybe"), "is_public"),
    ("is_public null", _with(is_public=None), "is_public"),
    ("site from the other organisation", lambda h, r: valid_body(site_ids=[str(r.site.pk)]), "site_ids"),
    ("missing site", _with(site_ids=[str(uuid.uuid4())]), "site_ids"),
    ("own and foreign site", lambda h, r: valid_body(site_ids=[str(h.site.pk), str(r.site.pk)]), "site_ids"),
    ("site id not a uuid", _with(site_ids=["site-1"]), "site_ids.0"),
    ("site ids a string", lambda h, r: valid_body(site_ids=str(h.site.pk)), "site_ids"),
    ("unknown field", _with(is_pubilc=False), "is_pubilc"),
    ("read-only field", _with(is_active=False), "is_active"),
    ("organisation in the body", lambda h, r: valid_body(organisation_id=str(r.organisation.pk)), "organisation_id"),
    ("body a list", lambda h, r: [valid_body()], "__all__"),
    ("body a string", lambda h, r: "Night Owls", "__all__"),
    ("body null", lambda h, r: None, "__all__"),
]


def _assert_field_error(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert field in body["errors"], body
    messages = body["errors"][field]
    assert isinstance(messages, list) and messages
    assert all(isinstance(m, str) and m for m in messages)


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in CASES], ids=[c for c, _, _ in CASES])
def test_bad_body_is_400_naming_the_field_and_writes_nothing(
    harbor: Tenant, riverbend: Tenant, body: Body, field: str
) -> None:
    client = ApiClient(make_token(harbor.user("admin")))
    programs, audits = program_count(), audit_count()
    response = client.post(programs_url(), json.dumps(body(harbor, riverbend)))
    _assert_field_error(response, field)
    assert program_count() == programs
    assert audit_count() == audits
    # The same admin with a good body succeeds: the refusal was the input, not the caller.
    assert client.post(programs_url(), valid_body(name="Good After Bad")).status_code == 201


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("name=Night+Owls&models=warmline", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ('{"name": "Night Owls",}', "application/json"),
        ("Night Owls", "text/plain"),
        ("\xff\xfe", "application/json"),
        ("", "application/json"),
    ],
    ids=["form", "broken json", "trailing comma", "text", "bad bytes", "empty"],
)
def test_non_json_body_is_400_with_the_same_shape(harbor: Tenant, raw: str, content_type: str) -> None:
    client = ApiClient(make_token(harbor.user("admin")))
    programs, audits = program_count(), audit_count()
    response = client.post(programs_url(), raw.encode("latin-1"), content_type=content_type)
    _assert_field_error(response, "__all__")
    assert program_count() == programs
    assert audit_count() == audits


def test_all_problems_are_reported_at_once(harbor: Tenant, riverbend: Tenant) -> None:
    client = ApiClient(make_token(harbor.user("admin")))
    body = {
        "name": harbor.program.name,
        "models": ["telepathy"],
        "audiences": ["martians"],
        "site_ids": [str(riverbend.site.pk)],
    }
    response = client.post(programs_url(), body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "models", "audiences", "site_ids"}


# --- Property test: whatever the body, a 201 or a clean 400 --------------------------------------

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_field_values = {
    "name": st.text(max_size=210) | _json,
    "description": st.text(max_size=50) | _json,
    "models": st.lists(st.sampled_from(["mentorship", "groups", "warmline", "Groups", ""]), max_size=3) | _json,
    "audiences": st.lists(st.sampled_from(["adults", "youth", "families", "pets"]), max_size=3) | _json,
    "is_public": st.booleans() | _json,
    "site_ids": st.lists(st.uuids().map(str), max_size=2) | _json,
}
_bodies = st.fixed_dictionaries({}, optional=_field_values) | _json


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies)
def test_any_body_gives_201_or_a_field_level_400(harbor: Tenant, body: Any) -> None:
    client = ApiClient(make_token(harbor.user("admin")))
    programs, audits = program_count(), audit_count()
    response = client.post(programs_url(), json.dumps(body))
    assert response.status_code in {201, 400}, response.content
    if response.status_code == 201:
        assert program_count() == programs + 1
        assert audit_count("program.create") >= 1
        return
    payload = response.json()
    assert set(payload) == {"detail", "errors"} and payload["errors"]
    assert all(isinstance(v, list) and v for v in payload["errors"].values())
    assert program_count() == programs
    assert audit_count() == audits
