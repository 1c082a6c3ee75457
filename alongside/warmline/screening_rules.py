"""An organisation's crisis-screening additions: the writes (keyword-only, acting user, one
transaction, audited with identifiers only), the access functions, the reads of the staff page and
what the engine compiles.

The built-in rules (``warmline/screening/data/``) always apply. An organisation adds, per language:

- **its own rules** (``ScreeningRule``): a rule in the rule language, a concept (a built-in one or
  "own"), a tier, whether a negation cancels it, and a note;
- **words in the built-in word sets** (``ScreeningWord``): "carry the weight" in ``@wish_phrase``, a
  local medicine name in ``@meds``; every rule that uses the set then matches them.

Nothing is deleted: "stop using" keeps a rule or word (it can be used again), and "only the built-in
rules" stops using all of a language's additions. The text of a screened message never reaches
this module, the audit log or the database. Every write locks the organisation's row first
(``_lock``), the one lock shape for these writes.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alongside.accounts.access import OrgContext, parse_uuid_or_404
from alongside.accounts.models import Organisation, User
from alongside.accounts.permissions import has_permission
from alongside.accounts.selectors import roles_for
from alongside.audit.services import record
from alongside.core.services import apply_changes
from alongside.core.tenancy import tenant_scope
from alongside.warmline import screening
from alongside.warmline.models import (
    MarkKind,
    ScreeningExample,
    ScreeningLanguage,
    ScreeningMark,
    ScreeningRule,
    ScreeningTier,
    ScreeningWord,
)
from alongside.warmline.screening.rules import RuleSpec, Term

__all__ = [
    "RULE_FIELDS",
    "LanguageRules",
    "access_example",
    "access_mark",
    "access_rule",
    "access_word",
    "concept_choices",
    "example_add",
    "example_deactivate",
    "examples_screened",
    "mark_create",
    "mark_resolve",
    "marks_open",
    "organisation_additions",
    "preview_change",
    "rule_create",
    "rule_deactivate",
    "rule_error",
    "rule_update",
    "rules_by_language",
    "rules_reset_to_defaults",
    "set_choices",
    "word_add",
    "word_update",
]

logger = logging.getLogger(__name__)

PHRASE_MAX_LENGTH = 200
TERM_MAX_LENGTH = 80
NOTE_MAX_LENGTH = 300
RULE_FIELDS = ("phrase", "concept", "tier", "negatable", "note", "is_active")
WORD_FIELDS = ("term", "note", "is_active")


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


def concept_choices() -> list[tuple[str, str]]:
    """The concepts a rule may belong to: the built-in ones, then the organisation's own."""
    return [*((name, str(label)) for name, label in screening.CONCEPTS.items()), (screening.OWN_CONCEPT, _("Our own"))]


def set_choices(language: str) -> list[tuple[str, str]]:
    """The built-in word sets of ``language`` an organisation may add words to."""
    return [(name, name) for name in screening.builtin(language).sets]


_RULE_ERRORS = {
    "empty": lambda d: _("Write the rule: the words to look for."),
    "characters": lambda d: (
        _(
            "“%(piece)s” cannot be read. Use plain words (letters, numbers, apostrophes and hyphens), "
            "@ before a word set's name, ... for a gap, = before a word to match it exactly and * at the end of a "
            "word for any ending. Rules are not regular expressions."
        )
        % {"piece": d}
    ),
    "star": lambda d: _("Put * only at the end of a word, as in “suicid*”."),
    "short_prefix": lambda d: _(
        "A word ending in * needs at least 3 letters before the *, so it does not match too much."
    ),
    "too_long": lambda d: _("Keep a rule to 10 words or word sets or fewer."),
    "unknown_set": lambda d: (
        _("There is no word set called “%(name)s” in this language. The word sets are listed below.") % {"name": d}
    ),
    "gap_edge": lambda d: _("Put ... only between two parts of the rule, not at its start or end."),
    "term_reference": lambda d: _("Words added to a word set are plain words: no @, ... or ~."),
}


def _text(errors: dict[str, str], name: str, value: Any, max_length: int, *, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("This must be text.")
        return ""
    value = " ".join(value.split())
    if required and not value:
        errors[name] = _("This is needed.")
    elif len(value) > max_length:
        errors[name] = _("Keep this to %(n)d characters or fewer.") % {"n": max_length}
    return value


def _boolean(errors: dict[str, str], name: str, value: Any, message: str) -> bool:
    if not isinstance(value, bool):
        errors[name] = message
        return False
    return value


def rule_error(exc: screening.RuleSyntaxError) -> str:
    """A rule that cannot be read, in words for the person who wrote it."""
    return str(_RULE_ERRORS[exc.code](exc.detail))


def _parse(errors: dict[str, str], language: str, phrase: str) -> tuple[Any, ...]:
    try:
        return screening.parse_rule(phrase, set_names=set(screening.builtin(language).sets))
    except screening.RuleSyntaxError as exc:
        errors["phrase"] = _RULE_ERRORS[exc.code](exc.detail)
        return ()


def _clean_rule(
    organisation: Organisation, language: Any, data: dict[str, Any], *, instance: ScreeningRule | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if language not in ScreeningLanguage.values:
        errors["language"] = _("Choose English or Spanish.")
    phrase = _text(errors, "phrase", data.get("phrase"), PHRASE_MAX_LENGTH).lower()
    if not phrase and "phrase" in errors and errors["phrase"] == _("This is needed."):
        errors["phrase"] = _RULE_ERRORS["empty"]("")
    note = _text(errors, "note", data.get("note"), NOTE_MAX_LENGTH, required=False)
    concept = data.get("concept", screening.OWN_CONCEPT)
    if concept not in {name for name, _label in concept_choices()}:
        errors["concept"] = _("Choose one of the concepts listed, or “Our own”.")
    tier = data.get("tier", ScreeningTier.URGENT)
    if tier not in ScreeningTier.values:
        errors["tier"] = _("Choose urgent or check in.")
    negatable = _boolean(
        errors,
        "negatable",
        data.get("negatable", True),
        _("Say whether a negation just before it cancels it: yes or no."),
    )
    is_active = _boolean(
        errors, "is_active", data.get("is_active", True), _("Say whether the rule is in use: yes or no.")
    )
    if phrase and "phrase" not in errors and "language" not in errors:
        parts = _parse(errors, language, phrase)
        if parts:
            builtin = {spec.parts: spec.text for spec in screening.builtin(language).rules}
            if parts in builtin:
                errors["phrase"] = _("The built-in rules already have this rule: “%(rule)s”.") % {
                    "rule": builtin[parts]
                }
            others = ScreeningRule.objects.filter(organisation=organisation, language=language)
            if instance is not None:
                others = others.exclude(pk=instance.pk)
            for other in others.only("phrase", "is_active"):
                try:
                    same = _parse({}, language, other.phrase) == parts
                except Exception:  # a stored rule that no longer reads never blocks a new one
                    same = False
                if same:
                    errors["phrase"] = (
                        _("There is already a rule with these words: “%(phrase)s”.")
                        if other.is_active
                        else _(
                            "There is already a rule with these words, not in use: “%(phrase)s”. "
                            "Edit it to use it again."
                        )
                    ) % {"phrase": other.phrase}
                    break
    if errors:
        raise ValidationError(errors)
    return {
        "phrase": phrase,
        "concept": concept,
        "tier": tier,
        "note": note,
        "negatable": negatable,
        "is_active": is_active,
    }


def _clean_word(
    organisation: Organisation, language: Any, set_name: Any, data: dict[str, Any], *, instance: ScreeningWord | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if language not in ScreeningLanguage.values:
        errors["language"] = _("Choose English or Spanish.")
    elif set_name not in screening.builtin(language).sets:
        errors["set_name"] = _("Choose one of the word sets listed.")
    term = _text(errors, "term", data.get("term"), TERM_MAX_LENGTH).lower()
    if not term and errors.get("term") == _("This is needed."):
        errors["term"] = _("Write the word or words to add.")
    note = _text(errors, "note", data.get("note"), NOTE_MAX_LENGTH, required=False)
    is_active = _boolean(
        errors, "is_active", data.get("is_active", True), _("Say whether the word is in use: yes or no.")
    )
    if term and "term" not in errors:
        try:
            parsed = screening.parse_term(term)
        except screening.RuleSyntaxError as exc:
            errors["term"] = _RULE_ERRORS[exc.code](exc.detail)
        else:
            if "set_name" not in errors and "language" not in errors:
                if parsed in screening.builtin(language).sets[set_name]:
                    errors["term"] = _("The word set “%(set)s” already has “%(term)s”.") % {
                        "set": set_name,
                        "term": term,
                    }
                others = ScreeningWord.objects.filter(organisation=organisation, language=language, set_name=set_name)
                if instance is not None:
                    others = others.exclude(pk=instance.pk)
                if others.filter(term=term).exists():
                    errors["term"] = _("You have already added “%(term)s” to this word set.") % {"term": term}
    if errors:
        raise ValidationError(errors)
    return {"term": term, "note": note, "is_active": is_active}


def _next_position(organisation: Organisation, language: str) -> int:
    top = ScreeningRule.objects.filter(organisation=organisation, language=language).aggregate(top=Max("position"))
    return (top["top"] or 0) + 1


# --- Writes --------------------------------------------------------------------------------------


@transaction.atomic
def rule_create(
    *,
    acting_user: User,
    organisation: Organisation,
    language: Any,
    phrase: Any,
    concept: Any = "own",
    tier: Any = ScreeningTier.URGENT,
    negatable: Any = True,
    note: Any = "",
) -> ScreeningRule:
    """Add the organisation's own rule in ``language`` (used beside the built-in rules)."""
    _require_change(acting_user, organisation)
    with tenant_scope(organisation):
        _lock(organisation)
        cleaned = _clean_rule(
            organisation,
            language,
            {"phrase": phrase, "concept": concept, "tier": tier, "negatable": negatable, "note": note},
            instance=None,
        )
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
    """Change a rule's ``phrase``, ``concept``, ``tier``, ``negatable``, ``note`` or ``is_active``."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"cannot set {', '.join(sorted(unknown))}")
    organisation = rule.organisation
    _require_change(acting_user, organisation)
    with tenant_scope(organisation):
        _lock(organisation)
        rule = ScreeningRule.objects.get(pk=rule.pk, organisation=organisation)
        data = {name: getattr(rule, name) for name in RULE_FIELDS} | fields
        cleaned = _clean_rule(organisation, rule.language, data, instance=rule)
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
def word_add(
    *, acting_user: User, organisation: Organisation, language: Any, set_name: Any, term: Any, note: Any = ""
) -> ScreeningWord:
    """Add a word (or a few words) to a built-in word set of ``language``."""
    _require_change(acting_user, organisation)
    with tenant_scope(organisation):
        _lock(organisation)
        cleaned = _clean_word(organisation, language, set_name, {"term": term, "note": note}, instance=None)
        word = ScreeningWord.objects.create(
            organisation=organisation,
            language=language,
            set_name=set_name,
            created_by=acting_user,
            updated_by=acting_user,
            **cleaned,
        )
        record(acting_user, "screening_word.create", word)
        _changed(organisation)
    return word


@transaction.atomic
def word_update(*, acting_user: User, word: ScreeningWord, **fields: Any) -> ScreeningWord:
    """Change an added word's ``term``, ``note`` or ``is_active`` (stop or start using it)."""
    unknown = set(fields) - set(WORD_FIELDS)
    if unknown:
        raise ValueError(f"cannot set {', '.join(sorted(unknown))}")
    organisation = word.organisation
    _require_change(acting_user, organisation)
    with tenant_scope(organisation):
        _lock(organisation)
        word = ScreeningWord.objects.get(pk=word.pk, organisation=organisation)
        data = {name: getattr(word, name) for name in WORD_FIELDS} | fields
        cleaned = _clean_word(organisation, word.language, word.set_name, data, instance=word)
        changed = apply_changes(word, cleaned, WORD_FIELDS)
        if not changed:
            return word
        word.updated_by = acting_user
        word.save(update_fields=[*changed, "updated_by", "updated_at"])
        record(acting_user, "screening_word.update", word)
        _changed(organisation)
    return word


@transaction.atomic
def rules_reset_to_defaults(*, acting_user: User, organisation: Organisation, language: Any) -> int:
    """Use only the built-in rules in ``language``: stop using every rule and word the
    organisation added in it (kept, not in use). Returns how many stopped."""
    _require_change(acting_user, organisation)
    if language not in ScreeningLanguage.values:
        raise ValidationError({"language": _("Choose English or Spanish.")})
    with tenant_scope(organisation):
        _lock(organisation)
        stopped = ScreeningRule.objects.filter(organisation=organisation, language=language, is_active=True).update(
            is_active=False, updated_by=acting_user
        )
        stopped += ScreeningWord.objects.filter(organisation=organisation, language=language, is_active=True).update(
            is_active=False, updated_by=acting_user
        )
        record(
            acting_user,
            "screening_rules.reset_to_defaults",
            organisation=organisation,
            object_type="warmline.screeningrule",
            object_id=language,
        )
        _changed(organisation)
    return stopped


# --- Access and reads ----------------------------------------------------------------------------


def access_rule(org: OrgContext, rule_id: Any, *, write: bool = False) -> ScreeningRule:
    """One of the organisation's own rules, or the same 404 as a missing id."""
    org.require("warmline.screening_change" if write else "warmline.screening_view")
    rule = ScreeningRule.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(rule_id)).first()
    if rule is None:
        raise Http404
    return rule


def access_word(org: OrgContext, word_id: Any, *, write: bool = False) -> ScreeningWord:
    """One of the words the organisation added, or the same 404 as a missing id."""
    org.require("warmline.screening_change" if write else "warmline.screening_view")
    word = ScreeningWord.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(word_id)).first()
    if word is None:
        raise Http404
    return word


@dataclass(frozen=True)
class Concept:
    name: str
    label: str
    rules: list[dict[str, Any]]


@dataclass(frozen=True)
class LanguageRules:
    language: str
    label: str
    concepts: list[Concept]
    sets: list[tuple[str, list[str], list[ScreeningWord]]]
    own: list[ScreeningRule] = field(default_factory=list)

    @property
    def builtin_count(self) -> int:
        return sum(len(c.rules) for c in self.concepts)


def rules_by_language(organisation: Organisation) -> list[LanguageRules]:
    """For each language: the built-in rules by concept, the word sets (with the words the
    organisation added), and the organisation's own rules (two queries)."""
    rules = list(
        ScreeningRule.objects.filter(organisation=organisation).order_by(
            "language", "-is_active", "position", "created_at"
        )
    )
    words = list(ScreeningWord.objects.filter(organisation=organisation).order_by("language", "set_name", "term"))
    out = []
    for language, label in ScreeningLanguage.choices:
        data = screening.builtin(language)
        concepts = []
        for name in screening.CONCEPTS:
            listed = [
                {
                    "rule": spec.text,
                    "tier": spec.tier,
                    "negatable": spec.negatable,
                    "note": data.notes.get(spec.text, ""),
                }
                for spec in data.rules
                if spec.concept == name
            ]
            concepts.append(Concept(name, screening.concept_label(name), listed))
        sets = [
            (name, data.set_texts[name], [w for w in words if w.language == language and w.set_name == name])
            for name in data.sets
        ]
        out.append(LanguageRules(language, str(label), concepts, sets, [r for r in rules if r.language == language]))
    return out


def organisation_additions(organisation: Organisation, language: str) -> tuple[dict[str, list[Term]], list[RuleSpec]]:
    """What the engine compiles beside the built-in rules: the words added to each set and the own
    rules, active ones only. A stored rule or word that no longer reads is skipped (and its id
    logged), never allowed to stop screening."""
    with tenant_scope(organisation):
        rule_rows = list(
            ScreeningRule.objects.filter(organisation=organisation, language=language, is_active=True)
            .order_by("position", "created_at")
            .values_list("pk", "phrase", "concept", "tier", "negatable")
        )
        word_rows = list(
            ScreeningWord.objects.filter(organisation=organisation, language=language, is_active=True).values_list(
                "pk", "set_name", "term"
            )
        )
    data = screening.builtin(language)
    words: dict[str, list[Term]] = {}
    for pk, set_name, term in word_rows:
        try:
            if set_name not in data.sets:
                raise screening.RuleSyntaxError("unknown_set", set_name)
            words.setdefault(set_name, []).append(screening.parse_term(term))
        except screening.RuleSyntaxError:
            logger.warning("screening word %s cannot be read; skipped", pk)
    specs: list[RuleSpec] = []
    for pk, phrase, concept, tier, negatable in rule_rows:
        try:
            parts = screening.parse_rule(phrase, set_names=set(data.sets))
        except screening.RuleSyntaxError:
            logger.warning("screening rule %s cannot be read; skipped", pk)
            continue
        specs.append(RuleSpec(text=phrase, parts=parts, concept=concept, tier=tier, negatable=negatable))
    return words, specs


# --- Marks: misses and wrong flags, learned from inside the organisation -------------------------


def _may_mark_message(acting_user: User, message: Any) -> bool:
    conversation = message.conversation
    if conversation.peer_id == acting_user.pk:
        return True
    return has_permission(roles_for(acting_user, conversation.organisation_id), "warmline.supervise")


def _may_mark_contact(acting_user: User, contact: Any) -> bool:
    if contact.contact.peer_id == acting_user.pk:
        return True
    return has_permission(roles_for(acting_user, contact.organisation_id), "warmline.supervise")


@transaction.atomic
def mark_create(*, acting_user: User, kind: Any, message: Any = None, contact: Any = None) -> ScreeningMark:
    """Mark a visitor's chat message, or a call record's notes: screening should have caught it
    ("missed") or flagged it wrongly ("wrong"). The holder of the chat (or the record's peer) or a
    supervisor. The same mark twice is one mark."""
    if kind not in MarkKind.values:
        raise ValidationError({"kind": _("Say whether screening missed it or flagged it wrongly.")})
    if (message is None) == (contact is None):
        raise ValidationError(_("Mark one message or one record."))
    if message is not None:
        if message.sender_kind != "visitor" or not _may_mark_message(acting_user, message):
            raise ValidationError(
                _("Only the peer supporter holding the chat, or a supervisor, can mark its messages.")
            )
        organisation_id = message.organisation_id
        target = {"message": message}
    else:
        if not _may_mark_contact(acting_user, contact):
            raise ValidationError(_("Only the peer supporter who wrote the record, or a supervisor, can mark it."))
        organisation_id = contact.organisation_id
        target = {"contact": contact}
    existing = ScreeningMark.objects.filter(
        organisation=organisation_id, kind=kind, resolved_at__isnull=True, **target
    ).first()
    if existing is not None:
        return existing
    mark = ScreeningMark.objects.create(organisation_id=organisation_id, kind=kind, marked_by=acting_user, **target)
    record(acting_user, "screening_mark.create", mark)
    return mark


@transaction.atomic
def mark_resolve(*, acting_user: User, mark: ScreeningMark) -> ScreeningMark:
    """An admin has acted on a mark (made a rule from it, or decided to leave the rules as they are)."""
    _require_change(acting_user, mark.organisation)
    mark = ScreeningMark.objects.select_for_update().get(pk=mark.pk, organisation=mark.organisation_id)
    if mark.resolved_at is None:
        mark.resolved_at, mark.resolved_by = timezone.now(), acting_user
        mark.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
        record(acting_user, "screening_mark.resolve", mark)
    return mark


def access_mark(org: OrgContext, mark_id: Any, *, write: bool = False) -> ScreeningMark:
    org.require("warmline.screening_change" if write else "warmline.screening_view")
    mark = ScreeningMark.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(mark_id)).first()
    if mark is None:
        raise Http404
    return mark


@dataclass(frozen=True)
class MarkShown:
    mark: ScreeningMark
    text: str  # the message or the record's notes ("" once retention cleared them)
    language: str
    suggested_rule: str


MARKS_SHOWN = 20


def marks_open(org: OrgContext) -> list[MarkShown]:
    """The open marks, newest first, with the words they are about. Those words are a transcript or
    a record's notes (P3): shown only to people who may read transcripts (warmline.supervise), and
    each one shown is audited as a read, like the transcript."""
    marks = list(
        ScreeningMark.objects.filter(organisation=org.organisation, resolved_at__isnull=True)
        .select_related("message__conversation", "contact__contact", "marked_by")
        .order_by("-created_at")[:MARKS_SHOWN]
    )
    may_read = org.can("warmline.supervise")
    out = []
    for mark in marks:
        text, language = "", "en"
        if may_read:
            if mark.message is not None:
                text, language = mark.message.body, mark.message.conversation.language
            elif mark.contact is not None:
                text = mark.contact.contact.notes
            if text:
                record(org.user, "screening_mark.view", mark)
        out.append(MarkShown(mark, text, language if language in ScreeningLanguage.values else "en", _suggest(text)))
    return out


def _suggest(text: str) -> str:
    """A starting rule from a marked message: its first words, plain (the admin edits it)."""
    from alongside.warmline.screening.text import fold

    words = [w for w in fold(text).replace("'", "").split() if w.isalpha()][: screening.rules.MAX_PARTS - 2]
    return " ".join(words)


# --- Example messages: try a change before saving it ---------------------------------------------

EXAMPLE_MAX_LENGTH = 2000
EXAMPLES_MAX = 200


@transaction.atomic
def example_add(
    *, acting_user: User, organisation: Organisation, language: Any, text: Any, should_flag: Any
) -> ScreeningExample:
    """Keep an example message (admins): rule changes can be tried on the organisation's examples."""
    _require_change(acting_user, organisation)
    errors: dict[str, str] = {}
    if language not in ScreeningLanguage.values:
        errors["language"] = _("Choose English or Spanish.")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = _("Write the example message.")
    elif len(text) > EXAMPLE_MAX_LENGTH:
        errors["text"] = _("Keep this to %(n)d characters or fewer.") % {"n": EXAMPLE_MAX_LENGTH}
    if not isinstance(should_flag, bool):
        errors["should_flag"] = _("Say whether screening should flag it: yes or no.")
    with tenant_scope(organisation):
        _lock(organisation)
        if ScreeningExample.objects.filter(organisation=organisation, is_active=True).count() >= EXAMPLES_MAX:
            errors["text"] = _("You keep %(n)d examples already: stop using one first.") % {"n": EXAMPLES_MAX}
        if errors:
            raise ValidationError(errors)
        example = ScreeningExample.objects.create(
            organisation=organisation,
            language=language,
            text=text.strip(),
            should_flag=should_flag,
            created_by=acting_user,
        )
        record(acting_user, "screening_example.create", example)
    return example


@transaction.atomic
def example_deactivate(*, acting_user: User, example: ScreeningExample) -> ScreeningExample:
    _require_change(acting_user, example.organisation)
    example = ScreeningExample.objects.select_for_update().get(pk=example.pk, organisation=example.organisation_id)
    if example.is_active:
        example.is_active = False
        example.save(update_fields=["is_active", "updated_at"])
        record(acting_user, "screening_example.deactivate", example)
    return example


def access_example(org: OrgContext, example_id: Any, *, write: bool = False) -> ScreeningExample:
    org.require("warmline.screening_change" if write else "warmline.screening_view")
    example = ScreeningExample.objects.filter(organisation=org.organisation, pk=parse_uuid_or_404(example_id)).first()
    if example is None:
        raise Http404
    return example


@dataclass(frozen=True)
class ExampleResult:
    example: ScreeningExample
    tier: str
    concepts: list[str]

    @property
    def as_expected(self) -> bool:
        return bool(self.tier) == self.example.should_flag


def examples_screened(org: OrgContext) -> list[ExampleResult]:
    """The organisation's examples with what its rules do with each now (each read audited once)."""
    examples = list(ScreeningExample.objects.filter(organisation=org.organisation, is_active=True))
    if examples:
        record(
            org.user,
            "screening_examples.view",
            organisation=org.organisation,
            object_type="warmline.screeningexample",
            object_id=str(len(examples)),
        )
    out = []
    for example in examples:
        verdict = screening.screen(example.text, organisation=org.organisation, language=example.language)
        out.append(ExampleResult(example, verdict.tier, list(verdict.concepts)))
    return out


@dataclass(frozen=True)
class Preview:
    newly_flagged: list[ExampleResult]
    no_longer_flagged: list[ExampleResult]
    tier_changed: list[tuple[ExampleResult, str]]  # (now, tier it would get)
    tried: int


def preview_change(
    org: OrgContext,
    *,
    language: str,
    rule: RuleSpec | None = None,
    replacing: Any = None,
    word: tuple[str, Term] | None = None,
    replacing_word: Any = None,
) -> Preview:
    """What a rule or word not yet saved would change on the organisation's examples of
    ``language``: examples that would newly flag, stop flagging, or change tier. ``replacing`` (a
    rule) and ``replacing_word`` (an added word) are left out, as an edit would. Nothing is saved."""
    words, rules = organisation_additions(org.organisation, language)
    if replacing_word is not None:
        current_word = (
            ScreeningWord.objects.filter(organisation=org.organisation, pk=replacing_word, is_active=True)
            .values_list("set_name", "term")
            .first()
        )
        if current_word is not None:
            set_name, term = current_word
            with contextlib.suppress(screening.RuleSyntaxError):
                parsed = screening.parse_term(term)
                words = {**words, set_name: [t for t in words.get(set_name, []) if t != parsed]}
    if replacing is not None:
        current = (
            ScreeningRule.objects.filter(organisation=org.organisation, pk=replacing)
            .values_list("phrase", flat=True)
            .first()
        )
        rules = [r for r in rules if r.text != current]
    if rule is not None:
        rules = [*rules, rule]
    if word is not None:
        words = {**words, word[0]: [*words.get(word[0], []), word[1]]}
    proposed = screening.compile_language(language, extra_words=words, extra_rules=rules)
    newly, stopped, changed = [], [], []
    results = [r for r in examples_screened(org) if r.example.language == language]
    for result in results:
        hits = proposed.screen(result.example.text)
        verdict = screening.verdict_of(hits)
        if verdict.flag and not result.tier:
            newly.append(result)
        elif result.tier and not verdict.flag:
            stopped.append(result)
        elif verdict.tier != result.tier:
            changed.append((result, verdict.tier))
    return Preview(newly, stopped, changed, len(results))
