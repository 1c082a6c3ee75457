"""The staff screening page: who sees and changes the rules, "try a message" (tier, concepts and
the words that matched shown back, the tried text never written anywhere), adding, editing and
stopping own rules and added words, "only the built-in rules", bad input refused with nothing
written, and the page's query budget."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.warmline.models import ScreeningRule, ScreeningWord
from alongside.warmline.screening_rules import rule_create, word_add

pytestmark = pytest.mark.django_db


def url(name: str, t: Any, *args: Any) -> str:
    return reverse(f"warmline:{name}", args=[t.organisation.slug, *args])


def rules(t: Any, **filters: Any) -> list[ScreeningRule]:
    with scopes_disabled():
        return list(ScreeningRule.objects.filter(organisation=t.organisation, **filters))


def audit_count() -> int:
    with scopes_disabled():
        return AuditEvent.objects.count()


def test_who_sees_the_rules(harbor: Any, login_as: Any) -> None:
    admin = login_as(harbor.user("admin")).get(url("screening_rules", harbor))
    assert admin.status_code == 200
    text = admin.content.decode()
    assert "They miss what they have no words for" in text and "never a judgement" in text
    assert "built-in rules, by concept" in text and "Means at hand or taken" in text
    assert "@took ... @quantity ... @meds" in text and "quitarme la vida" in text and "@meds" in text
    assert url("screening_rule_create", harbor) in text and url("screening_word_create", harbor) in text
    supervisor = login_as(harbor.user("supervisor")).get(url("screening_rules", harbor))
    assert supervisor.status_code == 200 and url("screening_rule_create", harbor) not in supervisor.content.decode()
    for role in ("peer", "referrer"):
        assert login_as(harbor.user(role)).get(url("screening_rules", harbor)).status_code == 403


def test_the_list_page_query_count_does_not_grow(
    harbor: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = login_as(harbor.user("admin"))
    client.get(url("screening_rules", harbor))
    with django_assert_max_num_queries(10):  # the built-in rules: none of the organisation's own
        client.get(url("screening_rules", harbor))
    for n in range(3):
        word_add(
            acting_user=harbor.user("admin"),
            organisation=harbor.organisation,
            language="en",
            set_name="meds",
            term=f"med{n}",
        )
        rule_create(
            acting_user=harbor.user("admin"), organisation=harbor.organisation, language="en", phrase=f"word{n}"
        )
        rule_create(
            acting_user=harbor.user("admin"), organisation=harbor.organisation, language="es", phrase=f"palabra{n}"
        )
    client.get(url("screening_rules", harbor))
    with django_assert_max_num_queries(10):
        page = client.get(url("screening_rules", harbor))
    assert "palabra2" in page.content.decode() and "med2" in page.content.decode()


def _stored_anywhere(value: str) -> list[str]:
    """Every plain text column of every table that holds ``value``."""
    found = []
    with scopes_disabled():
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if type(field) in (models.CharField, models.TextField) and (
                    model._base_manager.filter(**{f"{field.name}__contains": value}).exists()
                ):
                    found.append(f"{model._meta.label}.{field.name}")
    return found


def test_try_a_message_shows_the_verdict_and_stores_nothing(harbor: Any, login_as: Any, caplog: Any) -> None:
    message = "Zebracorn says: I took a whole bottle of my meds, quiero matarme"
    client = login_as(harbor.user("supervisor"))  # signing in is audited
    before = audit_count()
    page = client.post(url("screening_try", harbor), {"text": message, "language": ""})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Urgent." in text and "the supervisor on duty would be alerted" in text
    assert "Means at hand or taken" in text and "Intent or plan to end their life" in text
    assert "“took a whole bottle of my meds”" in text and "<code>@took ... @quantity ... @meds</code>" in text
    assert audit_count() == before
    assert _stored_anywhere("Zebracorn") == [] and _stored_anywhere("whole bottle of my meds") == []
    assert "Zebracorn" not in caplog.text
    checkin = client.post(url("screening_try", harbor), {"text": "I just want to die", "language": "en"})
    assert "Check in." in checkin.content.decode() and "The person would see nothing." in checkin.content.decode()
    clear = client.post(url("screening_try", harbor), {"text": "I'm not suicidal", "language": "en"})
    assert "No rule matched." in clear.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"text": ""}, "Write a message to try."),
        ({"text": "   "}, "Write a message to try."),
        ({"text": "x" * 2001}, "2000 characters or fewer"),
        ({"text": "hello", "language": "fr"}, "Choose English, Spanish or either."),
    ],
)
def test_try_bad_input(harbor: Any, login_as: Any, data: dict[str, str], error: str) -> None:
    page = login_as(harbor.user("admin")).post(url("screening_try", harbor), data)
    assert page.status_code == 400 and error in page.content.decode()
    assert "Urgent." not in page.content.decode() and "No rule matched" not in page.content.decode()


def test_try_needs_the_permission_and_a_post(harbor: Any, login_as: Any) -> None:
    assert login_as(harbor.user("peer")).post(url("screening_try", harbor), {"text": "hi"}).status_code == 403
    assert login_as(harbor.user("admin")).get(url("screening_try", harbor)).status_code == 405


def test_add_a_rule(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("admin"))
    form = client.get(url("screening_rule_create", harbor) + "?language=es")
    assert form.status_code == 200 and 'value="es" selected' in form.content.decode()
    done = client.post(
        url("screening_rule_create", harbor),
        {
            "language": "es",
            "phrase": "Dormir para siempre",
            "concept": "wish_to_die",
            "tier": "check_in",
            "negatable": "on",
            "note": "Heard on our line",
        },
    )
    assert done.status_code == 302 and done["Location"] == url("screening_rules", harbor)
    added = rules(harbor, phrase="dormir para siempre").pop()
    assert (added.language, added.negatable, added.note, added.concept, added.tier) == (
        "es",
        True,
        "Heard on our line",
        "wish_to_die",
        "check_in",
    )
    assert len(rules(harbor, language="es")) == 1
    page = client.get(url("screening_rules", harbor)).content.decode()
    assert "Heard on our line" in page and url("screening_rule_edit", harbor, added.pk) in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"language": "en", "phrase": ""}, "Write the rule: the words to look for."),
        ({"language": "en", "phrase": "su*cide"}, "Put * only at the end of a word"),
        ({"language": "en", "phrase": "die|death"}, "Rules are not regular expressions."),
        ({"language": "en", "phrase": "ab*"}, "at least 3 letters before the *"),
        ({"language": "en", "phrase": "@astrology ... die"}, "There is no word set called"),
        ({"language": "en", "phrase": "x" * 201}, "200 characters or fewer"),
        ({"language": "en", "phrase": "@kill_act ... @self_only"}, "The built-in rules already have this rule"),
        ({"language": "de", "phrase": "fine"}, "Choose English or Spanish."),
        ({"language": "en", "phrase": "fine", "tier": "maybe"}, "Choose urgent or check in."),
        ({"language": "en", "phrase": "fine", "concept": "astrology"}, "Choose one of the concepts listed"),
        ({"language": "en", "phrase": "fine", "note": "n" * 301}, "300 characters or fewer"),
    ],
)
def test_add_bad_input_writes_nothing(harbor: Any, login_as: Any, data: dict[str, str], error: str) -> None:
    client = login_as(harbor.user("admin"))  # signing in is audited
    before = audit_count()
    page = client.post(url("screening_rule_create", harbor), {"concept": "own", "tier": "urgent", **data})
    assert page.status_code == 400 and error in page.content.decode()
    assert rules(harbor) == [] and audit_count() == before


def test_only_admins_change_rules(harbor: Any, login_as: Any) -> None:
    rule = rule_create(acting_user=harbor.user("admin"), organisation=harbor.organisation, language="en", phrase="fine")
    for role in ("coordinator", "supervisor", "peer"):
        client = login_as(harbor.user(role))
        assert client.get(url("screening_rule_create", harbor)).status_code == 403
        assert client.post(url("screening_rule_create", harbor), {"language": "en", "phrase": "x y"}).status_code == 403
        assert client.get(url("screening_rule_edit", harbor, rule.pk)).status_code == 403
        assert client.post(url("screening_rule_deactivate", harbor, rule.pk)).status_code == 403
        assert client.post(url("screening_reset", harbor), {"language": "en"}).status_code == 403
    assert rules(harbor, phrase="x y") == [] and rules(harbor, pk=rule.pk)[0].is_active


def test_edit_stop_and_use_again(harbor: Any, login_as: Any) -> None:
    rule = rule_create(acting_user=harbor.user("admin"), organisation=harbor.organisation, language="en", phrase="fine")
    client = login_as(harbor.user("admin"))
    edit = client.get(url("screening_rule_edit", harbor, rule.pk))
    assert edit.status_code == 200 and 'value="fine"' in edit.content.decode()
    keep = {"concept": "own", "tier": "urgent"}
    bad = client.post(url("screening_rule_edit", harbor, rule.pk), {"phrase": "su*cide", "is_active": "on", **keep})
    assert bad.status_code == 400 and "Put * only at the end of a word" in bad.content.decode()
    assert rules(harbor, pk=rule.pk)[0].phrase == "fine"
    done = client.post(
        url("screening_rule_edit", harbor, rule.pk),
        {"phrase": "not fine", "note": "Changed", "is_active": "on", **keep},
    )
    assert done.status_code == 302
    rule.refresh_from_db()
    assert (rule.phrase, rule.negatable, rule.note, rule.is_active) == ("not fine", False, "Changed", True)
    assert client.get(url("screening_rule_deactivate", harbor, rule.pk)).status_code == 405
    assert client.post(url("screening_rule_deactivate", harbor, rule.pk)).status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    client.post(
        url("screening_rule_edit", harbor, rule.pk),
        {"phrase": "not fine", "negatable": "on", "is_active": "on", "concept": "means", "tier": "check_in"},
    )
    rule.refresh_from_db()
    assert rule.is_active and rule.negatable and (rule.concept, rule.tier) == ("means", "check_in")


def test_reset_to_the_built_in_rules(harbor: Any, login_as: Any) -> None:
    rule = rule_create(acting_user=harbor.user("admin"), organisation=harbor.organisation, language="en", phrase="fine")
    client = login_as(harbor.user("admin"))
    assert client.get(url("screening_reset", harbor) + "?language=en").status_code == 200
    bad = client.post(url("screening_reset", harbor), {"language": "xx"})
    assert bad.status_code == 400 and "Choose English or Spanish." in bad.content.decode()
    assert rules(harbor, pk=rule.pk)[0].is_active
    assert client.post(url("screening_reset", harbor), {"language": "en"}).status_code == 302
    assert not rules(harbor, pk=rule.pk)[0].is_active


def test_another_organisations_rule_is_missing(harbor: Any, riverbend: Any, login_as: Any) -> None:
    theirs = rule_create(
        acting_user=riverbend.user("admin"), organisation=riverbend.organisation, language="en", phrase="theirs"
    )
    client = login_as(harbor.user("admin"))
    assert client.get(url("screening_rule_edit", harbor, theirs.pk)).status_code == 404
    assert client.post(url("screening_rule_deactivate", harbor, theirs.pk)).status_code == 404
    assert rules(riverbend, pk=theirs.pk)[0].is_active


def test_try_uses_the_organisations_own_rules(harbor: Any, login_as: Any) -> None:
    rule_create(
        acting_user=harbor.user("admin"), organisation=harbor.organisation, language="en", phrase="join the fog"
    )
    page = login_as(harbor.user("coordinator")).post(url("screening_try", harbor), {"text": "I'll join the fog"})
    assert "<code>join the fog</code>" in page.content.decode() and "Our own rule" in page.content.decode()


def test_add_edit_and_stop_an_added_word(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("admin"))
    form = client.get(url("screening_word_create", harbor) + "?language=es&set=meds")
    assert form.status_code == 200 and 'value="meds" selected' in form.content.decode()
    bad = client.post(url("screening_word_create", harbor), {"language": "en", "set_name": "meds", "term": "pills"})
    assert bad.status_code == 400 and "already has “pills”" in bad.content.decode()
    bad = client.post(url("screening_word_create", harbor), {"language": "en", "set_name": "nosuch", "term": "x"})
    assert bad.status_code == 400 and "Choose one of the word sets listed." in bad.content.decode()
    with scopes_disabled():
        assert not ScreeningWord.objects.exists()
    done = client.post(
        url("screening_word_create", harbor),
        {"language": "en", "set_name": "meds", "term": "Zoplicone", "note": "Local"},
    )
    assert done.status_code == 302
    with scopes_disabled():
        word = ScreeningWord.objects.get()
    assert (word.term, word.set_name, word.note, word.is_active) == ("zoplicone", "meds", "Local", True)
    page = client.get(url("screening_rules", harbor)).content.decode()
    assert "Added: “zoplicone”" in page and url("screening_word_edit", harbor, word.pk) in page
    assert client.post(url("screening_word_edit", harbor, word.pk), {"term": "", "note": ""}).status_code == 400
    assert (
        client.post(url("screening_word_edit", harbor, word.pk), {"term": "zoplicone", "note": ""}).status_code == 302
    )
    word.refresh_from_db()
    assert not word.is_active  # unticked "in use"
    for role in ("coordinator", "supervisor", "peer"):
        assert login_as(harbor.user(role)).get(url("screening_word_create", harbor)).status_code == 403
        assert login_as(harbor.user(role)).get(url("screening_word_edit", harbor, word.pk)).status_code == 403
