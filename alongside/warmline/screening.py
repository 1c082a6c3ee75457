"""Crisis screening: transparent, editable rules (owner: the screening part; see docs/warmline.md).

Screening only raises flags and moves a chat up the queue; it never closes or dismisses anything.

How a message is read (the same steps apply to the rules' phrases, so both sides compare alike):
lower case; accents dropped ("suicidarme" = "suicidarme", "jamás" = "jamas"); apostrophes dropped,
straight or curly ("don’t" = "don't" = "dont"); runs of one repeated letter squeezed to one
("killlll" = "kill" = "kil"); words are Unicode letter/digit runs, so "kill" never matches inside
"skills"; punctuation and extra spaces between the words of a phrase do not matter. A word of a
phrase ending in ``*`` matches any ending ("suicid*": suicide, suicidal, suicidio).

Negation: a negatable rule is cancelled when a negation cue of its language ("not", "never",
"don't", "no", "nunca"...) is among the ``window`` (3) words just before it *in the same clause*.
Punctuation (. , ; : ! ? ...) and clause words ("but", "and", "pero", "y"...) start a new clause,
so "not now, but I want to die" still flags. Non-negatable rules (phrases that already hold their
negation, "don't want to live") are never cancelled.

Languages: ``language`` "en" or "es" screens with that language's rules, plus the other language's
when the text holds one of its common words ("markers": "quiero", "estoy"; "the", "want"), since
people mix languages; any other value ("", None, "auto") screens with both.

Cost: an organisation's rules are compiled once per process and kept with a version stamp that
lives in Django's cache; ``invalidate`` (called by the rule services, also after commit) changes
the stamp. Screening one message reads the stamp from the cache and runs no SQL query.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.cache import cache as django_cache

__all__ = [
    "LANGUAGES",
    "Verdict",
    "default_rules",
    "invalidate",
    "normalise",
    "phrase_words",
    "screen",
]

LANGUAGES = ("en", "es")
DEFAULTS_FILE = Path(__file__).resolve().parent / "data" / "screening_defaults.json"
MAX_PHRASE_WORDS = 8
MIN_PREFIX = 3


@dataclass(frozen=True)
class Verdict:
    flag: bool
    # The rules that matched, as their phrases (what a supervisor sees and the JSON prints).
    matched: list[str] = field(default_factory=list)


# --- Normalising text ----------------------------------------------------------------------------

_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼ`´′", None))
_REPEATS = re.compile(r"([^\W\d_])\1+")
# A word, or a run of clause-ending punctuation.
_TOKEN = re.compile(r"([^\W_]+)|([.!?;:,\n\r¿¡…—–()\[\]\"“”«»]+)")
_PHRASE_CHARS = re.compile(r"^[^\W_]+(?:[\s'’‘ʼ\-]+[^\W_]+)*\*?$")


def normalise(text: str) -> str:
    """Lower case, no accents, no apostrophes, repeated letters squeezed (see the module docs)."""
    text = text.casefold().translate(_APOSTROPHES)
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _REPEATS.sub(r"\1", text)


def _tokens(text: str, clause_words: frozenset[str]) -> tuple[list[str], list[int]]:
    """The words of ``text`` and, for each, the number of the clause it is in."""
    words: list[str] = []
    clauses: list[int] = []
    clause = 0
    for match in _TOKEN.finditer(normalise(text)):
        word = match.group(1)
        if word is None:
            clause += 1
            continue
        if word in clause_words:
            clause += 1
        words.append(word)
        clauses.append(clause)
    return words, clauses


Word = tuple[str, bool]  # (normalised word, True when it matches any ending)


def phrase_words(phrase: str) -> tuple[Word, ...]:
    """A rule's phrase as the words the engine compares, or ValueError naming what is wrong
    ("empty", "characters", "star", "short_prefix", "too_long"; the services word the message)."""
    pieces = phrase.split()
    if not pieces:
        raise ValueError("empty")
    words: list[Word] = []
    for piece in pieces:
        if not _PHRASE_CHARS.match(piece):
            raise ValueError("star" if "*" in piece else "characters")
        prefix = piece.endswith("*")
        parts = _TOKEN.findall(normalise(piece.rstrip("*")))
        found = [word for word, _punct in parts if word]
        if not found:
            raise ValueError("characters")
        for i, word in enumerate(found):
            is_prefix = prefix and i == len(found) - 1
            if is_prefix and len(word) < MIN_PREFIX:
                raise ValueError("short_prefix")
            words.append((word, is_prefix))
    if len(words) > MAX_PHRASE_WORDS:
        raise ValueError("too_long")
    return tuple(words)


# --- Compiled rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    order: int
    phrase: str
    words: tuple[Word, ...]
    negatable: bool


@dataclass
class _LanguageRules:
    language: str
    rules: list[_Rule]
    cues: frozenset[str]
    markers: frozenset[str]
    # First word -> rules starting with it; first MIN_PREFIX letters of a prefix -> rules.
    exact: dict[str, list[_Rule]] = field(default_factory=dict)
    prefixed: dict[str, list[_Rule]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rule in self.rules:
            first, is_prefix = rule.words[0]
            if is_prefix:
                self.prefixed.setdefault(first[:MIN_PREFIX], []).append(rule)
            else:
                self.exact.setdefault(first, []).append(rule)


@dataclass(frozen=True)
class _RuleSet:
    by_language: dict[str, _LanguageRules]
    clause_words: frozenset[str]


@cache
def _config() -> dict[str, Any]:
    with DEFAULTS_FILE.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def _normalised_set(words: list[str]) -> frozenset[str]:
    return frozenset(normalise(w) for w in words)


def default_rules(language: str) -> list[dict[str, Any]]:
    """The built-in rules of ``language``: [{"phrase", "negatable", "note"}, ...] in order."""
    return [dict(rule) for rule in _config()["languages"][language]["rules"]]


def _window() -> int:
    return int(_config().get("window", 3))


def _compile_language(language: str, rows: list[tuple[str, bool]]) -> _LanguageRules:
    config = _config()["languages"][language]
    rules = []
    for order, (phrase, negatable) in enumerate(rows):
        try:
            words = phrase_words(phrase)
        except ValueError:
            continue  # the services refuse such phrases; never let one stop screening
        rules.append(_Rule(order, phrase, words, negatable))
    return _LanguageRules(
        language=language,
        rules=rules,
        cues=_normalised_set(config["negation_cues"]),
        markers=_normalised_set(config["markers"]),
    )


def _clause_words() -> frozenset[str]:
    words: list[str] = []
    for language in LANGUAGES:
        words += _config()["languages"][language]["clause_words"]
    return _normalised_set(words)


@cache
def _default_language(language: str) -> _LanguageRules:
    return _compile_language(language, [(r["phrase"], bool(r["negatable"])) for r in default_rules(language)])


@cache
def _defaults() -> _RuleSet:
    return _RuleSet({language: _default_language(language) for language in LANGUAGES}, _clause_words())


# Per process: organisation id -> (version stamp, compiled rules).
_compiled: dict[Any, tuple[str, _RuleSet]] = {}


def _version_key(organisation_id: Any) -> str:
    return f"warmline:screening:version:{organisation_id}"


def invalidate(organisation_id: Any) -> None:
    """The organisation's rules changed: every process recompiles them on its next screen."""
    django_cache.set(_version_key(organisation_id), uuid.uuid4().hex, timeout=None)


def _compile_organisation(organisation: Any) -> _RuleSet:
    from alongside.core.tenancy import tenant_scope
    from alongside.warmline.models import ScreeningRule

    with tenant_scope(organisation):
        rows = list(
            ScreeningRule.objects.filter(organisation=organisation)
            .order_by("language", "position", "created_at")
            .values_list("language", "phrase", "negatable", "is_active")
        )
    by_language = {}
    for language in LANGUAGES:
        own = [(phrase, negatable, active) for lang, phrase, negatable, active in rows if lang == language]
        if own:  # the organisation's own rules, even when none is active (its choice)
            by_language[language] = _compile_language(language, [(p, n) for p, n, active in own if active])
        else:
            by_language[language] = _default_language(language)
    return _RuleSet(by_language, _clause_words())


def _organisation_rules(organisation: Any) -> _RuleSet:
    key = _version_key(organisation.pk)
    version = django_cache.get(key)
    if version is None:
        django_cache.add(key, uuid.uuid4().hex, timeout=None)
        version = django_cache.get(key)
    held = _compiled.get(organisation.pk)
    if held is not None and version is not None and held[0] == version:
        return held[1]
    rules = _compile_organisation(organisation)
    if version is not None:
        _compiled[organisation.pk] = (version, rules)
    return rules


# --- Screening -----------------------------------------------------------------------------------


def _matches_at(rule: _Rule, words: list[str], start: int) -> bool:
    if start + len(rule.words) > len(words):
        return False
    for offset, (word, is_prefix) in enumerate(rule.words):
        token = words[start + offset]
        if not (token.startswith(word) if is_prefix else token == word):
            return False
    return True


def _negated(words: list[str], clauses: list[int], start: int, cues: frozenset[str], window: int) -> bool:
    clause = clauses[start]
    for i in range(start - 1, max(start - 1 - window, -1), -1):
        if clauses[i] != clause:
            return False
        if words[i] in cues:
            return True
    return False


def _languages(language: Any, words: list[str], rules: _RuleSet) -> list[_LanguageRules]:
    if language not in LANGUAGES:
        return [rules.by_language[lang] for lang in LANGUAGES]
    chosen = [rules.by_language[language]]
    for other in LANGUAGES:
        if other != language and not rules.by_language[other].markers.isdisjoint(words):
            chosen.append(rules.by_language[other])
    return chosen


def screen(text: str, *, organisation: Any = None, language: str = "en") -> Verdict:
    """Screen one message with the organisation's active rules for ``language`` (the built-in
    defaults when ``organisation`` is None or has none)."""
    rules = _defaults() if organisation is None else _organisation_rules(organisation)
    words, clauses = _tokens(text or "", rules.clause_words)
    window = _window()
    matched: list[str] = []
    for language_rules in _languages(language, words, rules):
        hits: set[int] = set()
        exact, prefixed, cues = language_rules.exact, language_rules.prefixed, language_rules.cues
        for i, token in enumerate(words):
            for candidates in (exact.get(token), prefixed.get(token[:MIN_PREFIX])):
                if not candidates:
                    continue
                for rule in candidates:
                    if rule.order in hits or not _matches_at(rule, words, i):
                        continue
                    if rule.negatable and _negated(words, clauses, i, cues, window):
                        continue
                    hits.add(rule.order)
        for rule in language_rules.rules:
            if rule.order in hits and rule.phrase not in matched:
                matched.append(rule.phrase)
    return Verdict(flag=bool(matched), matched=matched)
