"""An organisation's own rules and added words: they work beside the built-in rules (which always
apply), belong to the organisation, stop and start again, every write is audited with identifiers
only and refuses bad input without writing, a stored rule that no longer reads never stops
screening, and screening runs no query once compiled."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.warmline import screening
from alongside.warmline.models import ScreeningRule, ScreeningWord
from alongside.warmline.screening import screen
from alongside.warmline.screening_rules import (
    organisation_additions,
    rule_create,
    rule_deactivate,
    rule_update,
    rules_by_language,
    rules_reset_to_defaults,
    word_add,
    word_update,
)

pytestmark = pytest.mark.django_db


def rules(t: Any, language: str = "en", **filters: Any) -> list[ScreeningRule]:
    with scopes_disabled():
        return list(ScreeningRule.objects.filter(organisation=t.organisation, language=language, **filters))


def audit_actions(t: Any) -> list[str]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(organisation_id=t.organisation.pk).order_by("id").values_list("action", flat=True)
        )


def add(t: Any, phrase: str, language: str = "en", **kwargs: Any) -> ScreeningRule:
    return rule_create(
        acting_user=t.user("admin"), organisation=t.organisation, language=language, phrase=phrase, **kwargs
    )


def test_an_organisation_without_additions_uses_the_built_in_rules(harbor: Any) -> None:
    org = harbor.organisation
    assert screen("I want to kill myself", organisation=org) == screen("I want to kill myself")
    assert screen("quiero matarme", organisation=org, language="es") == screen("quiero matarme", language="es")
    with tenant_scope(org):
        listed = rules_by_language(org)
    assert [(g.language, g.own, g.builtin_count > 50) for g in listed] == [("en", [], True), ("es", [], True)]
    assert [c.name for c in listed[0].concepts] == list(screening.CONCEPTS)


def test_an_own_rule_works_beside_the_built_in_rules(harbor: Any) -> None:
    rule = add(harbor, "  Join   the FOG ", concept="wish_to_die", tier="check_in", note="Said on our line.")
    assert (rule.phrase, rule.concept, rule.tier, rule.negatable, rule.is_active) == (
        "join the fog",
        "wish_to_die",
        "check_in",
        True,
        True,
    )
    assert audit_actions(harbor)[-1] == "screening_rule.create"
    org = harbor.organisation
    verdict = screen("I will join the fog", organisation=org)
    assert (verdict.tier, verdict.concepts, verdict.matched) == ("check_in", ["wish_to_die"], ["join the fog"])
    assert screen("I want to kill myself", organisation=org).urgent  # the built-in rules still apply
    assert not screen("I will join the fog").flag  # the built-in rules are unchanged
    # Word sets in an own rule, and an urgent tier.
    add(harbor, "@took ... @meds ... gone", concept="means", tier="urgent")
    assert screen("took my pills, soon gone", organisation=org).urgent
    add(harbor, "viaje sin regreso", language="es", negatable=False)
    assert not screen("hago un viaje sin regreso", language="es").flag
    assert screen("hago un viaje sin regreso", organisation=org, language="es").concepts == ["own"]


def test_added_words_extend_a_word_set_for_every_rule_that_uses_it(harbor: Any) -> None:
    org = harbor.organisation
    assert not screen("I took all my zoplicone", organisation=org).flag
    word = word_add(
        acting_user=harbor.user("admin"), organisation=org, language="en", set_name="meds", term="Zoplicone"
    )
    assert (word.term, word.set_name, audit_actions(harbor)[-1]) == ("zoplicone", "meds", "screening_word.create")
    assert screen("I took all my zoplicone", organisation=org).urgent
    word_update(acting_user=harbor.user("admin"), word=word, is_active=False)
    assert not screen("I took all my zoplicone", organisation=org).flag
    # A context set's added word is matched as written, like the built-in ones.
    word_add(acting_user=harbor.user("admin"), organisation=org, language="en", set_name="joking", term="haw")
    assert not screen("I want to die haw", organisation=org).flag


def test_additions_are_the_organisations_own(harbor: Any, riverbend: Any) -> None:
    add(harbor, "join the fog")
    word_add(
        acting_user=harbor.user("admin"),
        organisation=harbor.organisation,
        language="en",
        set_name="meds",
        term="zoplicone",
    )
    assert not screen("join the fog", organisation=riverbend.organisation).flag
    assert not screen("I took all my zoplicone", organisation=riverbend.organisation).flag


def test_stopped_rules_stop_matching_and_can_come_back(harbor: Any) -> None:
    rule = add(harbor, "join the fog")
    rule_deactivate(acting_user=harbor.user("admin"), rule=rule)
    assert not screen("join the fog", organisation=harbor.organisation).flag
    before = audit_actions(harbor)
    rule_deactivate(acting_user=harbor.user("admin"), rule=rule)  # again: nothing changes
    assert audit_actions(harbor) == before
    rule_update(acting_user=harbor.user("admin"), rule=rule, is_active=True)
    assert screen("join the fog", organisation=harbor.organisation).flag
    assert audit_actions(harbor)[-1] == "screening_rule.update"


def test_update_a_rule(harbor: Any) -> None:
    rule = add(harbor, "join the fog")
    updated = rule_update(
        acting_user=harbor.user("admin"),
        rule=rule,
        phrase="join the fog*",
        negatable=False,
        note="Why",
        tier="check_in",
    )
    assert (updated.phrase, updated.negatable, updated.note, updated.tier) == (
        "join the fog*",
        False,
        "Why",
        "check_in",
    )
    assert screen("I won't join the foggy crowd", organisation=harbor.organisation).matched == ["join the fog*"]
    before = audit_actions(harbor)
    rule_update(acting_user=harbor.user("admin"), rule=updated, note="Why")  # no change: no audit
    assert audit_actions(harbor) == before
    with pytest.raises(ValueError):
        rule_update(acting_user=harbor.user("admin"), rule=updated, language="es")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"phrase": ""}, "phrase", "Write the rule"),
        ({"phrase": "kill.*"}, "phrase", "cannot be read"),
        ({"phrase": "(die|death)"}, "phrase", "not regular expressions"),
        ({"phrase": "su*cide"}, "phrase", "only at the end of a word"),
        ({"phrase": "ab*"}, "phrase", "at least 3 letters"),
        ({"phrase": "@nosuchset die"}, "phrase", "no word set called “@nosuchset”"),
        ({"phrase": "... die"}, "phrase", "only between two parts"),
        ({"phrase": "a b c d e f g h i j k"}, "phrase", "10 words"),
        ({"phrase": "x" * 201}, "phrase", "200 characters"),
        ({"phrase": 42}, "phrase", "must be text"),
        ({"phrase": "@kill_act ... @self_only"}, "phrase", "built-in rules already have this rule"),
        ({"phrase": "fine", "language": "fr"}, "language", "English or Spanish"),
        ({"phrase": "fine", "concept": "astrology"}, "concept", "concepts listed"),
        ({"phrase": "fine", "tier": "maybe"}, "tier", "urgent or check in"),
        ({"phrase": "fine", "note": "n" * 301}, "note", "300 characters"),
        ({"phrase": "fine", "negatable": "yes"}, "negatable", "yes or no"),
    ],
)
def test_bad_rule_input_is_refused_and_nothing_is_written(
    harbor: Any, fields: dict[str, Any], field: str, message: str
) -> None:
    before = audit_actions(harbor)
    with pytest.raises(ValidationError) as error:
        add(harbor, **{"language": "en", **fields})
    assert field in error.value.message_dict and message in " ".join(error.value.message_dict[field])
    assert rules(harbor) == [] and audit_actions(harbor) == before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"term": ""}, "term", "Write the word"),
        ({"term": "@self"}, "term", "plain words"),
        ({"term": "x" * 81}, "term", "80 characters"),
        ({"term": "pills"}, "term", "already has “pills”"),
        ({"set_name": "nosuchset"}, "set_name", "word sets listed"),
        ({"language": "fr"}, "language", "English or Spanish"),
    ],
)
def test_bad_word_input_is_refused_and_nothing_is_written(
    harbor: Any, fields: dict[str, Any], field: str, message: str
) -> None:
    before = audit_actions(harbor)
    data = {"language": "en", "set_name": "meds", "term": "zoplicone", **fields}
    with pytest.raises(ValidationError) as error:
        word_add(acting_user=harbor.user("admin"), organisation=harbor.organisation, **data)
    assert field in error.value.message_dict and message in " ".join(error.value.message_dict[field])
    with scopes_disabled():
        assert not ScreeningWord.objects.exists()
    assert audit_actions(harbor) == before


def test_a_rule_not_in_use_is_named_when_added_again(harbor: Any) -> None:
    rule = add(harbor, "join the fog")
    rule_deactivate(acting_user=harbor.user("admin"), rule=rule)
    with pytest.raises(ValidationError, match="not in use"):
        add(harbor, "join  the fog")
    other = add(harbor, "rest forever")
    with pytest.raises(ValidationError, match="not in use"):
        rule_update(acting_user=harbor.user("admin"), rule=other, phrase="join the fog")
    with pytest.raises(ValidationError, match="already a rule with these words: “rest forever”"):
        rule_update(acting_user=harbor.user("admin"), rule=rule, phrase="rest  Forever")


def test_only_admins_change_rules(harbor: Any, riverbend: Any) -> None:
    for user in (harbor.user("coordinator"), harbor.user("supervisor"), riverbend.user("admin"), None):
        with pytest.raises(PermissionDenied):
            rule_create(acting_user=user, organisation=harbor.organisation, language="en", phrase="fine")  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied):
            word_add(acting_user=user, organisation=harbor.organisation, language="en", set_name="meds", term="x")  # type: ignore[arg-type]
    rule = add(harbor, "join the fog")
    with pytest.raises(PermissionDenied):
        rule_deactivate(acting_user=riverbend.user("admin"), rule=rule)
    with pytest.raises(PermissionDenied):
        rules_reset_to_defaults(acting_user=harbor.user("coordinator"), organisation=harbor.organisation, language="en")


def test_only_the_built_in_rules(harbor: Any) -> None:
    admin = harbor.user("admin")
    added = add(harbor, "join the fog")
    spanish = add(harbor, "dormir para siempre", language="es")
    word = word_add(
        acting_user=admin, organisation=harbor.organisation, language="en", set_name="meds", term="zoplicone"
    )
    assert rules_reset_to_defaults(acting_user=admin, organisation=harbor.organisation, language="en") == 2
    assert audit_actions(harbor)[-1] == "screening_rules.reset_to_defaults"
    assert not rules(harbor, pk=added.pk)[0].is_active  # kept, not in use
    word.refresh_from_db()
    assert not word.is_active
    assert rules(harbor, "es", pk=spanish.pk)[0].is_active  # the other language is untouched
    assert not screen("join the fog", organisation=harbor.organisation).flag
    assert screen("I'm suicidal", organisation=harbor.organisation).urgent
    with pytest.raises(ValidationError):
        rules_reset_to_defaults(acting_user=admin, organisation=harbor.organisation, language="de")


def test_a_stored_rule_that_no_longer_reads_never_stops_screening(harbor: Any, caplog: Any) -> None:
    rule = add(harbor, "join the fog")
    with scopes_disabled():
        ScreeningRule.objects.filter(pk=rule.pk).update(phrase="@gone ... (")
    screening.invalidate(harbor.organisation.pk)
    words, specs = organisation_additions(harbor.organisation, "en")
    assert specs == [] and str(rule.pk) in caplog.text
    assert screen("I want to kill myself", organisation=harbor.organisation).urgent


def test_the_audit_names_the_rule_never_a_message(harbor: Any) -> None:
    rule = add(harbor, "join the fog")
    screen("a message that must never be stored", organisation=harbor.organisation)
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="screening_rule.create").get()
        assert (event.object_type, event.object_id) == ("warmline.screeningrule", str(rule.pk))
        rows = [str(values) for values in AuditEvent.objects.values()]
    assert not any("never be stored" in row for row in rows)


def test_screening_runs_no_query_once_compiled(harbor: Any, django_assert_num_queries: Any) -> None:
    add(harbor, "join the fog")
    screen("warm up", organisation=harbor.organisation)
    with django_assert_num_queries(0):
        for _ in range(20):
            assert screen("I want to join the fog", organisation=harbor.organisation).flag


def test_every_change_invalidates_the_compiled_rules(harbor: Any, django_assert_num_queries: Any) -> None:
    org = harbor.organisation
    admin = harbor.user("admin")
    assert not screen("join the fog", organisation=org).flag
    rule = add(harbor, "join the fog")
    assert screen("join the fog", organisation=org).flag
    rule = rule_update(acting_user=admin, rule=rule, phrase="join a fog")
    assert not screen("join the fog", organisation=org).flag
    rule_deactivate(acting_user=admin, rule=rule)
    assert not screen("join a fog", organisation=org).flag
    # Another process changed the rules (a new stamp in the shared cache): seen within a second.
    from django.core.cache import cache

    cache.set(f"warmline:screening:version:{org.pk}", "another-process", timeout=None)
    held = screening._compiled[org.pk]
    screening._compiled[org.pk] = (held[0], held[1] - screening.STAMP_CHECK_SECONDS, held[2])
    with django_assert_num_queries(4):  # its rules and its words in each language, once
        screen("hello", organisation=org)


def test_the_stamp_changes_again_after_the_commit(harbor: Any, django_capture_on_commit_callbacks: Any) -> None:
    from django.core.cache import cache

    key = f"warmline:screening:version:{harbor.organisation.pk}"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        add(harbor, "join the fog")
        during = cache.get(key)
    assert len(callbacks) == 1
    assert cache.get(key) not in (None, during)


def test_a_lost_stamp_recompiles(harbor: Any) -> None:
    from django.core.cache import cache

    add(harbor, "join the fog")
    cache.delete(f"warmline:screening:version:{harbor.organisation.pk}")
    screening._compiled.clear()
    assert screen("join the fog", organisation=harbor.organisation).flag
