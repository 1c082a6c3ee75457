"""``alongside warmline screen``: one line of JSON, the organisation's rules with --org, and clear
errors for bad input."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alongside.warmline.screening_rules import rule_create


def run(*args: str) -> str:
    out = StringIO()
    call_command("warmline", "screen", *args, stdout=out)
    return out.getvalue()


def test_prints_one_line_of_json() -> None:
    out = run("--text", "I'm going to shoot myself")
    assert out.count("\n") == 1
    verdict = json.loads(out)
    assert (verdict["flag"], verdict["tier"], verdict["concepts"]) == (True, "urgent", ["suicide_intent"])
    assert "@future ... @kill_act ... @self_only" in verdict["matched"] and "going to shoot myself" in verdict["words"]
    assert json.loads(run("--text", "I'm not suicidal")) == {
        "flag": False,
        "tier": "",
        "concepts": [],
        "matched": [],
        "words": [],
    }
    assert json.loads(run("--text", "I just want to die"))["tier"] == "check_in"


def test_spanish_and_auto() -> None:
    assert json.loads(run("--text", "ya no quiero vivir", "--lang", "es"))["concepts"] == ["wish_to_die"]
    assert json.loads(run("--text", "Me voy a quitar la vida esta noche"))["tier"] == "urgent"  # auto: both
    assert json.loads(run("--text", "ahorcarme", "--lang", "en"))["flag"] is False  # English rules only
    assert json.loads(run("--text", "voy a ahorcarme", "--lang", "es"))["flag"] is True


@pytest.mark.django_db
def test_organisation_rules(harbor: Any) -> None:
    rule_create(
        acting_user=harbor.user("admin"), organisation=harbor.organisation, language="en", phrase="join the fog"
    )
    assert json.loads(run("--text", "join the fog", "--org", "harbor"))["matched"] == ["join the fog"]
    assert json.loads(run("--text", "join the fog"))["flag"] is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text", "hello", "--org", "nowhere"], "No active organisation has the slug 'nowhere'"),
        (["--text", ""], "--text must not be empty"),
        (["--text", "   "], "--text must not be empty"),
        (["--text", "hello", "--lang", "fr"], "invalid choice: 'fr'"),
        ([], "--text"),
    ],
)
def test_bad_input(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
