"""Crisis screening: transparent, editable concept rules in two tiers (docs/warmline.md).

Screening only raises flags and reorders queues; it never closes or dismisses anything, and it
never stores or logs the words it screened.

``screen(text, *, organisation=None, language="en") -> Verdict``. The built-in rules live in
``data/en.toml`` and ``data/es.toml`` (word sets and rules; the same concept names in both
languages) and ``data/common.toml`` (risk emoji). ``rules.py`` is the rule language,
``text.py`` turns a message into words, ``lexicon.py`` reads words as people type them, and
``engine.py`` matches. An organisation adds its own rules and its own words to the built-in word
sets (``screening_rules``); they are compiled once per process and kept with a version stamp in
Django's cache (compared at most once a second), so screening a message runs no SQL query.

Languages: ``language`` "en" or "es" screens with that language's rules, plus the other
language's when the text holds one of its common words (people mix languages); any other value
("", None, "auto") screens with both.
"""

from __future__ import annotations

import logging
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.cache import cache as django_cache

from alongside.warmline.screening.engine import Compiled, Hit, LanguageData
from alongside.warmline.screening.rules import GAP, RuleSpec, RuleSyntaxError, Term, Word, parse_rule, parse_term
from alongside.warmline.screening.text import fold
from alongside.warmline.screening.vocab import CONCEPTS, LANGUAGES, OWN_CONCEPT, TIER_RANK, Tier, concept_label

__all__ = [
    "CONCEPTS",
    "GAP",
    "LANGUAGES",
    "OWN_CONCEPT",
    "RuleSyntaxError",
    "Tier",
    "Verdict",
    "builtin",
    "compile_language",
    "concept_label",
    "invalidate",
    "parse_rule",
    "parse_term",
    "screen",
    "screen_door",
]

DATA = Path(__file__).resolve().parent / "data"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What screening found in one message. ``matched`` (the rules as written) and ``concepts`` are
    policy and may be kept; ``hits[].words`` are the person's words: show them, never keep them."""

    tier: str = ""
    concepts: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    hits: tuple[Hit, ...] = ()

    @property
    def flag(self) -> bool:
        return bool(self.tier)

    @property
    def urgent(self) -> bool:
        return self.tier == Tier.URGENT

    def as_dict(self, *, words: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "flag": self.flag,
            "tier": self.tier,
            "concepts": self.concepts,
            "matched": self.matched,
        }
        if words:
            out["words"] = [hit.words for hit in self.hits]
        return out


# --- The built-in data ---------------------------------------------------------------------------


@cache
def _toml(name: str) -> dict[str, Any]:
    with (DATA / name).open("rb") as f:
        return tomllib.load(f)


def _folded(words: list[str]) -> frozenset[str]:
    return frozenset(fold(w) for w in words)


@dataclass(frozen=True)
class Builtin:
    """A language's built-in data, parsed: settings, word sets and rule groups."""

    raw: dict[str, Any]
    sets: dict[str, tuple[Term, ...]]
    set_texts: dict[str, list[str]]
    rules: tuple[RuleSpec, ...]
    notes: dict[str, str]
    context: frozenset[str]


def _rule_specs(
    groups: list[dict[str, Any]], set_names: set[str], unless_always: tuple[str, ...] = ()
) -> tuple[list[RuleSpec], dict[str, str]]:
    """Each rule of each group; ``unless_always`` (a language's sets that cancel any rule, such as
    "mate" the drink in Spanish) is added to every group's own ``unless``."""
    specs: list[RuleSpec] = []
    notes: dict[str, str] = {}
    for group in groups:
        concept = group["concept"]
        if concept not in CONCEPTS:
            raise ValueError(f"unknown concept {concept!r}")
        tier = group["tier"]
        if tier not in Tier.values:
            raise ValueError(f"unknown tier {tier!r}")
        for text in group["match"]:
            specs.append(
                RuleSpec(
                    text=text,
                    parts=parse_rule(text, set_names=set_names),
                    concept=concept,
                    tier=tier,
                    negatable=group.get("negatable", True),
                    firm=group.get("firm", False),
                    raise_with=tuple(group.get("raise", ())),
                    unless=tuple(dict.fromkeys([*group.get("unless", ()), *unless_always])),
                )
            )
            notes[text] = group.get("note", "")
    return specs, notes


@cache
def builtin(language: str) -> Builtin:
    raw = _toml(f"{language}.toml")
    set_texts: dict[str, list[str]] = {name: list(terms) for name, terms in raw["sets"].items()}
    specs, notes = _rule_specs(raw["rules"], set(set_texts), tuple(raw.get("unless_always", ())))
    # Sets that only give context (what cancels, raises or lowers a rule, or stops a negation
    # from counting) match words as written, not by stem: "solo" must not read as "sol" (sun).
    parts = {p.set_name for spec in specs for p in spec.parts if p.set_name}
    context = {n for spec in specs for n in (*spec.raise_with, *spec.unless)} | {
        "lower_context",
        "serious",
        "deliberate",
        "denied_after",
    }
    sets = {
        name: tuple(parse_term(t, exact=name in context and name not in parts) for t in terms)
        for name, terms in set_texts.items()
    }
    for spec in specs:
        for name in (*spec.raise_with, *spec.unless):
            if name not in sets:
                raise ValueError(f"{language}: rule {spec.text!r} names unknown set {name!r}")
    return Builtin(raw, sets, set_texts, tuple(specs), notes, frozenset(context - parts))


def compile_language(
    language: str,
    *,
    extra_words: dict[str, list[Term]] | None = None,
    extra_rules: list[RuleSpec] | None = None,
) -> Compiled:
    """The built-in rules of ``language`` plus an organisation's own words and rules."""
    base = builtin(language)
    raw = base.raw
    sets = dict(base.sets)
    for name, terms in (extra_words or {}).items():
        if name in base.context:  # context sets match as written (see builtin)
            terms = [tuple(Word("exact", w.text) if w.kind == "stem" else w for w in term) for term in terms]
        sets[name] = tuple(dict.fromkeys([*sets.get(name, ()), *terms]))
    # Negation cues of every language count in each: people mix languages ("no quiero kill myself").
    everyone = [builtin(lang).raw for lang in LANGUAGES]
    data = LanguageData(
        language=language,
        sets=sets,
        rules=(*base.rules, *(extra_rules or [])),
        negation=_folded([cue for r in everyone for cue in r["negation"]]),
        negation_window=int(raw["negation_window"]),
        not_negation_after=_folded([w for r in everyone for w in r["not_negation_after"]]),
        not_negation_before=_folded([w for r in everyone for w in r["not_negation_before"]]),
        negation_skips=tuple(raw.get("negation_skips", ())),
        clause_words=_folded(raw["clause_words"]),
        markers=_folded(raw["markers"]),
        emoji=dict(_toml("common.toml")["emoji"]),
        spelling={fold(k): tuple(fold(v).split()) for k, v in raw.get("spelling", {}).items()},
    )
    return Compiled(data)


@cache
def _defaults() -> dict[str, Compiled]:
    return {language: compile_language(language) for language in LANGUAGES}


# --- An organisation's rules, cached per process ---------------------------------------------------

# Per process: organisation id -> (version stamp, when it was last compared, compiled rules).
_compiled: dict[Any, tuple[str, float, dict[str, Compiled]]] = {}
# Another process's rule change is seen within this many seconds (this process's own at once).
STAMP_CHECK_SECONDS = 1.0


def _version_key(organisation_id: Any) -> str:
    return f"warmline:screening:version:{organisation_id}"


def invalidate(organisation_id: Any) -> None:
    """The organisation's rules changed: this process recompiles them on its next screen, every
    other process within ``STAMP_CHECK_SECONDS``."""
    _compiled.pop(organisation_id, None)
    django_cache.set(_version_key(organisation_id), uuid.uuid4().hex, timeout=None)


def _compile_organisation(organisation: Any) -> dict[str, Compiled]:
    from alongside.warmline.screening_rules import organisation_additions

    out = {}
    for language in LANGUAGES:
        words, rules = organisation_additions(organisation, language)
        out[language] = (
            compile_language(language, extra_words=words, extra_rules=rules)
            if words or rules
            else _defaults()[language]
        )
    return out


def _organisation_rules(organisation: Any) -> dict[str, Compiled]:
    held = _compiled.get(organisation.pk)
    now = time.monotonic()
    if held is not None and now - held[1] < STAMP_CHECK_SECONDS:
        return held[2]
    key = _version_key(organisation.pk)
    version = django_cache.get(key)
    if version is None:
        django_cache.add(key, uuid.uuid4().hex, timeout=None)
        version = django_cache.get(key)
    if held is not None and version is not None and held[0] == version:
        _compiled[organisation.pk] = (version, now, held[2])
        return held[2]
    rules = _compile_organisation(organisation)
    if version is not None:
        _compiled[organisation.pk] = (version, now, rules)
    return rules


# --- Screening -----------------------------------------------------------------------------------


@cache
def _clear() -> Verdict:
    """The verdict of a message nothing matched (frozen, so one serves every such message)."""
    return Verdict()


def verdict_of(hits: list[Hit]) -> Verdict:
    if not hits:
        return _clear()
    hits.sort(key=lambda h: (-TIER_RANK[h.tier], h.start))
    tier = hits[0].tier if hits else ""
    concepts = list(dict.fromkeys(h.concept for h in hits))
    matched = list(dict.fromkeys(h.rule for h in hits))
    return Verdict(tier=tier, concepts=concepts, matched=matched, hits=tuple(hits))


def screen(text: str, *, organisation: Any = None, language: Any = "en") -> Verdict:
    """Screen one message with the built-in rules and the organisation's own words and rules."""
    if not text or not text.strip():
        return Verdict()
    compiled = _defaults() if organisation is None else _organisation_rules(organisation)
    if language not in LANGUAGES:
        hits = [hit for lang in LANGUAGES for hit in compiled[lang].screen(text)]
        return verdict_of(hits)
    hits, words = compiled[language].screen_words(text)
    for other in LANGUAGES:  # people mix languages: the other's rules too when its common words are there
        if other != language and compiled[other].marked_words(words):
            hits += compiled[other].screen(text)
    return verdict_of(hits)


def screen_door(text: str, *, organisation: Any, door: str, language: Any = "auto") -> Verdict:
    """Screen free text written at one of the doors (a chat, a form, a note). It never raises —
    what the person wrote is kept whatever happens — and a failure is logged by its door and its
    type only, never with the text."""
    if not text or not text.strip():
        return _clear()
    try:
        return screen(text, organisation=organisation, language=language)
    except Exception as exc:
        logger.error("%s: screening failed (%s)", door, type(exc).__name__)
        return _clear()
