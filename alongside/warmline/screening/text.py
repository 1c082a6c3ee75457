"""Turning a message into the words the screening rules compare (no database, no language data).

A message becomes a list of ``Token``: each word's normalised spelling with the number of its
sentence and of its clause. Normalised means: lower case; accents dropped ("jamás" = "jamas");
apostrophes dropped, straight or curly ("don’t" = "dont", "I'm" = "im"); risk emoji turned into
words ("💊" = "emojipill", from the data files); chat spellings written out ("thx" = "thanks",
"rn" = "right now", "kiero" = "quiero": each language's ``[spelling]`` table); numbers kept as
words ("30"). Digits and symbols used as
letters are *not* changed here: the lexicon tries that reading only when the word as typed is not a
word of the rules ("d1e", "k!ll", "$uicide"), so "24/7" or "mp3" stay what they are.

Sentences end at . ! ? ; : and line breaks; an ellipsis ("..." or "…") is a pause in chat and ends
only a clause. Clauses also end at commas, dashes, brackets and
quotes, and at the clause words of each language ("but", "and", "pero", "y"...). Rules match inside
one sentence; a negation cancels a match only inside one clause (docs/warmline.md).

Spanish pronouns written onto a verb (``clitics``: whether the verb is a word of the rules) are
split off and put *before* it, the way they are also
written: "matarme" → "me matar", "cortándome" → "me cortando", so "voy a matarme" and "me voy a
matar" read alike ("me … matar").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Tokens", "fold", "split_clitic", "tokens"]

_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼ`´′", None))
# A word: starts with a letter, digit, $ or @ and may hold ! | + inside ("k!ll"); or a run of
# sentence-ending punctuation; or a run of clause-ending punctuation.
_TOKEN = re.compile(
    r"((?:[^\W_]|[$@])(?:[^\W_]|[$@!|+*])*)"
    r"|([.!?;:…\n\r¡¿]+)"
    r"|([,()\[\]{}\"“”«»—–/]+|\s-+\s)"
)
_TRAILING = re.compile(r"[!|+*]+$")

# Spanish clitics written onto an infinitive, a gerund or an affirmative command form ending in
# an infinitive/gerund: "matarme", "cortándome", "quitármela" (accents already folded).
_CLITIC = re.compile(r"^([a-zñ]{2,}(?:ar|er|ir|ando|iendo|yendo))(me|te|se|nos)(lo|la|los|las)?$")


@dataclass(slots=True)
class Tokens:
    """A message's words, and for each the number of its sentence and of its clause."""

    words: list[str] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)
    clauses: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.words)


def _accent_table() -> dict[int, str | None]:
    """Each accented Latin letter to its letter without the accent (ñ → n, as people type it
    without the tilde); combining accents typed on their own dropped. Built once: a C-speed
    ``str.translate`` instead of decomposing every message character by character."""
    table: dict[int, str | None] = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(c))
        if base != chr(code):
            table[code] = base
    table.update(dict.fromkeys(range(0x300, 0x370)))
    return table


_ACCENTS = _accent_table()


def fold(text: str) -> str:
    """Lower case, no accents, no apostrophes (the same for messages and for the rules' words)."""
    text = text.casefold().translate(_APOSTROPHES)
    if not text.isascii():
        text = text.translate(_ACCENTS)
    return text


def split_clitic(word: str, is_word: Callable[[str], bool]) -> tuple[str, ...]:
    """("me", "matar") for "matarme"; the word alone when it holds no attached pronoun. The verb
    left must be a word (``is_word``): "muerte" is not "muer" + "te", "despierte" not "despier" + "te"."""
    found = _CLITIC.match(word)
    if found is None or not is_word(found.group(1)):
        return (word,)
    return (found.group(2), found.group(1))


def tokens(
    text: str,
    *,
    clause_words: frozenset[str],
    emoji: dict[str, str],
    spelling: dict[str, tuple[str, ...]] | None = None,
    clitics: Callable[[str], bool] | None = None,
) -> Tokens:
    """The words of ``text`` with their sentence and clause numbers (see the module docs)."""
    if emoji and not text.isascii():
        for symbol, word in emoji.items():
            if symbol in text:
                text = text.replace(symbol, f" {word} ")
    out = Tokens()
    add_word, add_sentence, add_clause = out.words.append, out.sentences.append, out.clauses.append
    sentence = clause = 0
    for word, hard, _soft in _TOKEN.findall(fold(text)):
        if not word:
            # An ellipsis is a pause in chat ("i wanna die lol... or not"), not the end of a sentence.
            if hard and not (hard == "…" or (len(hard) > 1 and hard.strip(".…") == "")):
                sentence += 1
            clause += 1
            continue
        if not word.isalnum():
            word = _TRAILING.sub("", word)
        if spelling and word in spelling:  # chat spellings: "thx" → "thanks", "rn" → "right now"
            for part in spelling[word]:
                add_word(part)
                add_sentence(sentence)
                add_clause(clause)
            continue
        if word in clause_words:
            clause += 1
        if clitics is not None and len(word) > 5 and word[-1] in "esao":
            for part in split_clitic(word, clitics):
                add_word(part)
                add_sentence(sentence)
                add_clause(clause)
            continue
        add_word(word)
        add_sentence(sentence)
        add_clause(clause)
    return out
