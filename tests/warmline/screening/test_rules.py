"""The rule services and the compiled-rules cache: an organisation starts from the defaults, its own
rules replace them (per language), deactivated rules stop matching, every write is audited with
identifiers only and refuses bad input without writing, and screening runs no query once compiled."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_scopes import scopes_disabled

from alongside.audit.models import AuditEvent
from alongside.core.tenancy import tenant_scope
from alongside.warmline import screening
from alongside.warmline.models import ScreeningRule
from alongside.warmline.screening import default_rules, screen
from alongside.warmline.screening_rules import (
    rule_create,
    rule_deactivate,
    rule_update,
    rules_by_language,
    rules_reset_to_defaults,
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


def test_an_organisation_without_rules_uses_the_defaults(harbor: Any) -> None:
    assert screen("I want to die", organisation=harbor.organisation) == screen("I want to die")
    assert screen("quiero matarme", organisation=harbor.organisation, language="es").matched == ["matarme"]
    with tenant_scope(harbor.organisation):
        listed = rules_by_language(harbor.organisation)
    assert [(g.language, g.own, len(g.rules)) for g in listed] == [
        ("en", False, len(default_rules("en"))),
        ("es", False, len(default_rules("es"))),
    ]


def test_the_first_rule_copies_the_defaults_of_its_language_only(harbor: Any) -> None:
    rule = add(harbor, "  Sleep   FOREVER ", note="Said by people we support.")
    assert (
        rule.phrase == "sleep forever" and rule.negatable and rule.is_active and rule.created_by == harbor.user("admin")
    )
    assert len(rules(harbor)) == len(default_rules("en")) + 1
    assert rules(harbor, "es") == []
    assert audit_actions(harbor)[-2:] == ["screening_rules.copy_defaults", "screening_rule.create"]
    org = harbor.organisation
    assert screen("I just want to sleep forever", organisation=org).matched == ["sleep forever"]
    assert screen("I want to die", organisation=org).matched == ["want to die"]  # the copied defaults
    assert not screen("I just want to sleep forever").flag  # the built-in rules are unchanged
    add(harbor, "dormir para siempre", language="es", negatable=False)
    assert screen("quiero dormir para siempre", organisation=org, language="es").matched == ["dormir para siempre"]


def test_organisation_rules_are_its_own(harbor: Any, riverbend: Any) -> None:
    add(harbor, "sleep forever")
    assert not screen("sleep forever", organisation=riverbend.organisation).flag


def test_deactivated_rules_stop_matching_and_can_come_back(harbor: Any) -> None:
    add(harbor, "sleep forever")
    want = next(r for r in rules(harbor) if r.phrase == "want to die")
    rule_deactivate(acting_user=harbor.user("admin"), rule=want)
    assert not screen("I want to die", organisation=harbor.organisation).flag
    assert screen("I want to die").flag
    before = audit_actions(harbor)
    rule_deactivate(acting_user=harbor.user("admin"), rule=want)  # again: nothing changes
    assert audit_actions(harbor) == before
    rule_update(acting_user=harbor.user("admin"), rule=want, is_active=True)
    assert screen("I want to die", organisation=harbor.organisation).flag
    assert audit_actions(harbor)[-1] == "screening_rule.update"


def test_no_active_rules_in_a_language_means_nothing_flags_in_it(harbor: Any) -> None:
    add(harbor, "sleep forever")
    for rule in rules(harbor, is_active=True):
        rule_deactivate(acting_user=harbor.user("admin"), rule=rule)
    assert not screen("I want to kill myself", organisation=harbor.organisation).flag
    assert screen("quiero matarme", organisation=harbor.organisation, language="es").flag  # Spanish: defaults


def test_update_a_rule(harbor: Any) -> None:
    rule = add(harbor, "sleep forever")
    updated = rule_update(
        acting_user=harbor.user("admin"), rule=rule, phrase="sleep for ever*", negatable=False, note="Why"
    )
    assert (updated.phrase, updated.negatable, updated.note) == ("sleep for ever*", False, "Why")
    assert screen("I won't sleep for evermore", organisation=harbor.organisation).matched == ["sleep for ever*"]
    before = audit_actions(harbor)
    rule_update(acting_user=harbor.user("admin"), rule=updated, note="Why")  # no change: no audit
    assert audit_actions(harbor) == before
    with pytest.raises(ValueError):
        rule_update(acting_user=harbor.user("admin"), rule=updated, language="es")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"phrase": ""}, "phrase", "Write the word or phrase"),
        ({"phrase": "kill.*"}, "phrase", "only at the end of a word"),
        ({"phrase": "(die|death)"}, "phrase", "not regular expressions"),
        ({"phrase": "ab*"}, "phrase", "at least 3 letters"),
        ({"phrase": "one two three four five six seven eight nine"}, "phrase", "8 words or fewer"),
        ({"phrase": "x" * 121}, "phrase", "120 characters"),
        ({"phrase": 42}, "phrase", "must be text"),
        ({"phrase": "Want to DIE"}, "phrase", "already a rule with these words"),
        ({"phrase": "wanna dieeee"}, "phrase", "already a rule with these words"),
        ({"phrase": "fine", "language": "fr"}, "language", "English or Spanish"),
        ({"phrase": "fine", "note": "n" * 301}, "note", "300 characters"),
        ({"phrase": "fine", "negatable": "yes"}, "negatable", "yes or no"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    harbor: Any, fields: dict[str, Any], field: str, message: str
) -> None:
    before = audit_actions(harbor)
    with pytest.raises(ValidationError) as error:
        add(harbor, **{"language": "en", **fields})
    assert field in error.value.message_dict and message in " ".join(error.value.message_dict[field])
    assert rules(harbor) == [] and audit_actions(harbor) == before


def test_a_rule_not_in_use_is_named_when_added_again(harbor: Any) -> None:
    rule = add(harbor, "sleep forever")
    rule_deactivate(acting_user=harbor.user("admin"), rule=rule)
    with pytest.raises(ValidationError, match="not in use"):
        add(harbor, "sleep  forever")
    with pytest.raises(ValidationError, match="already a rule"):
        rule_update(acting_user=harbor.user("admin"), rule=rules(harbor)[0], phrase="sleep forever")


def test_only_admins_change_rules(harbor: Any, riverbend: Any) -> None:
    for user in (harbor.user("coordinator"), harbor.user("supervisor"), riverbend.user("admin"), None):
        with pytest.raises(PermissionDenied):
            rule_create(acting_user=user, organisation=harbor.organisation, language="en", phrase="fine")  # type: ignore[arg-type]
    rule = add(harbor, "sleep forever")
    with pytest.raises(PermissionDenied):
        rule_deactivate(acting_user=riverbend.user("admin"), rule=rule)
    with pytest.raises(PermissionDenied):
        rules_reset_to_defaults(acting_user=harbor.user("coordinator"), organisation=harbor.organisation, language="en")


def test_reset_to_defaults(harbor: Any) -> None:
    admin = harbor.user("admin")
    added = add(harbor, "sleep forever")
    want = next(r for r in rules(harbor) if r.phrase == "want to die")
    rule_update(acting_user=admin, rule=want, note="Changed", negatable=False)
    rule_deactivate(acting_user=admin, rule=next(r for r in rules(harbor) if r.phrase == "suicid*"))
    in_use = rules_reset_to_defaults(acting_user=admin, organisation=harbor.organisation, language="en")
    assert [r.phrase for r in in_use] == [r["phrase"] for r in default_rules("en")]
    assert {r.phrase for r in rules(harbor, is_active=True)} == {r["phrase"] for r in default_rules("en")}
    want = next(r for r in rules(harbor) if r.phrase == "want to die")
    assert want.negatable and want.note == next(r["note"] for r in default_rules("en") if r["phrase"] == "want to die")
    assert not rules(harbor, pk=added.pk)[0].is_active  # kept, not in use
    assert audit_actions(harbor)[-1] == "screening_rules.reset_to_defaults"
    assert screen("I'm suicidal", organisation=harbor.organisation).flag
    assert not screen("sleep forever", organisation=harbor.organisation).flag
    # Reset a language the organisation never changed: it gets its own copy.
    rules_reset_to_defaults(acting_user=admin, organisation=harbor.organisation, language="es")
    assert len(rules(harbor, "es")) == len(default_rules("es"))
    with pytest.raises(ValidationError):
        rules_reset_to_defaults(acting_user=admin, organisation=harbor.organisation, language="de")


def test_the_audit_names_the_rule_never_a_message(harbor: Any) -> None:
    rule = add(harbor, "sleep forever")
    screen("a message that must never be stored", organisation=harbor.organisation)
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="screening_rule.create").get()
        assert (event.object_type, event.object_id) == ("warmline.screeningrule", str(rule.pk))
        rows = [str(values) for values in AuditEvent.objects.values()]
    assert not any("never be stored" in row for row in rows)


def test_screening_runs_no_query_once_compiled(harbor: Any, django_assert_num_queries: Any) -> None:
    add(harbor, "sleep forever")
    screen("warm up", organisation=harbor.organisation)
    with django_assert_num_queries(0):
        for _ in range(20):
            assert screen("I want to sleep forever", organisation=harbor.organisation).flag


def test_every_change_invalidates_the_compiled_rules(harbor: Any, django_assert_num_queries: Any) -> None:
    org = harbor.organisation
    admin = harbor.user("admin")
    assert not screen("sleep forever", organisation=org).flag
    rule = add(harbor, "sleep forever")
    assert screen("sleep forever", organisation=org).flag
    rule = rule_update(acting_user=admin, rule=rule, phrase="sleep for ever")
    assert not screen("sleep forever", organisation=org).flag
    rule_deactivate(acting_user=admin, rule=rule)
    assert not screen("sleep for ever", organisation=org).flag
    rules_reset_to_defaults(acting_user=admin, organisation=org, language="en")
    assert screen("I want to die", organisation=org).flag
    # Another process changed the rules (a new stamp in the shared cache): recompiled, one query.
    screening.invalidate(org.pk)
    with django_assert_num_queries(1):
        screen("hello", organisation=org)


def test_the_stamp_changes_again_after_the_commit(harbor: Any, django_capture_on_commit_callbacks: Any) -> None:
    from django.core.cache import cache

    key = f"warmline:screening:version:{harbor.organisation.pk}"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        add(harbor, "sleep forever")
        during = cache.get(key)
    assert len(callbacks) == 1
    assert cache.get(key) not in (None, during)


def test_a_lost_stamp_recompiles(harbor: Any) -> None:
    from django.core.cache import cache

    add(harbor, "sleep forever")
    cache.delete(f"warmline:screening:version:{harbor.organisation.pk}")
    assert screen("sleep forever", organisation=harbor.organisation).flag
