"""An organisation's crisis-screening rules: the writes (keyword-only, acting user, one transaction,
audited with identifiers only), the access function and the reads of the staff page.

While an organisation has no rules of its own in a language, screening uses the built-in defaults
for it. The first change in a language (adding a rule, or resetting) copies the defaults in first,
so adding one phrase extends the defaults instead of replacing them. Rules are deactivated, never
deleted. A rule's phrase and note are organisation policy (plain text); the text of a screened
message never reaches this module, the audit log or the database.

Every write locks the organisation's row first (``_lock``): the one lock shape for rule writes, so
two admins copying the defaults at once cannot both copy them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.accounts.models import Organisation, User
from alongside.accounts.permissions import has_permission
from alongside.accounts.selectors import roles_for
from alongside.audit.services import record
from alongside.core.services import apply_changes
from alongside.core.tenancy import tenant_scope
from alongside.warmline import screening
from alongside.warmline.models import ScreeningLanguage, ScreeningRule

__all__ = [
    "RULE_FIELDS",
    "LanguageRules",
    "access_rule",
    "rule_create",
    "rule_deactivate",
    "rule_update",
    "rules_by_language",
    "rules_reset_to_defaults",
]

PHRASE_MAX_LENGTH = 120
NOTE_MAX_LENGTH = 300
RULE_FIELDS = ("phrase", "negatable", "note", "is_active")


# --- Helpers -------------------------------------------------------------------------------------


def _require_change(acting_user: Any, organisation: Organisation) -> None:
    roles = roles_for(acting_user, organisation.pk) if isinstance(acting_user, User) else set()
    if not has_permission(roles, "warmline.screening_change"):
        raise PermissionDenied(_("Only an organisation admin can change the screening rules."))


def _lock(organisation: Organisation) -> None:
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def _changed(organisation: Organisation) -> None:
    # Now, so this transaction (and a test) sees the new rules; and after the commit, so no other
    # process keeps rules it compiled from the database before the commit under the new stamp.
    organisation_id = organisation.pk
    screening.invalidate(organisation_id)
    transaction.on_commit(lambda: screening.invalidate(organisation_id))


_PHRASE_ERRORS = {
    "empty": lambda: _("Write the word or phrase to look for."),
    "characters": lambda: _(
        "Use plain words: letters, numbers, spaces, apostrophes and hyphens, and * at the end of a word. "
        "Rules are not regular expressions."
    ),
    "star": lambda: _("Put * only at the end of a word, as in “suicid*”."),
    "short_prefix": lambda: _(
        "A word ending in * needs at least 3 letters before the *, so it does not match too much."
    ),
    "too_long": lambda: _("Keep a phrase to %(n)d words or fewer.") % {"n": screening.MAX_PHRASE_WORDS},
}


def _clean_phrase(errors: dict[str, str], value: Any) -> tuple[str, tuple[screening.Word, ...]]:
    if not isinstance(value, str):
        errors["phrase"] = _("This must be text.")
        return "", ()
    phrase = " ".join(value.split()).lower()
    if len(phrase) > PHRASE_MAX_LENGTH:
        errors["phrase"] = _("Keep this to %(n)d characters or fewer.") % {"n": PHRASE_MAX_LENGTH}
        return phrase, ()
    try:
        return phrase, screening.phrase_words(phrase)
    except ValueError as exc:
        errors["phrase"] = _PHRASE_ERRORS[str(exc)]()
        return phrase, ()


def _clean(
    organisation: Organisation, language: Any, data: dict[str, Any], *, instance: ScreeningRule | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if language not in ScreeningLanguage.values:
        errors["language"] = _("Choose English or Spanish.")
    phrase, words = _clean_phrase(errors, data.get("phrase"))
    note = data.get("note") or ""
    if not isinstance(note, str):
        errors["note"] = _("This must be text.")
        note = ""
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("Keep this to %(n)d characters or fewer.") % {"n": NOTE_MAX_LENGTH}
    negatable, is_active = data.get("negatable", True), data.get("is_active", True)
    if not isinstance(negatable, bool):
        errors["negatable"] = _("Say whether a negation just before the phrase cancels it: yes or no.")
    if not isinstance(is_active, bool):
        errors["is_active"] = _("Say whether the rule is in use: yes or no.")
    if words and "language" not in errors:
        others = ScreeningRule.objects.filter(organisation=organisation, language=language)
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        for other in others.only("phrase", "is_active"):
            try:
                same = screening.phrase_words(other.phrase) == words
            except ValueError:
                same = False
            if same:
                errors["phrase"] = (
                    _("There is already a rule with these words: “%(phrase)s”.")
                    if other.is_active
                    else _(
                        "There is already a rule with these words, not in use: “%(phrase)s”. Edit it to use it again."
                    )
                ) % {"phrase": other.phrase}
                break
    if errors:
        raise ValidationError(errors)
    return {"phrase": phrase, "note": note, "negatable": negatable, "is_active": is_active}


def _next_position(organisation: Organisation, language: str) -> int:
    top = ScreeningRule.objects.filter(organisation=organisation, language=language).aggregate(top=Max("position"))
    return (top["top"] or 0) + 1


def _copy_defaults_if_none(acting_user: User, organisation: Organisation, language: str) -> None:
    if ScreeningRule.objects.filter(organisation=organisation, language=language).exists():
        return
    ScreeningRule.objects.bulk_create(
        ScreeningRule(
            organisation=organisation,
            language=language,
            phrase=rule["phrase"],
            negatable=bool(rule["negatable"]),
            note=rule.get("note", ""),
            position=position,
            created_by=acting_user,
            updated_by=acting_user,
        )
        for position, rule in enumerate(screening.default_rules(language))
    )
    record(
        acting_user,
        "screening_rules.copy_defaults",
        organisation=organisation,
        object_type="warmline.screeningrule",
        object_id=language,
    )


# --- Writes --------------------------------------------------------------------------------------


@transaction.atomic
def rule_create(
    *,
    acting_user: User,
    organisation: Organisation,
    language: Any,
    phrase: Any,
    negatable: Any = True,
    note: Any = "",
) -> ScreeningRule:
    """Add a rule in ``language``. The first rule of a language copies the defaults in first."""
    _require_change(acting_user, organisation)
    with tenant_scope(organisation):
        _lock(organisation)
        cleaned = _clean(
            organisation, language, {"phrase": phrase, "negatable": negatable, "note": note}, instance=None
        )
        _copy_defaults_if_none(acting_user, organisation, language)
        # The copied defaults may already hold this phrase.
        cleaned = _clean(organisation, language, cleaned, instance=None)
        rule = ScreeningRule.objects.create(
            organisation=organisation,
            language=language,
            position=_next_position(organisation, language),
            created_by=acting_user,
            updated_by=acting_user,
            **cleaned,
        )
        record(acting_user, "screening_rule.create", rule)
        _changed(organisation)
    return rule


@transaction.atomic
def rule_update(*, acting_user: User, rule: ScreeningRule, **fields: Any) -> ScreeningRule:
    """Change a rule's ``phrase``, ``negatable``, ``note`` or ``is_active`` (others stay)."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"cannot set {', '.join(sorted(unknown))}")
    organisation = rule.organisation
    _require_change(acting_user, organisation)
    with tenant_scope(organisation):
        _lock(organisation)
        rule = ScreeningRule.objects.get(pk=rule.pk, organisation=organisation)
        data = {name: getattr(rule, name) for name in RULE_FIELDS} | fields
        cleaned = _clean(organisation, rule.language, data, instance=rule)
        changed = apply_changes(rule, cleaned, RULE_FIELDS)
        if not changed:
            return rule
        rule.updated_by = acting_user
        rule.save(update_fields=[*changed, "updated_by", "updated_at"])
        record(acting_user, "screening_rule.update", rule)
        _changed(organisation)
    return rule


@transaction.atomic
def rule_deactivate(*, acting_user: User, rule: ScreeningRule) -> ScreeningRule:
    """Stop using a rule (kept, so it can be used again). A rule already not in use stays so."""
    organisation = rule.organisation
    _require_change(acting_user, organisation)
    with tenant_scope(organisation):
        _lock(organisation)
        rule = ScreeningRule.objects.get(pk=rule.pk, organisation=organisation)
        if not rule.is_active:
            return rule
        rule.is_active = False
        rule.updated_by = acting_user
        rule.save(update_fields=["is_active", "updated_by", "updated_at"])
        record(acting_user, "screening_rule.deactivate", rule)
        _changed(organisation)
    return rule


@transaction.atomic
def rules_reset_to_defaults(*, acting_user: User, organisation: Organisation, language: Any) -> list[ScreeningRule]:
    """Make the organisation's rules in ``language`` the built-in defaults again: each default in
    use, with its default note and negation setting and in the default order; every other rule
    of that language kept but not in use. Returns the rules in use."""
    _require_change(acting_user, organisation)
    if language not in ScreeningLanguage.values:
        raise ValidationError({"language": _("Choose English or Spanish.")})
    with tenant_scope(organisation):
        _lock(organisation)
        existing = list(ScreeningRule.objects.filter(organisation=organisation, language=language))
        by_words: dict[tuple[screening.Word, ...], ScreeningRule] = {}
        for rule in existing:
            try:
                by_words.setdefault(screening.phrase_words(rule.phrase), rule)
            except ValueError:
                continue
        in_use: list[ScreeningRule] = []
        kept: set[Any] = set()
        for position, default in enumerate(screening.default_rules(language)):
            found = by_words.get(screening.phrase_words(default["phrase"]))
            values = {
                "phrase": default["phrase"],
                "negatable": bool(default["negatable"]),
                "note": default.get("note", ""),
                "is_active": True,
                "position": position,
            }
            if found is None:
                found = ScreeningRule.objects.create(
                    organisation=organisation,
                    language=language,
                    created_by=acting_user,
                    updated_by=acting_user,
                    **values,
                )
            elif apply_changes(found, values, tuple(values)):
                found.updated_by = acting_user
                found.save()
            kept.add(found.pk)
            in_use.append(found)
        for rule in existing:
            if rule.pk not in kept and rule.is_active:
                rule.is_active = False
                rule.updated_by = acting_user
                rule.save(update_fields=["is_active", "updated_by", "updated_at"])
        record(
            acting_user,
            "screening_rules.reset_to_defaults",
            organisation=organisation,
            object_type="warmline.screeningrule",
            object_id=language,
        )
        _changed(organisation)
    return in_use


# --- Access and reads ----------------------------------------------------------------------------


def access_rule(org: OrgContext, rule_id: Any, *, write: bool = False) -> ScreeningRule:
    """One rule of the organisation, or the same 404 as a missing id."""
    org.require("warmline.screening_change" if write else "warmline.screening_view")
    rule = ScreeningRule.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(rule_id)).first()
    if rule is None:
        raise Http404
    return rule


@dataclass(frozen=True)
class LanguageRules:
    language: str
    label: str
    # True: the organisation's own rules (model rows); False: the built-in defaults (dicts).
    own: bool
    rules: list[Any]


def rules_by_language(organisation: Organisation) -> list[LanguageRules]:
    """The organisation's rules in each language, in use first, or the defaults it uses (one query)."""
    rows = list(
        ScreeningRule.objects.filter(organisation=organisation).order_by(
            "language", "-is_active", "position", "created_at"
        )
    )
    out = []
    for language, label in ScreeningLanguage.choices:
        own = [rule for rule in rows if rule.language == language]
        if own:
            out.append(LanguageRules(language, str(label), True, own))
        else:
            out.append(LanguageRules(language, str(label), False, screening.default_rules(language)))
    return out
