"""Compiling a language's word sets and rules, and matching one message against them.

A compiled language (``Compiled``) holds the lexicon, an index from each term's first word to the
terms that start with it, and the rules grouped by the word set of their first part. Screening a
message: read each word once (``Lexicon.read``), find where each word set occurs, then try only the
rules whose every part occurred. Nothing here touches the database; nothing keeps the message.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from alongside.warmline.screening.lexicon import Lexicon, stem
from alongside.warmline.screening.rules import Part, RuleSpec, Term, Word
from alongside.warmline.screening.text import Tokens, fold, tokens
from alongside.warmline.screening.vocab import TIER_RANK, Tier

__all__ = ["Compiled", "Hit", "LanguageData"]

NUMBER_MANY = 8  # a number at least this big counts as "many" (the set "many" holds "#many")
LOWER_SET = "lower_context"
JOKING = "joking"
SERIOUS = "serious"
_WORDS = re.compile(r"[^\W_]+")
_UNREAD = object()
Chunk = tuple[tuple[str, int], ...]  # a chunk of a rule: (set key, gap before) per part


@dataclass(frozen=True, slots=True)
class Hit:
    concept: str
    tier: str
    rule: str  # the rule as written (policy, safe to keep)
    words: str  # the message's words that matched (never stored or logged)
    start: int


@dataclass(frozen=True)
class LanguageData:
    """What a language's rules are made of, before compiling."""

    language: str
    sets: dict[str, tuple[Term, ...]]
    rules: tuple[RuleSpec, ...]
    negation: frozenset[str]
    negation_window: int
    # A negation cue followed (within two words) by one of these does not negate: "can't stop".
    not_negation_after: frozenset[str]
    # ... nor one preceded (within two words) by one of these: "trying not to".
    not_negation_before: frozenset[str]
    # Words of these sets are not counted in the negation window.
    negation_skips: tuple[str, ...]
    clause_words: frozenset[str]
    markers: frozenset[str]
    emoji: dict[str, str]
    spelling: dict[str, tuple[str, ...]]


class Compiled:
    def __init__(self, data: LanguageData):
        self.data = data
        self.language = data.language
        self.spanish = data.language == "es"
        vocabulary: set[str] = set()
        # (set name or literal key) -> terms; literal parts of rules become one-term sets.
        sets: dict[str, tuple[Term, ...]] = dict(data.sets)
        self.rules: list[tuple[RuleSpec, tuple[Chunk, ...]]] = []
        for rule in data.rules:
            chunks: dict[int, list[tuple[str, int]]] = defaultdict(list)
            for part in rule.parts:
                chunks[part.chunk].append((self._part_key(part, sets), part.gap))
            self.rules.append((rule, tuple(tuple(chunks[n]) for n in sorted(chunks))))
        for terms in sets.values():
            for term in terms:
                vocabulary.update(w.text for w in term if w.kind != "prefix")
        self.lexicon = Lexicon(data.language, vocabulary)
        # A trie of every term, word by word: from a word of the message, walking it finds every
        # term that starts there in one pass (no term is tried that its first word rules out).
        self.trie = _Node()
        owners: dict[Term, list[str]] = defaultdict(list)
        for name, terms in sets.items():
            for term in terms:
                if name not in owners[term]:
                    owners[term].append(name)
        for term, names in owners.items():
            node = self.trie
            for word in term:
                node = node.child(word, self.language)
            node.names = (*node.names, *names)
        self.rules_by_first: dict[str, list[tuple[RuleSpec, tuple[Chunk, ...], frozenset[str]]]] = defaultdict(list)
        for rule, rule_chunks in self.rules:
            needed = frozenset(key for chunk in rule_chunks for key, _gap in chunk)
            self.rules_by_first[rule_chunks[0][0][0]].append((rule, rule_chunks, needed))

    @staticmethod
    def _part_key(part: Part, sets: dict[str, tuple[Term, ...]]) -> str:
        if part.set_name:
            return part.set_name
        key = "=" + " ".join(f"{w.kind}:{w.text}" for w in part.term)
        sets.setdefault(key, (part.term,))
        return key

    # --- Reading a message ---------------------------------------------------------------------

    def _read(self, toks: Tokens) -> tuple[list[str], list[str | None]]:
        """Each word as the vocabulary word it stands for (or as typed), and its stem key."""
        surfaces: list[str] = []
        keys: list[str | None] = []
        memo = self.lexicon.memo
        read = self.lexicon.read
        for word in toks.words:
            found = memo.get(word, _UNREAD)
            if found is _UNREAD:
                if word.isdecimal() and word.isascii():
                    surfaces.append(word)
                    keys.append("#many" if len(word) < 7 and int(word) >= NUMBER_MANY else word)
                    continue
                found = read(word)
            if found is None:
                surfaces.append(word)
                keys.append(None)
            else:
                surfaces.append(found[0])  # type: ignore[index]
                keys.append(found[1])  # type: ignore[index]
        return surfaces, keys

    def occurrences(self, toks: Tokens) -> dict[str, list[tuple[int, int]]]:
        """Where each word set (and each literal part of a rule) occurs: set -> [(start, end)]."""
        surfaces, keys = self._read(toks)
        typed = toks.words
        found: dict[str, list[tuple[int, int]]] = defaultdict(list)
        sentences = toks.sentences
        n = len(toks)

        def walk(node: _Node, start: int, j: int) -> None:
            for name in node.names:
                found[name].append((start, j - 1))
            if j >= n or sentences[j] != sentences[start]:
                return
            key = keys[j]
            if key is not None and node.stem:
                child = node.stem.get(key)
                if child is not None:
                    walk(child, start, j + 1)
            if node.exact:
                child = node.exact.get(surfaces[j])
                if child is None and typed[j] != surfaces[j]:
                    child = node.exact.get(typed[j])
                if child is not None:
                    walk(child, start, j + 1)
            if node.prefix:
                for prefix, child in node.prefix.get(surfaces[j][:3], ()):
                    if surfaces[j].startswith(prefix):
                        walk(child, start, j + 1)
                if typed[j] != surfaces[j]:
                    for prefix, child in node.prefix.get(typed[j][:3], ()):
                        if typed[j].startswith(prefix) and not surfaces[j].startswith(prefix):
                            walk(child, start, j + 1)

        root = self.trie
        root_stem, root_exact, root_prefix = root.stem, root.exact, root.prefix
        for i in range(n):
            key = keys[i]
            if (
                (key is not None and key in root_stem)
                or surfaces[i] in root_exact
                or typed[i] in root_exact
                or surfaces[i][:3] in root_prefix
                or typed[i][:3] in root_prefix
            ):
                walk(root, i, i)
        return found

    def _negated(self, toks: Tokens, spans: list[tuple[int, int]], skip: set[int]) -> bool:
        """A negation cue in the same clause, up to ``negation_window`` words before the match or
        between its parts ("I'm not suicidal"), unless it is not a negation there ("can't stop",
        "trying not to"). Words of the rule's own terms ("not wake up") are not cues."""
        data = self.data
        start, end = spans[0][0], spans[-1][1]
        words, clauses = toks.words, toks.clauses
        clause = clauses[start]
        low, counted = start, 0
        while low > 0 and counted < data.negation_window and clauses[low - 1] == clause:
            low -= 1
            counted += low not in skip
        inside = {i for s, e in spans for i in range(s, e + 1)}
        for i in range(low, end + 1):
            if i in inside or clauses[i] != clause or words[i] not in data.negation:
                continue
            after = set(words[i + 1 : i + 3])
            before = set(words[max(i - 2, 0) : i])
            if after & data.not_negation_after or before & data.not_negation_before:
                continue
            if i > 0 and words[i - 1] in data.negation and clauses[i - 1] == clause:  # "can't stop"
                continue
            return True
        return False

    def _spans(
        self,
        parts: Chunk,
        occ: dict[str, list[tuple[int, int]]],
        toks: Tokens,
        negatable: bool,
        skip: set[int],
        sentence: int | None = None,
    ) -> Iterator[list[tuple[int, int]]]:
        """Every way the chunk's first part starts a match (in ``sentence`` when given)."""
        for first in occ[parts[0][0]]:
            at = toks.sentences[first[0]]
            if sentence is not None and at != sentence:
                continue
            spans = self._extend(parts, 1, [first], at, occ, toks)
            if spans is None:
                continue
            if negatable and self._negated(toks, spans, skip):
                continue
            yield spans

    def _find(
        self,
        chunks: tuple[Chunk, ...],
        occ: dict[str, list[tuple[int, int]]],
        toks: Tokens,
        negatable: bool,
        skip: set[int],
    ) -> tuple[int, int] | None:
        """The first match of every chunk in one sentence: (start, end) of all of them."""
        for spans in self._spans(chunks[0], occ, toks, negatable, skip):
            sentence = toks.sentences[spans[0][0]]
            start, end = spans[0][0], spans[-1][1]
            used = {i for s, e in spans for i in range(s, e + 1)}
            for chunk in chunks[1:]:
                # Each chunk needs words of its own ("finally" is not both "final" and "last").
                other = next(
                    (
                        found
                        for found in self._spans(chunk, occ, toks, negatable, skip, sentence)
                        if used.isdisjoint(i for s, e in found for i in range(s, e + 1))
                    ),
                    None,
                )
                if other is None:
                    break
                used.update(i for s, e in other for i in range(s, e + 1))
                start, end = min(start, other[0][0]), max(end, other[-1][1])
            else:
                return start, end
        return None

    def _extend(
        self,
        parts: Chunk,
        index: int,
        spans: list[tuple[int, int]],
        sentence: int,
        occ: dict[str, list[tuple[int, int]]],
        toks: Tokens,
    ) -> list[tuple[int, int]] | None:
        if index == len(parts):
            return spans
        key, gap = parts[index]
        previous_end = spans[-1][1]
        for start, end in occ[key]:
            if previous_end < start <= previous_end + 1 + gap and toks.sentences[start] == sentence:
                found = self._extend(parts, index + 1, [*spans, (start, end)], sentence, occ, toks)
                if found is not None:
                    return found
        return None

    def _in_sentence(
        self,
        occ: dict[str, list[tuple[int, int]]],
        names: Iterable[str],
        sentence: int,
        toks: Tokens,
        *,
        affirmed: bool = False,
    ) -> bool:
        """Whether a word of the sets ``names`` is in ``sentence``; with ``affirmed``, not one
        negated just before ("not joking", "not for hunting" do not cancel anything)."""
        sentences, words, clauses = toks.sentences, toks.words, toks.clauses
        negation = self.data.negation
        for name in names:
            for start, _end in occ.get(name, ()):
                if sentences[start] != sentence:
                    continue
                if affirmed and any(
                    words[i] in negation and clauses[i] == clauses[start] for i in range(max(start - 2, 0), start)
                ):
                    continue
                return True
        return False

    def screen(self, text: str) -> list[Hit]:
        data = self.data
        toks = tokens(
            text,
            clause_words=data.clause_words,
            emoji=data.emoji,
            spelling=data.spelling,
            # "matarme" → "me matar" only when "matar" is a word of the rules ("muerte" stays whole).
            clitics=self.lexicon.words.__contains__ if self.spanish else None,
        )
        if not toks:
            return []
        occ = self.occurrences(toks)
        if not occ:
            return []
        present = frozenset(occ)
        # Intent words do not count towards the negation window ("don't have any plans to hurt myself").
        skip = {i for name in data.negation_skips for s, e in occ.get(name, ()) for i in range(s, e + 1)}
        hits: list[Hit] = []
        for first in present:
            for rule, chunks, needed in self.rules_by_first.get(first, ()):
                if not needed <= present:
                    continue
                span = self._find(chunks, occ, toks, rule.negatable, skip)
                if span is None:
                    continue
                start, end = span
                sentence = toks.sentences[start]
                # "just kidding" cancels, unless they also say they mean it ("for real", "en serio").
                if (
                    rule.unless
                    and self._in_sentence(occ, rule.unless, sentence, toks, affirmed=True)
                    and not (JOKING in rule.unless and self._in_sentence(occ, (SERIOUS,), sentence, toks))
                ):
                    continue
                tier = rule.tier
                if (
                    tier == Tier.CHECK_IN
                    and rule.raise_with
                    and self._in_sentence(occ, rule.raise_with, sentence, toks)
                ):
                    tier = Tier.URGENT
                if tier == Tier.URGENT and not rule.firm and self._in_sentence(occ, (LOWER_SET,), sentence, toks):
                    tier = Tier.CHECK_IN
                words = " ".join(toks.words[start : end + 1])
                hits.append(Hit(rule.concept, tier, rule.text, words, start))
        hits.sort(key=lambda h: (-TIER_RANK[h.tier], h.start))
        return hits

    def marked(self, text: str) -> bool:
        """Whether ``text`` holds a common word of this language (people mix languages)."""
        return not self.data.markers.isdisjoint(_WORDS.findall(fold(text)))


class _Node:
    """One step of the terms' trie: the next word by stem, by exact spelling or by prefix."""

    __slots__ = ("exact", "names", "prefix", "stem")

    def __init__(self) -> None:
        self.stem: dict[str, _Node] = {}
        self.exact: dict[str, _Node] = {}
        # first three letters -> [(prefix, node)]
        self.prefix: dict[str, list[tuple[str, _Node]]] = {}
        self.names: tuple[str, ...] = ()

    def child(self, word: Word, language: str) -> _Node:
        if word.kind == "stem":
            return self.stem.setdefault(stem(language, word.text), _Node())
        if word.kind == "exact":
            return self.exact.setdefault(word.text, _Node())
        same = self.prefix.setdefault(word.text[:3], [])
        for prefix, node in same:
            if prefix == word.text:
                return node
        node = _Node()
        same.append((word.text, node))
        return node
