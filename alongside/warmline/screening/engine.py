"""Compiling a language's word sets and rules, and matching one message against them.

A compiled language (``Compiled``) holds the lexicon, a trie of every term word by word, and the
rules filed under the least common of their word sets. Screening a message: read each word once
(``Lexicon.read``), walk the trie from each word to find where terms end (``Occurrences`` works out
a set's places only when a rule asks), then try only the rules whose every set occurred. Nothing
here touches the database; nothing keeps the message.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from alongside.warmline.screening.lexicon import Lexicon, frequencies, stem
from alongside.warmline.screening.rules import Part, RuleSpec, Term, Word
from alongside.warmline.screening.text import Tokens, tokens
from alongside.warmline.screening.vocab import TIER_RANK, Tier

__all__ = ["Compiled", "Hit", "LanguageData"]

NUMBER_MANY = 8  # a number at least this big counts as "many" (the set "many" holds "#many")
LOWER_SET = "lower_context"
JOKING = "joking"
SERIOUS = "serious"
ACCIDENT = "accident"
DELIBERATE = "deliberate"
DENIED = "denied_after"
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
            node.name_set = frozenset(node.names)
        self.rules_by_first: dict[str, list[tuple[RuleSpec, tuple[Chunk, ...], frozenset[str]]]] = defaultdict(list)
        # Each rule is filed under the one of its word sets least likely to be in a message (by how
        # common its words are in English and Spanish): a message only tries rules whose rarest set it has.
        counts = frequencies()
        commonness: dict[str, int] = {}

        def common(key: str) -> int:
            if key not in commonness:
                commonness[key] = max(
                    (min((0 if w.kind == "prefix" else counts.get(w.text, 0)) for w in term) for term in sets[key]),
                    default=0,
                )
            return commonness[key]

        for rule, rule_chunks in self.rules:
            needed = frozenset(key for chunk in rule_chunks for key, _gap in chunk)
            self.rules_by_first[min(sorted(needed), key=common)].append((rule, rule_chunks, needed))

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
        add_surface, add_key = surfaces.append, keys.append
        memo = self.lexicon.memo
        read = self.lexicon.read
        for word in toks.words:
            found = memo.get(word, _UNREAD)
            if found is _UNREAD:
                if word.isdecimal() and word.isascii():
                    add_surface(word)
                    add_key("#many" if len(word) < 7 and int(word) >= NUMBER_MANY else word)
                    continue
                found = read(word)
            if found is None:
                add_surface(word)
                add_key(None)
            else:
                add_surface(found[0])  # type: ignore[index]
                add_key(found[1])  # type: ignore[index]
        return surfaces, keys

    def occurrences(self, toks: Tokens) -> Occurrences:
        """Where each word set (and each literal part of a rule) occurs: set -> [(start, end)]."""
        surfaces, keys = self._read(toks)
        typed = toks.words
        at: dict[_Node, list[tuple[int, int]]] = {}  # where each term ends: one entry per term, not per set
        sentences = toks.sentences
        n = len(toks)

        def walk(node: _Node, start: int, j: int) -> None:
            if node.names:
                at.setdefault(node, []).append((start, j - 1))
            if node.more:
                walk_children(node, start, j)

        def walk_children(node: _Node, start: int, j: int) -> None:
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
            # The first word by hand (most terms are one word): a call only where a term goes on.
            if root_prefix and (surfaces[i][:3] in root_prefix or typed[i][:3] in root_prefix):
                walk_children(root, i, i)  # rare: the whole first step, prefixes included
                continue
            key = keys[i]
            by_stem = root_stem.get(key) if key is not None else None
            by_exact = root_exact.get(surfaces[i])
            if by_exact is None and typed[i] != surfaces[i]:
                by_exact = root_exact.get(typed[i])
            for child in (by_stem, by_exact):
                if child is None:
                    continue
                if child.names:
                    spans = at.get(child)
                    if spans is None:
                        at[child] = [(i, i)]
                    else:
                        spans.append((i, i))
                if child.more:
                    # Most terms that go on do not go on here: look before calling.
                    j = i + 1
                    if j < n and sentences[j] == sentences[i]:
                        key_j = keys[j]
                        if (
                            child.prefix
                            or (key_j is not None and key_j in child.stem)
                            or surfaces[j] in child.exact
                            or typed[j] in child.exact
                        ):
                            walk_children(child, i, j)
        return Occurrences(at)

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
        occ: Occurrences,
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
        occ: Occurrences,
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
        occ: Occurrences,
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

    def _denied_after(self, occ: Occurrences, end: int, toks: Tokens) -> bool:
        clauses = toks.clauses
        return any(end < start <= end + 3 and clauses[start] == clauses[end] for start, _e in occ.get(DENIED, ()))

    def _in_sentence(
        self,
        occ: Occurrences,
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
        return self.screen_words(text)[0]

    def screen_words(self, text: str) -> tuple[list[Hit], list[str]]:
        """The hits, and the message's words (to see whether another language's rules should run)."""
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
            return [], []
        occ = self.occurrences(toks)
        if not occ:
            return [], toks.words
        present = occ.keys()
        skip: set[int] | None = None
        hits: list[Hit] = []
        by_first = self.rules_by_first
        for first in present & by_first.keys():
            for rule, chunks, needed in by_first[first]:
                if not needed <= present:
                    continue
                if skip is None:
                    # Intent words do not count towards the negation window ("don't have any plans to hurt myself").
                    skip = {i for name in data.negation_skips for s, e in occ.get(name, ()) for i in range(s, e + 1)}
                span = self._find(chunks, occ, toks, rule.negatable, skip)
                if span is None:
                    continue
                start, end = span
                sentence = toks.sentences[start]
                # "just kidding" cancels, unless they say anywhere in the message that they mean it ("lol. for
                # real tho", "en serio"); an accident cancels, unless they say they did it on purpose.
                if (
                    rule.unless
                    and self._in_sentence(occ, rule.unless, sentence, toks, affirmed=True)
                    and not (JOKING in rule.unless and occ.get(SERIOUS))
                    and not (ACCIDENT in rule.unless and self._in_sentence(occ, (DELIBERATE,), sentence, toks))
                ):
                    continue
                # "... isn't something I'd consider", "ni se me pasa por la cabeza": denied just after.
                if rule.negatable and self._denied_after(occ, end, toks):
                    continue
                tier = rule.tier
                if (
                    tier == Tier.CHECK_IN
                    and rule.raise_with
                    and self._in_sentence(occ, rule.raise_with, sentence, toks)
                ):
                    tier = Tier.URGENT
                # A context anywhere in the message ("years ago. Now I'm fine") lowers, never a firm rule.
                if tier == Tier.URGENT and not rule.firm and occ.get(LOWER_SET):
                    tier = Tier.CHECK_IN
                words = " ".join(toks.words[start : end + 1])
                hits.append(Hit(rule.concept, tier, rule.text, words, start))
        if len(hits) > 1:
            hits.sort(key=lambda h: (-TIER_RANK[h.tier], h.start))
        return hits, toks.words

    def marked_words(self, words: list[str]) -> bool:
        return not self.data.markers.isdisjoint(words)


class Occurrences:
    """Set name -> where its terms occur, [(start, end)] in order; worked out only for the sets a
    rule asks about (a common word belongs to many sets)."""

    __slots__ = ("_at", "_cache", "_present")

    def __init__(self, at: dict[_Node, list[tuple[int, int]]]):
        self._at = at
        self._cache: dict[str, list[tuple[int, int]]] = {}
        self._present: set[str] | None = None

    def keys(self) -> set[str]:
        if self._present is None:
            self._present = set().union(*(node.name_set for node in self._at))
        return self._present

    def __bool__(self) -> bool:
        return bool(self._at)

    def __contains__(self, name: object) -> bool:
        return name in self.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __getitem__(self, name: str) -> list[tuple[int, int]]:
        found = self._cache.get(name)
        if found is None:
            found = []
            for node, spans in self._at.items():
                if name in node.name_set:
                    found.extend(spans)
            found.sort()
            self._cache[name] = found
        return found

    def get(self, name: str, default: Any = ()) -> list[tuple[int, int]]:
        return self[name] if name in self.keys() else default


class _Node:
    """One step of the terms' trie: the next word by stem, by exact spelling or by prefix."""

    __slots__ = ("exact", "more", "name_set", "names", "prefix", "stem")

    def __init__(self) -> None:
        self.stem: dict[str, _Node] = {}
        self.exact: dict[str, _Node] = {}
        # first three letters -> [(prefix, node)]
        self.prefix: dict[str, list[tuple[str, _Node]]] = {}
        self.names: tuple[str, ...] = ()
        self.name_set: frozenset[str] = frozenset()
        self.more = False  # whether any term goes on from here

    def child(self, word: Word, language: str) -> _Node:
        self.more = True
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
