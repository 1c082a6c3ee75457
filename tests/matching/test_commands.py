"""``alongside match suggest|batch``: output, JSON, dry run writes nothing, bad input."""

from __future__ import annotations

import json
import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.matching.models import Match
from tests.matching.helpers import make_peer, make_person, make_request

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("match", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def waiting(harbor: Any) -> dict[str, Any]:
    with scopes_disabled():
        ana = make_peer(harbor, "Ana", shared=("Alcohol",), languages=("en", "es"), caseload_limit=1)
        ben = make_peer(harbor, "Ben", shared=("Depression",), caseload_limit=1)
        first = make_request(harbor, make_person(harbor, "Robin"), languages=["es"])
        second = make_request(harbor, make_person(harbor, "Sky"))
        third = make_request(harbor, make_person(harbor, "Tam"))
    return {"ana": ana, "ben": ben, "requests": [first, second, third]}


def test_suggest_prints_peers_with_reasons(harbor, waiting):
    request = waiting["requests"][0]
    text = run("suggest", "--request", str(request.pk))
    assert f"Suggestions for match request {request.pk}" in text
    assert "1. Ana" in text
    assert "You both shared Alcohol; you both speak Spanish" in text
    assert "Ben" not in text  # no shared language
    assert "Robin" not in text  # people are named by record id only
    row = AuditEvent.objects.get(action="match_request.view_suggestions")
    assert (row.object_id, row.actor_role) == (str(request.pk), "system")


def test_suggest_as_json(harbor, waiting):
    request = waiting["requests"][1]
    data = json.loads(run("suggest", "--request", str(request.pk), "--json", "--limit", "3"))
    assert data["request"] == str(request.pk)
    assert [s["first_name"] for s in data["suggestions"]] == ["Ana", "Ben"]
    assert data["suggestions"][0]["reasons"][0]["kind"] == "experience"
    assert data["suggestions"][0]["score"] > data["suggestions"][1]["score"]


def test_batch_dry_run_prints_the_proposal_and_its_total_and_writes_nothing(harbor, waiting):
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    text = run("batch", "--program", str(harbor.program.pk), "--dry-run")
    assert "3 waiting, room for 2" in text
    assert text.count(" → ") == 2
    assert "Total score: " in text and "First come, first served would total" in text
    assert "Dry run: nothing was sent." in text
    with scopes_disabled():
        assert Match.objects.count() == 0
    # Only the access-log row for showing the reasons (they name lived experience).
    assert list(AuditEvent.objects.filter(id__gt=last_id).values_list("action", "actor_role")) == [
        ("match.batch_view", "system")
    ]
    data = json.loads(run("batch", "--program", str(harbor.program.pk), "--dry-run", "--json"))
    assert data["total"] >= data["greedy_total"] > 0
    assert len(data["proposals"]) == 2 and data["dry_run"] is True


def test_batch_sends_proposals_through_the_services(harbor, waiting):
    text = run("batch", "--program", str(harbor.program.pk), "--by", "coordinator@harbor.test")
    assert "Sent 2 proposals" in text
    with scopes_disabled():
        matches = list(Match.objects.all())
    assert {m.proposed_via for m in matches} == {"batch"}
    assert {m.proposed_by for m in matches} == {harbor.user("coordinator")}
    assert set(AuditEvent.objects.filter(action="match.propose").values_list("actor_role", flat=True)) == {
        "coordinator"
    }
    assert AuditEvent.objects.filter(action="match.propose").count() == 2
    # Nothing left to offer: everyone with room was asked.
    again = json.loads(run("batch", "--program", str(harbor.program.pk), "--json"))
    assert again["proposals"] == [] and again["sent"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["suggest", "--request", "not-a-uuid"], "--request must be a UUID"),
        (["suggest", "--request", str(uuid.uuid4())], "No match request has the id"),
        (["batch", "--program", "nope"], "--program must be a UUID"),
        (["batch", "--program", str(uuid.uuid4()), "--dry-run"], "No program has the id"),
    ],
)
def test_bad_arguments_are_refused_clearly(harbor, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_suggest_limits_and_senders_are_checked(harbor, riverbend, waiting):
    request = waiting["requests"][0]
    with pytest.raises(CommandError, match="--limit must be between 1 and 20"):
        run("suggest", "--request", str(request.pk), "--limit", "0")
    for email in ("peer@harbor.test", "admin@riverbend.test", "nobody@example.org"):
        with pytest.raises(CommandError, match="not an active coordinator or admin"):
            run("batch", "--program", str(harbor.program.pk), "--by", email)
