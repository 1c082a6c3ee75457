"""Example messages: an admin keeps examples (encrypted, audited), sees what the rules do with
each now, and tries a rule change on them before saving: newly flagged, no longer flagged."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.warmline.models import ScreeningExample, ScreeningRule, ScreeningWord
from alongside.warmline.screening_rules import example_add, rule_create

pytestmark = pytest.mark.django_db


def url(name: str, t: Any, *args: Any) -> str:
    return reverse(f"warmline:{name}", args=[t.organisation.slug, *args])


def keep(t: Any, text: str, should_flag: bool, language: str = "en") -> ScreeningExample:
    return example_add(
        acting_user=t.user("admin"), organisation=t.organisation, language=language, text=text, should_flag=should_flag
    )


def test_keep_examples_and_see_what_the_rules_do(harbor: Any, login_as: Any) -> None:
    client = login_as(harbor.user("admin"))
    done = client.post(
        url("screening_example_create", harbor),
        {"language": "en", "text": "the purple elephants are back", "should_flag": "yes"},
    )
    assert done.status_code == 302
    bad = client.post(url("screening_example_create", harbor), {"language": "en", "text": "  ", "should_flag": "yes"})
    assert bad.status_code == 400 and "Write the example message." in bad.content.decode()
    bad = client.post(url("screening_example_create", harbor), {"language": "xx", "text": "hi", "should_flag": "maybe"})
    assert bad.status_code == 400 and "Choose yes or no." in bad.content.decode()
    with scopes_disabled():
        example = ScreeningExample.objects.get()
        assert AuditEvent.objects.filter(action="screening_example.create", object_id=str(example.pk)).exists()
    page = client.get(url("screening_rules", harbor)).content.decode()
    assert "the purple elephants are back" in page and "Not as expected" in page
    with scopes_disabled():  # reading the examples (P3-like free text) is audited as a read
        assert AuditEvent.objects.filter(action="screening_examples.view").exists()
        from django.db import connection

        with connection.cursor() as cursor:  # stored encrypted: the raw column holds no plaintext
            cursor.execute("SELECT text FROM warmline_screeningexample")
            assert all("purple" not in str(row[0]) for row in cursor.fetchall())  # no rule flags it
    for role in ("coordinator", "supervisor"):
        assert login_as(harbor.user(role)).get(url("screening_example_create", harbor)).status_code == 403
    client.post(url("screening_example_deactivate", harbor, example.pk))
    assert "the purple elephants are back" not in client.get(url("screening_rules", harbor)).content.decode()


def test_try_a_rule_change_on_the_examples_before_saving(harbor: Any, login_as: Any) -> None:
    keep(harbor, "the purple elephants are coming for me", True)
    keep(harbor, "we saw purple elephants at the parade", False)
    keep(harbor, "I'm going to kill myself", True)
    client = login_as(harbor.user("admin"))
    data = {
        "language": "en",
        "phrase": "purple elephants",
        "concept": "own",
        "tier": "check_in",
        "negatable": "on",
    }
    page = client.post(url("screening_rule_create", harbor), {**data, "preview": "1"})
    text = page.content.decode()
    assert page.status_code == 200 and "Would newly flag" in text
    assert "the purple elephants are coming for me" in text and "we saw purple elephants at the parade" in text
    assert "you said it should not flag" in text and "Nothing was saved." in text
    with scopes_disabled():
        assert not ScreeningRule.objects.exists()
    unreadable = client.post(url("screening_rule_create", harbor), {**data, "phrase": "@nosuch die", "preview": "1"})
    assert unreadable.status_code == 400 and "no word set called" in unreadable.content.decode()
    # Editing a rule: the preview compares with the rule as it is now.
    rule = rule_create(
        acting_user=harbor.user("admin"), organisation=harbor.organisation, language="en", phrase="purple elephants"
    )
    edit = client.post(
        url("screening_rule_edit", harbor, rule.pk),
        {"phrase": "green elephants", "concept": "own", "tier": "urgent", "is_active": "on", "preview": "1"},
    ).content.decode()
    assert "Would stop flagging" in edit and "the purple elephants are coming for me" in edit
    with scopes_disabled():
        assert ScreeningRule.objects.get().phrase == "purple elephants"  # nothing saved


def test_try_a_word_addition_on_the_examples_before_saving(harbor: Any, riverbend: Any, login_as: Any) -> None:
    """A word added to a set changes every rule that uses the set: the admin sees which examples
    would newly flag before saving, and, editing an added word, what stops flagging."""
    keep(harbor, "I swallowed all my zoplicone", True)
    keep(harbor, "the zoplicone shipment arrived at the pharmacy", False)
    client = login_as(harbor.user("admin"))
    data = {"language": "en", "set_name": "meds", "term": "zoplicone", "note": ""}
    page = client.post(url("screening_word_create", harbor), {**data, "preview": "1"})
    text = page.content.decode()
    assert page.status_code == 200 and "Would newly flag" in text
    assert "I swallowed all my zoplicone" in text
    assert "the zoplicone shipment arrived" not in text  # the meds rules need more than the word
    assert "Nothing was saved." in text
    with scopes_disabled():
        assert not ScreeningWord.objects.exists()
        # Showing the examples (encrypted free text) is a read, audited like the rules page's list.
        assert AuditEvent.objects.filter(
            action="screening_examples.view", organisation_id=harbor.organisation.pk
        ).exists()
    bad = client.post(url("screening_word_create", harbor), {**data, "term": "zop..", "preview": "1"})
    assert bad.status_code == 400 and "Nothing was saved." not in bad.content.decode()
    empty = client.post(url("screening_word_create", harbor), {**data, "term": "", "preview": "1"})
    assert empty.status_code == 400 and "Write the word or words to add." in empty.content.decode()
    # Editing the added word: the preview compares with the word as it is now.
    assert client.post(url("screening_word_create", harbor), data).status_code == 302
    with scopes_disabled():
        word = ScreeningWord.objects.get()
    edit = client.post(
        url("screening_word_edit", harbor, word.pk),
        {"term": "zopiclone", "note": "", "is_active": "on", "preview": "1"},
    ).content.decode()
    assert "Would stop flagging" in edit and "I swallowed all my zoplicone" in edit
    with scopes_disabled():
        assert ScreeningWord.objects.get().term == "zoplicone"  # nothing saved
    # Another organisation's admin cannot try a change on this organisation's word.
    other = login_as(riverbend.user("admin")).post(
        url("screening_word_edit", harbor, word.pk),
        {"term": "zopiclone", "note": "", "is_active": "on", "preview": "1"},
    )
    assert other.status_code in (403, 404) and "I swallowed all my zoplicone" not in other.content.decode()
    # Nobody but an admin may try or add words.
    for role in ("coordinator", "supervisor"):
        assert (
            login_as(harbor.user(role)).post(url("screening_word_create", harbor), {**data, "preview": "1"}).status_code
            == 403
        )
