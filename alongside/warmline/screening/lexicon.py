"""Words as people type them: which word of the rules a typed word stands for.

Each language's rules have a vocabulary (every word in its word sets and rules). A typed word is
read as a vocabulary word, in this order, stopping at the first that fits:

1. the word itself, or its stem (Snowball, the ``snowballstemmer`` package: "killing", "kills",
   "killed" → "kill"; "pastillas" → "pastill");
2. with letters typed many times squeezed ("killlll", "dieeee", "kil");
3. read with digits and symbols as letters ("d1e", "k!ll", "$uicide", "su1c1d3");
4. for Spanish, spelled as it sounds ("pastiyas", "kemé", "boy a");
5. with a star for a censored letter ("k*ll", "s*icide"), when only one word fits;
6. a misspelling within one edit (a letter missing, extra, changed, or two swapped; the
   ``rapidfuzz`` package) of a vocabulary word of five letters or more, when the typed word is at
   least five letters long and is not itself a common word of English or Spanish (the
   ``pyspellchecker`` word lists): "sucidal", "myslef", "overdoes" count, "battle" does not read
   as "bottle".

The answer for each typed word is remembered (per compiled rule set, bounded), so a message of
known words costs one dictionary look-up per word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = ["FUZZY_MIN", "Lexicon", "frequencies", "stem", "squeeze"]

FUZZY_MIN = 5
# A word at least this frequent in pyspellchecker's lists is a real word, never read as a typo.
KNOWN_FREQUENCY = 100
MEMO_MAX = 50_000

_STEMMERS = {"en": "english", "es": "spanish"}
_RUNS3 = re.compile(r"([^\W\d_])\1{2,}")
_RUNS2 = re.compile(r"([^\W\d_])\1+")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a", "!": "i", "|": "l", "+": "t"}
)
_LEET_CHARS = frozenset("0134579$@!|+")
_SOUND_ALIKES = (
    ("y", "ll"),
    ("ll", "y"),
    ("v", "b"),
    ("b", "v"),
    ("z", "s"),
    ("s", "z"),
    ("ce", "se"),
    ("ci", "si"),
    ("se", "ce"),
    ("si", "ci"),
    ("k", "qu"),
    ("k", "c"),
    ("q", "qu"),
)


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMERS[language])


def stem(language: str, word: str) -> str:
    if word.isdigit() or word.startswith("#"):
        return word
    return _stemmer(language).stemWord(word)


def squeeze(word: str) -> str:
    """Every run of one repeated letter as one letter ("killl" → "kil")."""
    return _RUNS2.sub(r"\1", word)


@cache
def frequencies() -> dict[str, int]:
    """How common each English or Spanish word is (folded; the larger count of the two languages),
    from the ``pyspellchecker`` word lists."""
    from spellchecker import SpellChecker

    from alongside.warmline.screening.text import fold

    counts: dict[str, int] = {}
    for language in ("en", "es"):
        for word, count in SpellChecker(language=language, distance=1).word_frequency.dictionary.items():
            folded = fold(word)
            if count > counts.get(folded, 0):
                counts[folded] = count
    return counts


@cache
def _known_words() -> frozenset[str]:
    """Common English and Spanish words, which are never read as misspellings."""
    return frozenset(word for word, count in frequencies().items() if count >= KNOWN_FREQUENCY)


class Lexicon:
    """One language's vocabulary and the reading of typed words against it."""

    def __init__(self, language: str, words: Iterable[str]):
        self.language = language
        self.words = frozenset(words)
        self.keys = {stem(language, word) for word in self.words}
        # squeezed spelling or squeezed stem -> the vocabulary word it stands for
        self.squeezed: dict[str, str] = {}
        for word in sorted(self.words):
            self.squeezed.setdefault(squeeze(word), word)
            self.squeezed.setdefault(squeeze(stem(language, word)), word)
        self.fuzzy_words = sorted(w for w in self.words if len(w) >= FUZZY_MIN and w.isalpha())
        self.memo: dict[str, tuple[str, str] | None] = {}

    def read(self, typed: str) -> tuple[str, str] | None:
        """The vocabulary word that ``typed`` stands for (the typed word itself when it, or its
        stem, is one) with its stem, or None when it stands for none."""
        memo = self.memo
        if typed in memo:
            return memo[typed]
        word = self._read(typed)
        found = None if word is None else (word, stem(self.language, word))
        if len(memo) >= MEMO_MAX:
            memo.clear()
        memo[typed] = found
        return found

    def _sound_alikes(self, word: str) -> list[str]:
        """Spanish spelled as it sounds: ll/y, b/v, s/z/c, k/qu, a dropped h ("pastiyas", "kemé")."""
        if self.language != "es":
            return []
        out = []
        for old, new in _SOUND_ALIKES:
            if old in word:
                out.append(word.replace(old, new))
        if not word.startswith("h"):
            out.append("h" + word)
        return out

    def _plain(self, word: str) -> str | None:
        if word in self.words or stem(self.language, word) in self.keys:
            return word
        if _RUNS3.search(word):
            fewer = _RUNS3.sub(r"\1\1", word)
            if fewer in self.words or stem(self.language, fewer) in self.keys:
                return fewer
        else:
            fewer = word
        if len(fewer) > 2:
            once = squeeze(fewer)
            found = self.squeezed.get(once) or self.squeezed.get(squeeze(stem(self.language, fewer)))
            if found is not None and (once != fewer or len(once) >= 3):
                return found
        return None

    def _read(self, typed: str) -> str | None:
        found = self._plain(typed)
        if found is not None:
            return found
        if "*" in typed:  # censored: "k*ll", "s*icide" — one letter per star, a single reading
            pattern = re.compile(re.escape(typed).replace(r"\*", "."))
            readings = {w for w in self.words if len(w) == len(typed) and pattern.fullmatch(w)}
            return readings.pop() if len(readings) == 1 else None
        for variant in self._sound_alikes(typed):
            found = self._plain(variant)
            if found is not None:
                return found
        if not _LEET_CHARS.isdisjoint(typed) and not typed.isdigit():
            leet = typed.translate(_LEET)
            if leet.isalpha():
                found = self._plain(leet)
                if found is not None:
                    return found
                typed = leet
        if len(typed) >= FUZZY_MIN and typed.isalpha() and self.fuzzy_words and typed not in _known_words():
            best = process.extractOne(typed, self.fuzzy_words, scorer=OSA.distance, score_cutoff=1)
            if best is not None:
                return str(best[0])
        return None
